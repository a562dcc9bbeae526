#!/usr/bin/env bash
# Schema-driven fuzzing of the JSON API (make fuzz-api; CI runs it on PostgreSQL).
#
# Builds a fresh PostgreSQL database (ehr_fuzz) with the demo hospital, serves the site on a
# free local port (gunicorn as deployed, DEBUG off, plain HTTP), signs in as the demo doctor
# and the demo receptionist, and runs schemathesis against the served OpenAPI schema once per
# token. Fails (non-zero) on any server error, any answer whose status, content type or body
# the schema does not document, and any operation that answers without credentials (the
# checks are in scripts/fuzz_api.toml), and on any server error in the server's log. The
# server is stopped and the database dropped whatever happens.
#
# Bounded in time: FUZZ_MAX_EXAMPLES cases per operation and phase, each run wrapped in
# `timeout` (schemathesis' --max-time is a budget it spends, not a cap).
#
# Variables: FUZZ_DATABASE (ehr_fuzz), FUZZ_PG (postgres://postgres@127.0.0.1:5432),
# FUZZ_REDIS_URL (empty: the local-memory cache), FUZZ_MAX_EXAMPLES (10), FUZZ_SEED (fixed),
# FUZZ_PATIENTS (demo patients, 60), FUZZ_PHASES (all four), FUZZ_CONFIG (schemathesis'
# configuration: scripts/fuzz_api.toml),
# FUZZ_TIMEOUT (seconds per persona, 240), FUZZ_KEEP=1 keeps the database and the reports.
set -euo pipefail
cd "$(dirname "$0")/.."

VENV_BIN=${VENV_BIN:-.venv/bin}
PG=${FUZZ_PG:-postgres://postgres@127.0.0.1:5432}
DATABASE=${FUZZ_DATABASE:-ehr_fuzz}
MAX_EXAMPLES=${FUZZ_MAX_EXAMPLES:-10}
SEED=${FUZZ_SEED:-20261204} # fixed: CI gives the same verdict twice; vary it to explore
RUN_TIMEOUT=${FUZZ_TIMEOUT:-240}
DEMO_PASSWORD=${DEMO_PASSWORD:-Demo-Passw0rd!}
CONFIG=${FUZZ_CONFIG:-scripts/fuzz_api.toml}

export DJANGO_SETTINGS_MODULE=ehr.settings.local
export DATABASE_URL="$PG/$DATABASE"
export REDIS_URL=${FUZZ_REDIS_URL:-}
export LOG_LEVEL=WARNING

work=$(mktemp -d -t ehr-fuzz.XXXXXX)
server_pid=""
started=$SECONDS

say() { printf '\n---- %s  [%ds]\n' "$*" "$((SECONDS - started))"; }

cleanup() {
    local rc=$?
    if [ -n "$server_pid" ] && kill -0 "$server_pid" 2>/dev/null; then
        kill -TERM "$server_pid" 2>/dev/null || true
        for _ in $(seq 20); do
            kill -0 "$server_pid" 2>/dev/null || break
            sleep 0.5
        done
        kill -KILL "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
    fi
    if [ "${FUZZ_KEEP:-0}" = 1 ]; then
        echo "Kept: database $DATABASE, server log and reports in $work"
    else
        dropdb --if-exists -h 127.0.0.1 -U postgres "$DATABASE" 2>/dev/null || true
        rm -rf "$work"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# --------------------------------------------------------------------------------------------
say "Fresh database $DATABASE with the demo hospital"
dropdb --if-exists -h 127.0.0.1 -U postgres "$DATABASE"
createdb -h 127.0.0.1 -U postgres "$DATABASE"
# As `make run`, but without the full ICD-10-CM catalogue (a minute to load): the demo
# creates the codes it uses, and the fuzzer's codes are unknown either way. seed_demo runs
# only with DEBUG on (it makes accounts with a known password).
manage() { DEBUG=true "$VENV_BIN/python" manage.py "$@"; }
manage migrate --noinput -v 0
manage sync_roles >/dev/null
manage seed_demo --password "$DEMO_PASSWORD" --patients "${FUZZ_PATIENTS:-60}" >/dev/null

# --------------------------------------------------------------------------------------------
port=$("$VENV_BIN/python" -c \
    'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
say "Serving on $base (gunicorn, deploy/gunicorn.conf.py)"
# As deployed (deploy/gunicorn.conf.py: its limits answer too), sized for two cores, with
# DEBUG off: real error answers, as in production (the local settings need no HTTPS).
DEBUG=false GUNICORN_BIND="127.0.0.1:$port" WEB_CONCURRENCY=2 GUNICORN_THREADS=2 \
    "$VENV_BIN/gunicorn" -c deploy/gunicorn.conf.py --access-logfile /dev/null ehr.wsgi \
    >"$work/server.log" 2>&1 &
server_pid=$!
for _ in $(seq 60); do
    if "$VENV_BIN/python" -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=2)' \
        "$base/health/" >/dev/null 2>&1; then
        break
    fi
    kill -0 "$server_pid" 2>/dev/null || { cat "$work/server.log"; echo "The server did not start" >&2; exit 1; }
    sleep 0.5
done

access_token() { # access_token <email>: a JWT access token from POST /api/v1/auth/login
    "$VENV_BIN/python" - "$base/api/v1/auth/login" "$1" "$DEMO_PASSWORD" <<'EOF'
import json, sys, urllib.request
url, email, password = sys.argv[1:]
request = urllib.request.Request(
    url,
    data=json.dumps({"email": email, "password": password}).encode(),
    headers={"Content-Type": "application/json"},
)
with urllib.request.urlopen(request, timeout=10) as response:
    print(json.load(response)["access"])
EOF
}

# --------------------------------------------------------------------------------------------
# Phases, for each persona (each reaches other writes: clinical records, or registration
# and booking): coverage (every boundary and invalid value the schema defines, a few
# thousand cases, the most of the time), fuzzing (MAX_EXAMPLES random cases per operation),
# stateful (chains of operations along the schema's links).
phases=${FUZZ_PHASES:-examples,coverage,fuzzing,stateful}
failed=()
for persona in doctor reception; do
    say "schemathesis as $persona@example.org ($phases; seed $SEED, $MAX_EXAMPLES examples)"
    token=$(access_token "$persona@example.org") # fresh: access tokens live 15 minutes
    rc=0
    timeout --kill-after=10 "$RUN_TIMEOUT" \
        "$VENV_BIN/schemathesis" --config-file "$CONFIG" --no-color \
        run "$base/api/v1/schema/" \
        --phases "$phases" \
        --header "Authorization: Bearer $token" \
        --max-examples "$MAX_EXAMPLES" \
        --seed "$SEED" \
        --workers 2 \
        --request-timeout 30 \
        --generation-database none \
        --report junit,ndjson --report-dir "$work/report-$persona" ||
        rc=$?
    if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        echo "schemathesis as $persona did not finish within $RUN_TIMEOUT s" >&2
    fi
    [ "$rc" -eq 0 ] || failed+=("$persona (exit $rc)")
done

# Every 500 already failed a check above; the server's own log is a second witness. (Bad
# requests Django answers 400 with a logged traceback, such as a multipart body without a
# boundary, are not server errors.)
if grep -q "Internal Server Error" "$work/server.log"; then
    say "Server errors in the server's log"
    grep -E "Internal Server Error|^[A-Za-z_.]+(Error|Exception)\b" "$work/server.log" |
        grep -v "MultiPartParserError" | head -100
    failed+=("server errors in the server's log")
fi

say "API fuzzing took $((SECONDS - started)) s"
if [ ${#failed[@]} -gt 0 ]; then
    echo "API fuzzing FAILED: ${failed[*]}" >&2
    exit 1
fi
echo "API fuzzing passed: every answer as the schema documents, no server error"

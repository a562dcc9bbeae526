#!/usr/bin/env python
"""Patient search benchmark on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehr \\
        .venv/bin/python bench/patient_search.py --patients 100000

Works in its own database (`ehr_bench` on the server of DATABASE_URL; created if
missing, dropped and recreated with --fresh), loads N synthetic patients once (Faker
names; 1 % are called Smith, 3 carry a rare name), ANALYZEs, then times the search of
the patient list (`patient_search(...)[:25]`, as the list page runs it) for typical
terms against a floor query (`Patient.objects.order_by("pk")[:25]`), prints the
EXPLAIN (ANALYZE) plans, and optionally times the whole /patients/?q= page through the
Django test client against a one-query page served by the same middleware.

Figures are printed and written to bench/results/patient_search-<timestamp>.txt.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

BATCH = 5_000
RARE_NAME = "Quarterbridge"
COMMON_NAME = "Smith"
BENCH_MARK = "bench"

# The page benchmark serves these URLs in front of the project's own (see setup_urls).
urlpatterns = []


class Report:
    """Print lines and keep them for the results file."""

    def __init__(self):
        self.lines = []

    def __call__(self, line=""):
        print(line, flush=True)
        self.lines.append(line)

    def save(self, path):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.lines) + "\n")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=100_000, help="patients to load")
    parser.add_argument("--database", default="ehr_bench", help="database to work in")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument("--repetitions", type=int, default=200, help="timed runs per query")
    parser.add_argument("--warmup", type=int, default=10, help="untimed runs per query")
    parser.add_argument(
        "--page-repetitions", type=int, default=50, help="timed runs per page (0: skip pages)"
    )
    parser.add_argument("--seed", type=int, default=20261122)
    parser.add_argument(
        "--no-vacuum",
        action="store_true",
        help="measure right after loading (GIN pending lists not merged; see README)",
    )
    return parser.parse_args()


# --- Database -----------------------------------------------------------------------------


def bench_url(name):
    """Return DATABASE_URL pointed at database `name`; refuse anything but PostgreSQL."""
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in ("postgres", "postgresql", "pgsql"):
        sys.exit(
            "bench/patient_search.py measures PostgreSQL (trigram indexes, its planner): set "
            "DATABASE_URL=postgres://user@host:port/db. SQLite figures would mean nothing."
        )
    return url, urlunsplit(parts._replace(path=f"/{name}"))


def ensure_database(url, name, fresh, say):
    """Create database `name` (drop it first with `fresh`) on the server of `url`."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(url)
    conninfo = {
        "host": parts.hostname or "localhost",
        "port": parts.port or 5432,
        "user": unquote(parts.username or "") or None,
        "password": unquote(parts.password or "") or None,
        "dbname": "postgres",
    }
    with psycopg.connect(**{k: v for k, v in conninfo.items() if v}, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            say(f"Dropping database {name}")
            conn.execute(sql.SQL("DROP DATABASE {} WITH (FORCE)").format(sql.Identifier(name)))
            exists = None
        if not exists:
            say(f"Creating database {name}")
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def setup_django(database_url):
    import warnings

    warnings.filterwarnings("ignore", message="No directory at")
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehr.settings.local")
    os.environ.setdefault("REDIS_URL", "")
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    # DEBUG off (no query log), locmem email, "testserver" allowed for the page runs.
    setup_test_environment(debug=False)


# --- Data ---------------------------------------------------------------------------------


def synthetic_rows(start, stop, seed):
    """Return patient rows `start`…`stop - 1` (deterministic per position)."""
    from faker import Faker

    from patients.models import MaritalStatus, Sex

    fake = Faker("en_US")
    fake.seed_instance(seed + start)
    rng = random.Random(seed + start)  # noqa: S311 - synthetic data, reproducible
    today = date.today()
    rows = []
    for i in range(start, stop):
        sex = rng.choice([Sex.FEMALE, Sex.MALE, Sex.FEMALE, Sex.MALE, Sex.OTHER])
        first = fake.first_name_female() if sex == Sex.FEMALE else fake.first_name_male()
        if i % 100 == 0:
            last = COMMON_NAME  # the 1 % skew: the most common name of the register
        elif i % 40_000 == 12_345:
            last = RARE_NAME
        else:
            last = fake.last_name()
            while last in (COMMON_NAME, RARE_NAME):
                last = fake.last_name()
        rows.append(
            {
                "first_name": first,
                "middle_name": fake.first_name() if rng.random() < 0.3 else "",
                "last_name": last,
                "date_of_birth": today - timedelta(days=rng.randint(0, 95 * 365)),
                "sex": sex,
                "phone": (
                    f"+1{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
                ),
                "email": f"{first}.{last}{i}@example.net".lower() if rng.random() < 0.7 else "",
                "city": fake.city(),
                "country": "United States",
                "marital_status": rng.choice(MaritalStatus.values),
                "additional_data": {BENCH_MARK: True},
            }
        )
    return rows


def load_patients(wanted, seed, say):

    from patients.models import Patient
    from patients.services import patients_bulk_load

    have = Patient.objects.count()
    if have >= wanted:
        say(f"{have:,} patients already loaded")
        return
    say(f"Loading {wanted - have:,} patients (have {have:,}) in batches of {BATCH:,}…")
    started = time.perf_counter()
    for start in range(have, wanted, BATCH):
        stop = min(wanted, start + BATCH)
        patients_bulk_load(rows=synthetic_rows(start, stop, seed), batch_size=1_000)
        if (stop // BATCH) % 4 == 0 or stop == wanted:
            rate = (stop - have) / (time.perf_counter() - started)
            say(f"  {stop:,} patients ({rate:,.0f}/s)")
    say(f"Loaded in {time.perf_counter() - started:.0f} s")


def vacuum(say):
    """VACUUM ANALYZE the patient table: fresh statistics, and the GIN indexes' pending
    lists merged into the index (a bulk load leaves up to gin_pending_list_limit of
    entries there, which every trigram search then scans linearly; in production
    autovacuum does this)."""
    from django.db import connection

    started = time.perf_counter()
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE patients_patient")
    say(f"VACUUM ANALYZE patients_patient: {time.perf_counter() - started:.1f} s")


# --- Measurement --------------------------------------------------------------------------


def timings(fn, repetitions, warmup):
    """Return (median, p95) in ms of `repetitions` runs of fn() after `warmup` runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repetitions):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[max(0, round(0.95 * len(samples)) - 1)]
    return statistics.median(samples), p95


def explain(queryset, runs=20):
    """Return (median execution ms reported by EXPLAIN ANALYZE, plan text)."""
    plan, times = "", []
    for _ in range(runs):
        plan = queryset.explain(analyze=True, buffers=True)
        for line in plan.splitlines():
            if line.strip().startswith("Execution Time:"):
                times.append(float(line.split(":")[1].split()[0]))
    return statistics.median(times), plan


def plan_summary(plan):
    """Return the plan lines that show how rows are found and ordered."""
    keep = (
        "Scan",
        "Limit",
        "Sort",
        "BitmapOr",
        "BitmapAnd",
        "Recheck",
        "Heap Blocks",
        "Rows Removed",
        "Execution Time",
        "Planning Time",
    )
    return [line.rstrip() for line in plan.splitlines() if any(k in line for k in keep)]


def search_cases():
    """Return [(label, query)] of the search terms measured, drawn from the data."""
    from patients.models import Patient

    total = Patient.objects.count()
    middle = Patient.objects.order_by("mrn").values_list("mrn", flat=True)[total // 2]
    smith = Patient.objects.filter(last_name=COMMON_NAME).order_by("mrn").first()
    phone = (
        Patient.objects.exclude(phone="")
        .order_by("mrn")
        .values_list("phone", flat=True)[total // 3]
    )
    digits = phone.as_e164[-7:]
    national = phone.as_e164[-10:]
    return [
        ("MRN exact", middle),
        ("MRN with prefix", f"MRN{middle}"),
        ("MRN without leading zeros", middle.lstrip("0")),
        ("rare name", RARE_NAME.lower()),
        ("common name (smith)", "smith"),
        ("phonetic (smyth)", "smyth"),
        ("first-name prefix (jon)", "jon"),
        ("first name by sound + surname", "tomas smith"),
        ("surname + first name by sound", "smith tomas"),
        ("name + dob", f"smith {smith.date_of_birth.isoformat()}"),
        ("name + dob, locale (en)", f"smith {smith.date_of_birth:%m/%d/%Y}"),
        ("dob alone, ambiguous", "03/04/1980"),
        ("phone, last 7 digits", digits),
        ("phone, local 555-4820 style", f"{digits[:3]}-{digits[3:]}"),
        ("phone, (202) 555-4820 style", f"({national[:3]}) {national[3:6]}-{national[6:]}"),
        ("phone, +1 202-555-4820 style", f"+1 {national[:3]}-{national[3:6]}-{national[6:]}"),
    ]


def measure_queries(args, say):
    from django.db import connection

    from patients.models import Patient
    from patients.selectors import patient_search

    def page(query):
        return patient_search(Patient.objects.filter(is_active=True), query).order_by(
            "last_name", "first_name", "mrn"
        )[:25]

    floor_qs = Patient.objects.order_by("pk")[:25]
    # .all() clones the queryset: a list() of the same object would hit its result cache.
    floor_median, floor_p95 = timings(lambda: list(floor_qs.all()), args.repetitions, args.warmup)
    floor_db, _plan = explain(floor_qs)
    rows = [("floor: order_by(pk)[:25]", "", floor_median, floor_p95, floor_db, 25)]
    plans = {}
    for label, query in search_cases():
        qs = page(query)
        median, p95 = timings(lambda qs=qs: list(qs.all()), args.repetitions, args.warmup)
        db_ms, plan = explain(qs)
        plans[label] = (query, plan)
        rows.append((label, query, median, p95, db_ms, len(list(qs))))

    say()
    say(
        f"Search at {Patient.objects.count():,} patients, PostgreSQL "
        f"{connection.pg_version // 10000}; {args.repetitions} runs after {args.warmup} warm-up"
    )
    say(
        "round trip = time.perf_counter() around list(queryset) in Django (SQL build, query, rows);"
    )
    say("db = Execution Time of EXPLAIN (ANALYZE, BUFFERS), median of 20.")
    say()
    header = (
        f"| {'query':<30} | {'term':<24} | {'median ms':>9} | {'p95 ms':>7} | "
        f"{'x floor':>7} | {'db ms':>7} | {'rows':>4} |"
    )
    say(header)
    say("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for label, query, median, p95, db_ms, count in rows:
        say(
            f"| {label:<30} | {query[:24]:<24} | {median:9.2f} | {p95:7.2f} | "
            f"{median / floor_median:7.1f} | {db_ms:7.2f} | {count:>4} |"
        )
    say()
    budget = {label: db for label, _q, _m, _p, db, _c in rows}
    say("Budget (QUALITY.md): db time <= 25 ms for a 3+ character term; MRN <= 1 ms")
    for label, db_ms in budget.items():
        if label.startswith("floor"):
            continue
        limit = 1.0 if label.startswith("MRN") else 25.0
        verdict = "ok" if db_ms <= limit else "MISSES BUDGET"
        say(f"  {label:<30} {db_ms:7.2f} ms (limit {limit:g} ms) {verdict}")
    return plans


def measure_list_parts(args, say):
    """Time the list page's other queries: they run on every request too."""
    from patients.models import Patient
    from patients.selectors import patient_statistics

    active = Patient.objects.filter(is_active=True)
    parts = [
        ("statistics (one aggregate)", lambda: patient_statistics(Patient.objects.all())),
        (
            "unsearched list, first page",
            lambda: list(active.order_by("last_name", "first_name", "mrn")[:25]),
        ),
        ("unsearched list, count(*)", lambda: active.count()),
    ]
    repetitions = max(10, args.repetitions // 10)
    say()
    say(f"The list page's other queries ({repetitions} runs after 3 warm-up):")
    say()
    say(f"| {'query':<28} | {'median ms':>9} | {'p95 ms':>7} |")
    say(f"|{'-' * 30}|{'-' * 11}|{'-' * 9}|")
    for label, fn in parts:
        median, p95 = timings(fn, repetitions, 3)
        say(f"| {label:<28} | {median:9.2f} | {p95:7.2f} |")
    _ms, plan = explain(active.order_by("last_name", "first_name", "mrn")[:25], runs=1)
    say()
    say("-- unsearched list, first page:")
    for line in plan_summary(plan):
        say(f"   {line}")


def print_plans(plans, say):
    say()
    say("Query plans (EXPLAIN ANALYZE, BUFFERS), summary lines:")
    for label in (
        "MRN exact",
        "common name (smith)",
        "phonetic (smyth)",
        "name + dob",
        "phone, (202) 555-4820 style",
    ):
        query, plan = plans[label]
        say()
        say(f"-- {label}: {query!r}")
        for line in plan_summary(plan):
            say(f"   {line}")
    uses = {
        label: {
            "trigram": "_trgm" in plan,
            "mrn btree": "patients_patient_mrn" in plan,
            "phonetic btree": "phonetic_idx" in plan,
            "reversed phone btree": "patient_phone_reversed_idx" in plan,
            "dob btree": "patient_dob_idx" in plan,
            "seq scan": "Seq Scan" in plan,
        }
        for label, (_q, plan) in plans.items()
    }
    say()
    say("Index use per query:")
    for label, flags in uses.items():
        on = ", ".join(k for k, v in flags.items() if v) or "none"
        say(f"  {label:<30} {on}")


# --- Pages --------------------------------------------------------------------------------


def floor_page(request):
    """A one-query page through the same middleware: 25 patients in a small template."""
    from django.http import HttpResponse
    from django.template import engines

    from patients.models import Patient

    template = engines["django"].from_string(
        "<!doctype html><title>floor</title><ul>{% for p in patients %}"
        "<li>{{ p.last_name }}, {{ p.first_name }} {{ p.mrn }}</li>{% endfor %}</ul>"
    )
    patients = list(Patient.objects.order_by("pk")[:25])
    return HttpResponse(template.render({"patients": patients}, request))


def setup_urls():
    """Serve the floor page in front of the project's URLs (this module is the urlconf)."""
    from django.conf import settings
    from django.urls import clear_url_caches, include, path

    urlpatterns[:] = [path("bench/floor/", floor_page), path("", include("ehr.urls"))]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()


def bench_receptionist():
    from accounts import roles
    from accounts.models import User
    from accounts.services import user_set_roles

    user = User.objects.filter(email="bench-receptionist@example.org").first()
    if user is None:
        user = User.objects.create_user(
            "bench-receptionist@example.org", first_name="Bench", last_name="Receptionist"
        )
    user_set_roles(user=user, role_names=[roles.RECEPTIONIST])
    return user


def measure_pages(args, say):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    setup_urls()
    client = Client()
    client.force_login(bench_receptionist())
    pages = [
        ("floor: one-query page", "/bench/floor/"),
        ("/patients/?q=smith", "/patients/?q=smith"),
        ("/patients/?q=<rare name>", f"/patients/?q={RARE_NAME.lower()}"),
        ("/patients/ (no search)", "/patients/"),
    ]
    results = []
    for label, url in pages:
        response = client.get(url)
        if response.status_code != 200:
            say(f"{url} answered {response.status_code}; page timings skipped")
            return
        with CaptureQueriesContext(connection) as captured:
            client.get(url)
        # Read them now: the next request's request_started signal resets the log.
        queries = list(captured)
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        slowest = max(queries, key=lambda q: float(q["time"]))
        median, p95 = timings(lambda url=url: client.get(url), args.page_repetitions, 5)
        results.append((label, median, p95, len(queries), sql_ms, slowest))
    floor = results[0][1]
    say()
    say(
        f"Pages through the Django test client (full middleware, signed in as a "
        f"receptionist), {args.page_repetitions} runs after 5 warm-up:"
    )
    say()
    header = (
        f"| {'page':<26} | {'median ms':>9} | {'p95 ms':>7} | {'x floor':>7} | "
        f"{'queries':>7} | {'SQL ms':>7} |"
    )
    say(header)
    say("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for label, median, p95, count, sql_ms, _slowest in results:
        say(
            f"| {label:<26} | {median:9.1f} | {p95:7.1f} | {median / floor:7.1f} | "
            f"{count:>7} | {sql_ms:7.1f} |"
        )
    say()
    say("Slowest query of each page (one run):")
    for label, *_rest, slowest in results:
        say(f"  {label}: {float(slowest['time']) * 1000:.1f} ms  {slowest['sql'][:160]}…")


def main():
    args = parse_args()
    say = Report()
    url, database_url = bench_url(args.database)
    ensure_database(url, args.database, args.fresh, say)
    setup_django(database_url)

    from django.core.management import call_command

    say(f"Migrating {args.database}…")
    call_command("migrate", verbosity=0, interactive=False)
    load_patients(args.patients, args.seed, say)
    if not args.no_vacuum:
        vacuum(say)
    plans = measure_queries(args, say)
    print_plans(plans, say)
    measure_list_parts(args, say)
    if args.page_repetitions:
        measure_pages(args, say)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = ROOT / "bench" / "results" / f"patient_search-{stamp}.txt"
    say.save(path)
    print(f"\nWritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

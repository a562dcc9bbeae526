#!/usr/bin/env python
"""Key pages against the floor page: throughput per core, served as in production.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehr \\
        .venv/bin/python bench/pages.py            # --fresh, --pages, --seconds, --pairs

Works in its own PostgreSQL database (`ehr_bench_pages` on the server of DATABASE_URL;
created, migrated and filled once: the demo hospital of `seed_demo`, so the signed-in
doctor has the demo's clinical density, plus synthetic patients up to --patients, 100,000
by default, then VACUUM ANALYZE). It then starts gunicorn with `deploy/gunicorn.conf.py`
and the production settings (`bench/pages_site.py`: production plus the floor page at
/bench/floor/, a signed-in page that runs one query of its own), signs in as the demo
doctor, nurse and receptionist, and for every key page runs wrk against the floor page
and the key page in turns (--pairs times, --seconds each). Per page it prints:

* req/s of the page and of the floor in the same pairs, and the ratio (the QUALITY.md
  rule: at least 0.5);
* median and p99 latency (wrk's);
* CPU ms per request of the gunicorn workers (from /proc, user + system);
* queries per request (one request in this process through the same settings).

Figures are printed and written to bench/results/pages-<timestamp>.txt. Needs wrk
(`apt-get install wrk`). `--profile PAGE` instead runs 40 requests of one page in this
process under pyinstrument and prints where the time goes.
"""

import argparse
import os
import re
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(BENCH))

from bed_board import Report, bench_url, ensure_database  # noqa: E402

DEMO_PASSWORD = "Demo-Passw0rd!"  # noqa: S105 (the demo accounts' published password)
ROLES = {
    "doctor": "doctor@example.org",
    "nurse": "nurse@example.org",
    "reception": "reception@example.org",
}


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="ehr_bench_pages", help="database to work in")
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the data")
    parser.add_argument("--patients", type=int, default=100_000, help="patients in all")
    parser.add_argument("--seconds", type=int, default=5, help="seconds of wrk per turn")
    parser.add_argument("--pairs", type=int, default=3, help="floor/page turns per page")
    parser.add_argument("--connections", type=int, default=8, help="wrk connections")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--pages", default="", help="page names, separated by , or ;")
    parser.add_argument("--profile", default="", help="profile one page in this process")
    parser.add_argument("--build-only", action="store_true", help=argparse.SUPPRESS)
    return parser.parse_args()


# --- Data (a subprocess with the development settings) -------------------------------------


def build(args, database_url, say):
    """Migrate, seed the demo hospital and top the patients up to --patients (once)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "ehr.settings.local",
        "REDIS_URL": "",
    }
    python = sys.executable
    subprocess.run(
        [python, "manage.py", "migrate", "--no-input", "-v", "0"], cwd=ROOT, env=env, check=True
    )
    build_step = [python, str(Path(__file__)), "--build-only", *sys.argv[1:]]
    subprocess.run(build_step, env=env, check=True)
    # The production settings serve hashed static files from the manifest.
    collect = [python, "manage.py", "collectstatic", "--no-input", "-v", "0"]
    subprocess.run(collect, cwd=ROOT, env=site_env(database_url), check=True)


def build_in_process(args, say):
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from patient_search import load_patients

    from accounts.models import User

    if not User.objects.filter(email=ROLES["doctor"]).exists():
        say("Seeding the demo hospital…")
        call_command("seed_demo", password=DEMO_PASSWORD, verbosity=0)
    load_patients(args.patients, 20261204, say)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")


# --- Serving ------------------------------------------------------------------------------


def site_env(database_url):
    return {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "pages_site",
        "PYTHONPATH": os.pathsep.join([str(ROOT), str(BENCH)]),
        "SECRET_KEY": os.environ.get("SECRET_KEY", "bench-pages-" + "x" * 50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost,testserver",
        "REDIS_URL": os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/9"),
        "CACHE_KEY_PREFIX": "bench-pages",
        "SECURE_SSL_REDIRECT": "false",
    }


def start_gunicorn(args, env, say):
    gunicorn = Path(sys.executable).with_name("gunicorn")
    command = [
        str(gunicorn),
        "-c",
        str(ROOT / "deploy" / "gunicorn.conf.py"),
        "--bind",
        f"127.0.0.1:{args.port}",
        "--workers",
        str(args.workers),
        "--access-logfile",
        "/dev/null",
        "--error-logfile",
        str(BENCH / "results" / "pages-gunicorn.log"),
        "--pid",
        str(BENCH / "results" / "pages-gunicorn.pid"),
        "ehr.wsgi:application",
    ]
    (BENCH / "results").mkdir(exist_ok=True)
    process = subprocess.Popen(command, cwd=ROOT, env={**env, "WEB_CONCURRENCY": str(args.workers)})
    for _ in range(100):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{args.port}/health/", timeout=1)
            break
        except Exception:
            time.sleep(0.2)
    else:
        process.kill()
        raise SystemExit("gunicorn did not start; see bench/results/pages-gunicorn.log")
    say(f"gunicorn up on :{args.port}, {args.workers} workers (pid {process.pid})")
    return process


def workers_cpu_seconds(master_pid):
    """CPU seconds (user + system) of the master's workers, living and retired: the
    living children's own counters plus what the master has reaped of the retired ones
    (cutime, cstime), so a worker recycled by max_requests during a run still counts."""
    tick = os.sysconf("SC_CLK_TCK")

    def stat(pid):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()

    master = stat(master_pid)
    total = int(master[13]) + int(master[14])  # cutime, cstime (fields 16, 17)
    children = Path(f"/proc/{master_pid}/task/{master_pid}/children").read_text().split()
    for pid in children:
        try:
            fields = stat(pid)
        except FileNotFoundError:  # retired between the two reads: counted in cutime
            continue
        total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14, 15)
    return total / tick


# --- Pages --------------------------------------------------------------------------------


def page_table():
    """(name, role, path) of every key page, built from the demo data."""
    from django.db.models import Count
    from django.utils import timezone

    from accounts.models import User
    from clinical.models import Encounter
    from inpatient.models import Ward
    from patients.models import Patient
    from patients.selectors import patients_on_care_team_of
    from scheduling.models import Appointment, Clinic

    doctor = User.objects.get(email=ROLES["doctor"])
    # The doctor's own patient with the most encounters: the chart with the most to show.
    team = patients_on_care_team_of(doctor)
    busiest = (
        Encounter.objects.filter(patient__in=team)
        .values("patient")
        .annotate(n=Count("id"))
        .order_by("-n")
        .first()
    )
    patient = Patient.objects.get(pk=busiest["patient"])
    mrn = Patient.objects.filter(is_active=True).order_by("-mrn").values_list("mrn", flat=True)[0]
    ward = (
        Ward.objects.filter(rooms__beds__isnull=False)
        .annotate(n=Count("rooms__beds"))
        .order_by("-n")
        .first()
    )
    today = timezone.localdate()
    busy_day = (
        Appointment.objects.filter(start__date__gte=today)
        .values_list("start__date", flat=True)
        .order_by("start__date")
        .first()
    ) or today
    monday = today - timedelta(days=today.weekday())
    sunday_night = monday + timedelta(days=7)
    week = f"start={monday.isoformat()}T00:00:00&end={sunday_night.isoformat()}T00:00:00"
    clinic = Clinic.objects.order_by("name").first()
    chart = f"/patients/{patient.pk}/chart"
    events = "/scheduling/events/"
    # The bell's background poll as every open page sends it: nothing new since the page
    # was drawn (204), the usual answer.
    from ehr.core.selectors import notification_unread_count

    since = timezone.now().astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    poll = f"/notifications/poll/?since={since}&shown={notification_unread_count(doctor)}"
    return [
        ("floor", "doctor", "/bench/floor/"),
        ("doctor's home", "doctor", "/"),
        ("patient list", "reception", "/patients/"),
        ("patient list ?q=jon", "reception", "/patients/?q=jon"),
        ("patient list ?q=smith", "reception", "/patients/?q=smith"),
        ("patient list ?q=MRN", "reception", f"/patients/?q={mrn}"),
        ("chart summary", "doctor", f"{chart}/summary/"),
        ("chart vitals", "doctor", f"{chart}/vitals/"),
        ("chart notes", "doctor", f"{chart}/notes/"),
        ("chart encounters", "doctor", f"{chart}/encounters/"),
        ("arrivals", "reception", f"/scheduling/day/?date={busy_day.isoformat()}"),
        ("my day", "doctor", "/scheduling/my-day/"),
        ("census", "nurse", "/inpatient/census/"),
        ("bed board", "nurse", f"/inpatient/beds/?ward={ward.pk}"),
        ("nurse's home", "nurse", "/"),
        ("receptionist's home", "reception", "/"),
        ("API patients ?search=smith", "reception", "/api/v1/patients?search=smith"),
        (
            "API appointments ?date=",
            "reception",
            f"/api/v1/appointments?date={busy_day.isoformat()}",
        ),
        ("API encounters", "doctor", "/api/v1/encounters"),
        ("calendar page", "reception", "/scheduling/"),
        ("events JSON, doctor's week", "reception", f"{events}?doctor={doctor.pk}&{week}"),
        ("events JSON, clinic's week", "reception", f"{events}?clinic={clinic.pk}&{week}"),
        ("task list", "nurse", "/tasks/"),
        ("job list", "doctor", "/jobs/"),
        ("bell poll", "doctor", poll),
    ]


def sign_in(email):
    """A session cookie for the user, as the sign-in page would leave it."""
    from django.conf import settings
    from django.test import Client

    from accounts.models import User

    client = Client(HTTP_X_FORWARDED_PROTO="https")
    client.force_login(User.objects.get(email=email))
    # A browser also holds the CSRF cookie that the sign-in page set (kept home panels
    # are keyed by it); any page with a form sets it.
    client.get("/account/profile/", secure=True)
    cookies = [settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME]
    return client, "; ".join(f"{name}={client.cookies[name].value}" for name in cookies)


def count_queries(client, path):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(path, secure=True)  # warm
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, secure=True)
    return response.status_code, len(captured)


def check_page(args, path, cookie):
    request = urllib.request.Request(
        f"http://127.0.0.1:{args.port}{path}",
        headers={"Cookie": cookie, "X-Forwarded-Proto": "https"},
    )

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *a, **k):
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        response = opener.open(request, timeout=30)
        return response.status, len(response.read())
    except urllib.error.HTTPError as error:
        return error.code, 0


WRK_RPS = re.compile(r"Requests/sec:\s+([\d.]+)")
WRK_TOTAL = re.compile(r"(\d+) requests in")
WRK_PCT = re.compile(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", re.M)
WRK_BAD = re.compile(r"Non-2xx or 3xx responses: (\d+)")


def wrk(args, path, cookie, master_pid):
    before = workers_cpu_seconds(master_pid)
    output = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{args.connections}",
            f"-d{args.seconds}s",
            "--latency",
            "-H",
            f"Cookie: {cookie}",
            "-H",
            "X-Forwarded-Proto: https",
            f"http://127.0.0.1:{args.port}{path}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    cpu = workers_cpu_seconds(master_pid) - before
    total = int(WRK_TOTAL.search(output).group(1))
    scale = {"us": 0.001, "ms": 1.0, "s": 1000.0}
    pct = {p: float(v) * scale[u] for p, v, u in WRK_PCT.findall(output)}
    bad = WRK_BAD.search(output)
    return {
        "rps": float(WRK_RPS.search(output).group(1)),
        "p50": pct.get("50"),
        "p99": pct.get("99"),
        "cpu_ms": 1000 * cpu / max(total, 1),
        "bad": int(bad.group(1)) if bad else 0,
    }


def measure(args, say):
    import django

    django.setup()
    pages = page_table()
    if args.pages:
        # Names are separated by ";" when one holds a comma ("events JSON, clinic's week").
        separator = ";" if ";" in args.pages else ","
        wanted = {name.strip() for name in args.pages.split(separator)}
        pages = [p for p in pages if p[0] in wanted]
    pages = [p for p in pages if p[0] != "floor"]
    clients, cookies = {}, {}
    for role, email in ROLES.items():
        clients[role], cookies[role] = sign_in(email)
    env = site_env(os.environ["DATABASE_URL"])
    process = start_gunicorn(args, env, say)
    rows = []
    try:
        for name, role, path in [("floor", "doctor", "/bench/floor/"), *pages]:
            status, _size = check_page(args, path, cookies[role])
            if status not in (200, 204):
                raise SystemExit(f"{name}: {path} answered {status}, not 200 (or 204)")
        # warm both workers
        wrk(args, "/bench/floor/", cookies["doctor"], process.pid)
        say(
            f"{'page':<28} | {'req/s':>6} | {'floor':>6} | {'ratio':>5} | {'p50 ms':>6} | "
            f"{'p99 ms':>6} | {'CPU ms':>6} | {'floor CPU':>9} | {'queries':>7}"
        )
        say("-" * 104)
        for name, role, path in pages:
            floors, runs = [], []
            for _ in range(args.pairs):
                floors.append(wrk(args, "/bench/floor/", cookies[role], process.pid))
                runs.append(wrk(args, path, cookies[role], process.pid))
            bad = sum(r["bad"] for r in runs)
            status, queries = count_queries(clients[role], path)
            rps = statistics.mean(r["rps"] for r in runs)
            floor_rps = statistics.mean(r["rps"] for r in floors)
            row = (
                f"{name:<28} | {rps:6.0f} | {floor_rps:6.0f} | {rps / floor_rps:5.2f} | "
                f"{statistics.median(r['p50'] for r in runs):6.1f} | "
                f"{statistics.median(r['p99'] for r in runs):6.1f} | "
                f"{statistics.mean(r['cpu_ms'] for r in runs):6.1f} | "
                f"{statistics.mean(r['cpu_ms'] for r in floors):9.1f} | {queries:>7}"
                + (f"  ({bad} non-2xx!)" if bad else "")
            )
            rows.append((name, rps / floor_rps))
            say(row)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    below = [name for name, ratio in rows if ratio < 0.5]
    say("")
    say(
        "All pages at >= 0.5x the floor."
        if not below
        else f"Below 0.5x the floor: {', '.join(below)}"
    )


def profile(args, say):
    import django

    django.setup()
    from pyinstrument import Profiler

    pages = {name: (role, path) for name, role, path in page_table()}
    role, path = pages[args.profile]
    client, _ = sign_in(ROLES[role])
    for _ in range(5):
        client.get(path, secure=True)
    profiler = Profiler(interval=0.0005)
    started = time.process_time()
    with profiler:
        for _ in range(40):
            client.get(path, secure=True)
    say(f"{args.profile}: {1000 * (time.process_time() - started) / 40:.1f} CPU ms per request")
    say(profiler.output_text(unicode=True, color=False, show_all=False))


def main():
    args = parse_args()
    say = Report()
    if args.build_only:
        build_in_process(args, say)
        return
    server, database_url = bench_url(args.database)
    if server is None:
        raise SystemExit("bench/pages.py measures PostgreSQL: give a postgres DATABASE_URL.")
    ensure_database(server, args.database, args.fresh, say)
    build(args, database_url, say)
    for key, value in site_env(database_url).items():
        os.environ[key] = value
    if args.profile:
        profile(args, say)
        return
    measure(args, say)
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    say.save(BENCH / "results" / f"pages-{stamp}.txt")


if __name__ == "__main__":
    main()

#!/usr/bin/env python
"""Bed board benchmark: a 500-bed ward, about 80 % occupied.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehr \\
        .venv/bin/python bench/bed_board.py

Works in its own database (`ehr_bench_beds` on the PostgreSQL server of DATABASE_URL,
created if missing, recreated with --fresh; with a SQLite DATABASE_URL, a throw-away file
beside it, though PostgreSQL is the reference). Builds once, through the ADT services, a
ward of 500 beds (125 rooms of 4) with ~80 % of them occupied and some in every other
state, then times through the Django test client, signed in as a nurse and with the full
middleware:

* the floor: a one-query page served by the same stack;
* the bed board of the 500-bed ward (`/inpatient/beds/?ward=`): the budget page;
* the board's refresh (`/inpatient/beds/grid/`, what htmx polls every 15 s);
* the census page.

Each page: median and p95 server time over --repetitions runs (after 5 warm-up runs),
the ratio to the floor, its query count and SQL time, and the size of the HTML.
Budget (QUALITY.md): the board of 500 beds within 300 ms server time, and a query count
that does not grow with the ward (the tests check 1 vs 50 beds).

Figures are printed and written to bench/results/bed_board-<timestamp>.txt.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

WARD_NAME = "Bench ward (500 beds)"
BEDS = 500
PER_ROOM = 4
OCCUPANCY = 0.8

# The floor page is served in front of the project's URLs (see setup_urls).
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
    parser.add_argument("--database", default="ehr_bench_beds", help="database to work in")
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the data")
    parser.add_argument("--repetitions", type=int, default=50, help="timed requests per page")
    return parser.parse_args()


# --- Database -----------------------------------------------------------------------------


def bench_url(name):
    """Return (server URL, bench database URL) from DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme in ("postgres", "postgresql", "pgsql"):
        return url, urlunsplit(parts._replace(path=f"/{name}"))
    folder = ROOT / "bench" / "results"
    folder.mkdir(parents=True, exist_ok=True)
    return None, f"sqlite:///{folder / (name + '.sqlite3')}"


def ensure_database(url, name, fresh, say):
    """Create PostgreSQL database `name` (drop it first with `fresh`)."""
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
    from django.conf import settings

    # DEBUG off (no query log), "testserver" allowed for the test client. Not
    # setup_test_environment(): its instrumented template rendering sends a signal per
    # template, on which the test client copies the whole context, which would count
    # test-client work as server time.
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]


# --- Data ---------------------------------------------------------------------------------


def bench_user(email, role, first, last):
    from accounts.models import User
    from accounts.services import user_set_roles

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, first_name=first, last_name=last)
    user_set_roles(user=user, role_names=[role])
    return user


def build(say):
    """Create the 500-bed ward and fill it through the services (once)."""
    from accounts import roles
    from ehr.core.models import Hospital
    from inpatient import services
    from inpatient.models import Bed, RoomClass, Ward
    from patients.models import Patient, Sex
    from patients.services import patients_bulk_load

    doctor = bench_user("bench-doctor@example.org", roles.DOCTOR, "Bench", "Doctor")
    nurse = bench_user("bench-nurse@example.org", roles.NURSE, "Bench", "Nurse")
    hospital, _ = Hospital.objects.get_or_create(name="Bench hospital")
    ward, _ = Ward.objects.get_or_create(hospital=hospital, name=WARD_NAME)
    have = Bed.objects.filter(room__ward=ward).count()
    if have >= BEDS:
        say(f"{have} beds already built")
        return ward, nurse
    started = time.perf_counter()
    room_class, _ = RoomClass.objects.get_or_create(
        name="Bench four-bed room", defaults={"beds_per_room": PER_ROOM}
    )
    long_ago = datetime.now().astimezone() - timedelta(days=60)
    for number in range(1, BEDS // PER_ROOM + 1):
        room = services.ward_room_create(
            ward=ward, room_class=room_class, number=str(number), actor=None
        )
        for bed in room.beds.all():
            bed.status_changed_at = long_ago
            bed.save(update_fields=["status_changed_at"])
    services.ward_nurse_assign(ward=ward, user=nurse, actor=None)
    beds = list(Bed.objects.filter(room__ward=ward).order_by("room__number", "number"))
    occupied = int(BEDS * OCCUPANCY)
    rows = [
        {
            "first_name": f"Bench{i}",
            "last_name": f"Patient{i:04d}",
            "date_of_birth": datetime(1940 + i % 60, 1 + i % 12, 1 + i % 28).date(),
            "sex": Sex.FEMALE if i % 2 else Sex.MALE,
            "additional_data": {"bench": True},
        }
        for i in range(occupied)
    ]
    patients = patients_bulk_load(rows=rows)
    say(f"Admitting {occupied} patients through admission_create…")
    for i, (patient, bed) in enumerate(zip(patients, beds[:occupied], strict=True)):
        services.admission_create(
            patient=Patient.objects.get(pk=patient.pk),
            bed=bed,
            attending_doctor=doctor,
            actor=doctor,
            reason="Bench admission",
            admitted_at=datetime.now().astimezone() - timedelta(hours=1 + i % 200),
        )
    rest = beds[occupied:]
    for bed in rest[:20]:
        services.bed_block(bed=bed, reason="Maintenance", actor=nurse)
    for bed in rest[20:35]:
        services.bed_reserve(bed=bed, actor=nurse)
    say(f"Built {BEDS} beds, {occupied} occupied, in {time.perf_counter() - started:.0f} s")
    return ward, nurse


# --- Pages --------------------------------------------------------------------------------


def floor_page(request):
    """A one-query page through the same middleware: 25 beds in a small template."""
    from django.http import HttpResponse
    from django.template import engines

    from inpatient.models import Bed

    template = engines["django"].from_string(
        "<!doctype html><title>floor</title><ul>{% for b in beds %}"
        "<li>{{ b.number }} {{ b.status }}</li>{% endfor %}</ul>"
    )
    beds = list(Bed.objects.order_by("pk")[:25])
    return HttpResponse(template.render({"beds": beds}, request))


def setup_urls():
    """Serve the floor page in front of the project's URLs (this module is the urlconf)."""
    from django.conf import settings
    from django.urls import clear_url_caches, include, path

    urlpatterns[:] = [path("bench/floor/", floor_page), path("", include("ehr.urls"))]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()


def timings(fn, repetitions, warmup):
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repetitions):
        started = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - started) * 1000)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * len(samples)) - 1)]
    return statistics.median(samples), p95


def measure(args, ward, nurse, say):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from inpatient.selectors import bed_board

    setup_urls()
    client = Client()
    client.force_login(nurse)
    htmx = {"HTTP_HX_REQUEST": "true", "HTTP_X_EHR_BACKGROUND": "1"}
    pages = [
        ("floor: one-query page", "/bench/floor/", {}),
        ("bed board, 500 beds", f"/inpatient/beds/?ward={ward.pk}", {}),
        ("board refresh (htmx poll)", f"/inpatient/beds/grid/?ward={ward.pk}", htmx),
        ("census", "/inpatient/census/", {}),
    ]
    results = []
    for label, url, headers in pages:
        response = client.get(url, **headers)
        if response.status_code != 200:
            say(f"{url} answered {response.status_code}; skipped")
            continue
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url, **headers)
        queries = list(captured)
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        median, p95 = timings(
            lambda url=url, headers=headers: client.get(url, **headers), args.repetitions, 5
        )
        results.append((label, median, p95, len(queries), sql_ms, len(response.content)))

    selector_median, selector_p95 = timings(lambda: bed_board(wards=[ward]), args.repetitions, 5)
    with CaptureQueriesContext(connection) as captured:
        board = bed_board(wards=[ward])
    floor = results[0][1]
    say()
    say(
        f"{connection.vendor}: pages through the Django test client (full middleware, signed "
        f"in as a nurse), {args.repetitions} runs after 5 warm-up; "
        f"{board.total} beds, {board.counts['occupied']} occupied."
    )
    say()
    header = (
        f"| {'page':<27} | {'median ms':>9} | {'p95 ms':>7} | {'x floor':>7} | "
        f"{'queries':>7} | {'SQL ms':>7} | {'HTML KB':>7} |"
    )
    say(header)
    say("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
    for label, median, p95, count, sql_ms, size in results:
        say(
            f"| {label:<27} | {median:9.1f} | {p95:7.1f} | {median / floor:7.1f} | "
            f"{count:>7} | {sql_ms:7.1f} | {size / 1024:7.0f} |"
        )
    say(
        f"| {'bed_board() selector only':<27} | {selector_median:9.1f} | {selector_p95:7.1f} | "
        f"{selector_median / floor:7.1f} | {len(captured):>7} | {'':>7} | {'':>7} |"
    )
    board_median = next((r[1] for r in results if r[0].startswith("bed board")), None)
    if board_median is not None:
        verdict = "within" if board_median <= 300 else "OVER"
        say()
        say(
            f"Budget: bed board of 500 beds ≤ 300 ms server time: {board_median:.0f} ms "
            f"median, {verdict} budget."
        )


def main():
    args = parse_args()
    say = Report()
    server, database_url = bench_url(args.database)
    if server:
        ensure_database(server, args.database, args.fresh, say)
    else:
        say(
            "DATABASE_URL is not PostgreSQL: measuring on a SQLite file (PostgreSQL is the "
            "reference)."
        )
        path = Path(urlsplit(database_url).path)
        if args.fresh and path.exists():
            path.unlink()
    setup_django(database_url)

    from django.core.management import call_command

    say(f"Migrating {args.database}…")
    call_command("migrate", verbosity=0, interactive=False)
    ward, nurse = build(say)
    measure(args, ward, nurse, say)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = ROOT / "bench" / "results" / f"bed_board-{stamp}.txt"
    say.save(path)
    print(f"\nWritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

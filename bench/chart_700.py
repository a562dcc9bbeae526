#!/usr/bin/env python
"""Chart of a patient with 700 encounters: server time of the clinical chart tabs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehr \\
        .venv/bin/python bench/chart_700.py

Works in its own database (`ehr_bench_chart` on the PostgreSQL server of DATABASE_URL,
created if missing, recreated with --fresh; with a SQLite DATABASE_URL, a throw-away file
in bench/results/). Builds once one patient with 700 finished encounters, each with a set
of vital signs, a signed progress note with an addendum and a primary diagnosis, plus
60 problems, 30 allergies, 40 surgical and 40 family-history entries (simple-history's
bulk helper, so every row has its history row). Then times, through the Django test
client with the full middleware, signed in as a doctor of the care team:

* the floor: a one-query page served by the same stack;
* every clinical tab of the chart (summary, encounters and its last page, vitals with
  the trend charts, notes, problems, allergies, medical history), the demographics tab,
  one encounter and one note.

Each page: median and p95 server time over --repetitions runs (after 5 warm-up runs),
the ratio to the floor, its query count and SQL time, and the size of the HTML. Every
chart request writes its access-log row, as in production.
Budget (QUALITY.md): the chart of a patient with 700 encounters opens within 1 s.

Figures are printed and written to bench/results/chart_700-<timestamp>.txt.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

ENCOUNTERS = 700
BENCH_MARK = "bench-chart-700"
BUDGET_MS = 1000

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
    parser.add_argument("--database", default="ehr_bench_chart", help="database to work in")
    parser.add_argument("--fresh", action="store_true", help="drop and recreate the database")
    parser.add_argument("--repetitions", type=int, default=30, help="timed runs per page")
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
    from django.test.utils import setup_test_environment

    setup_test_environment(debug=False)


# --- Data ---------------------------------------------------------------------------------


def bench_user(email, role):
    from accounts.models import User
    from accounts.services import user_set_roles

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, first_name="Bench", last_name=role)
    user_set_roles(user=user, role_names=[role])
    return user


def build_chart(say):
    """Return the bench patient (700 encounters and the rest), building it once."""
    from django.db import transaction
    from django.utils import timezone
    from simple_history.utils import bulk_create_with_history

    from accounts import roles
    from clinical.models import (
        Allergy,
        ClinicalNote,
        Condition,
        DiagnosisCode,
        Encounter,
        FamilyHistory,
        SurgicalHistory,
        VitalSigns,
        body_mass_index,
    )
    from patients.models import Patient
    from patients.services import care_team_add, patients_bulk_load

    doctor = bench_user("bench-doctor@example.org", roles.DOCTOR)
    nurse = bench_user("bench-nurse@example.org", roles.NURSE)
    patient = Patient.objects.filter(additional_data__bench=BENCH_MARK).first()
    if patient is not None and patient.encounters.count() >= ENCOUNTERS:
        return patient, doctor
    started = time.monotonic()
    say(f"Building the chart: {ENCOUNTERS} encounters with vitals, notes, addenda…")
    with transaction.atomic():
        if patient is None:
            patient = patients_bulk_load(
                rows=[
                    {
                        "first_name": "Bench",
                        "last_name": "Sevenhundred",
                        "date_of_birth": datetime(1950, 5, 17).date(),
                        "sex": "female",
                        "additional_data": {"bench": BENCH_MARK},
                    }
                ]
            )[0]
        care_team_add(patient=patient, user=doctor, actor=None)
        care_team_add(patient=patient, user=nurse, actor=None)
        wanted = [f"Z{n // 1000:02d}.{n % 1000:03d}" for n in range(ENCOUNTERS + 60)]
        have = set(DiagnosisCode.objects.filter(code__in=wanted).values_list("code", flat=True))
        bulk_create_with_history(
            [
                DiagnosisCode(code=code, title=f"Bench code {code}", is_billable=True)
                for code in wanted
                if code not in have
            ],
            DiagnosisCode,
        )
        codes = list(DiagnosisCode.objects.filter(code__in=wanted).order_by("code"))
        now = timezone.now()
        encounters = bulk_create_with_history(
            [
                Encounter(
                    patient=patient,
                    doctor=doctor,
                    status="finished",
                    started_at=now - timedelta(days=3 * i + 1),
                    ended_at=now - timedelta(days=3 * i + 1) + timedelta(minutes=20),
                    chief_complaint=f"Visit {i}: follow-up of chronic problems",
                )
                for i in range(ENCOUNTERS)
            ],
            Encounter,
            batch_size=500,
            default_user=doctor,
        )
        bulk_create_with_history(
            [
                VitalSigns(
                    patient=patient,
                    encounter=e,
                    recorded_by=nurse,
                    recorded_at=e.started_at,
                    systolic_bp=110 + i % 50,
                    diastolic_bp=70 + i % 20,
                    heart_rate=55 + i % 60,
                    respiratory_rate=12 + i % 10,
                    temperature_c=Decimal("36.8"),
                    spo2=92 + i % 8,
                    weight_kg=Decimal("72.5"),
                    height_cm=Decimal("168"),
                    bmi=body_mass_index(Decimal("72.5"), Decimal("168")),
                    pain_score=i % 6,
                )
                for i, e in enumerate(encounters)
            ],
            VitalSigns,
            batch_size=500,
            default_user=nurse,
        )
        notes = bulk_create_with_history(
            [
                ClinicalNote(
                    patient=patient,
                    encounter=e,
                    author=doctor,
                    note_type="progress",
                    subjective="Feels well, no new complaints.",
                    objective="BP and pulse recorded; chest clear.",
                    assessment=f"Stable ({i}).",
                    plan="Continue; review in 3 months.",
                    status="signed",
                    signed_by=doctor,
                    signed_at=e.ended_at,
                    created_at=e.started_at,
                )
                for i, e in enumerate(encounters)
            ],
            ClinicalNote,
            batch_size=500,
            default_user=doctor,
        )
        bulk_create_with_history(
            [
                ClinicalNote(
                    patient=patient,
                    encounter=n.encounter,
                    author=doctor,
                    note_type="progress",
                    amends=n,
                    text="Addendum: results normal.",
                    status="signed",
                    signed_by=doctor,
                    signed_at=n.signed_at,
                    created_at=n.signed_at,
                )
                for n in notes
            ],
            ClinicalNote,
            batch_size=500,
            default_user=doctor,
        )
        bulk_create_with_history(
            [
                Condition(
                    patient=patient,
                    code=c,
                    encounter=e,
                    is_primary=True,
                    category="encounter-diagnosis",
                    clinical_status="resolved",
                    resolved_on=e.started_at.date(),
                )
                for c, e in zip(codes[:ENCOUNTERS], encounters, strict=True)
            ]
            + [
                Condition(patient=patient, code=c, clinical_status="active")
                for c in codes[ENCOUNTERS : ENCOUNTERS + 60]
            ],
            Condition,
            batch_size=500,
            default_user=doctor,
        )
        bulk_create_with_history(
            [
                Allergy(
                    patient=patient,
                    allergen=f"Allergen {i}",
                    recorded_by=nurse,
                    severity="severe" if i % 4 == 0 else "moderate",
                )
                for i in range(30)
            ],
            Allergy,
            default_user=nurse,
        )
        bulk_create_with_history(
            [SurgicalHistory(patient=patient, procedure=f"Procedure {i}") for i in range(40)],
            SurgicalHistory,
        )
        bulk_create_with_history(
            [
                FamilyHistory(patient=patient, relationship="mother", condition=f"Condition {i}")
                for i in range(40)
            ],
            FamilyHistory,
        )
    say(f"Built in {time.monotonic() - started:.1f} s")
    return patient, doctor


def analyze(say):
    """Refresh the planner's statistics after the bulk load, as autovacuum would."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the same statement on PostgreSQL and SQLite
    say("Statistics refreshed (ANALYZE)")


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


def timings(fn, repetitions, warmup=5):
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


def measure_pages(args, patient, doctor, say):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clinical.models import ClinicalNote, Encounter

    setup_urls()
    client = Client()
    client.force_login(doctor, backend="django.contrib.auth.backends.ModelBackend")
    chart = f"/patients/{patient.pk}/chart"
    encounter = Encounter.objects.filter(patient=patient).order_by("-started_at").first()
    note = ClinicalNote.objects.filter(patient=patient, amends__isnull=True).first()
    pages = [
        ("floor: one-query page", "/bench/floor/"),
        ("summary", f"{chart}/summary/"),
        ("encounters (page 1)", f"{chart}/encounters/"),
        ("encounters (page 35)", f"{chart}/encounters/?page=35"),
        ("vitals (+200-point trends)", f"{chart}/vitals/"),
        ("notes", f"{chart}/notes/"),
        ("problems", f"{chart}/problems/"),
        ("allergies", f"{chart}/allergies/"),
        ("medical history", f"{chart}/medical-history/"),
        ("demographics", f"{chart}/demographics/"),
        ("one encounter", f"/clinical/encounters/{encounter.pk}/"),
        ("one note", f"/clinical/notes/{note.pk}/"),
    ]
    results = []
    for label, url in pages:
        response = client.get(url)
        if response.status_code != 200:
            say(f"{url} answered {response.status_code}; stopping")
            return
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        queries = list(captured)
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        median, p95 = timings(lambda url=url: client.get(url), args.repetitions)
        results.append((label, median, p95, len(queries), sql_ms, len(response.content)))
    floor = results[0][1]
    say()
    say(
        f"{connection.vendor}: one patient with {ENCOUNTERS} encounters; pages through the "
        f"Django test client (full middleware, signed in as a doctor of the care team), "
        f"{args.repetitions} runs after 5 warm-up:"
    )
    say()
    header = (
        f"| {'page':<27} | {'median ms':>9} | {'p95 ms':>7} | {'x floor':>7} | "
        f"{'queries':>7} | {'SQL ms':>7} | {'HTML kB':>7} |"
    )
    say(header)
    say("|" + "|".join("-" * (len(c)) for c in header.split("|")[1:-1]) + "|")
    for label, median, p95, count, sql_ms, size in results:
        say(
            f"| {label:<27} | {median:9.1f} | {p95:7.1f} | {median / floor:7.1f} | "
            f"{count:>7} | {sql_ms:7.1f} | {size / 1024:7.1f} |"
        )
    say()
    worst = max(results[1:], key=lambda r: r[2])
    verdict = "ok" if worst[2] <= BUDGET_MS else "MISSES BUDGET"
    say(
        f"Budget (QUALITY.md): the chart opens within {BUDGET_MS} ms. Slowest p95: "
        f"{worst[0]} {worst[2]:.0f} ms: {verdict}"
    )


def main():
    args = parse_args()
    say = Report()
    url, database_url = bench_url(args.database)
    if url is not None:
        ensure_database(url, args.database, args.fresh, say)
    elif args.fresh:
        Path(urlsplit(database_url).path).unlink(missing_ok=True)
    setup_django(database_url)

    from django.core.management import call_command

    say(f"Migrating {args.database}…")
    call_command("migrate", verbosity=0, interactive=False)
    patient, doctor = build_chart(say)
    analyze(say)
    measure_pages(args, patient, doctor, say)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = ROOT / "bench" / "results" / f"chart_700-{stamp}.txt"
    say.save(path)
    print(f"\nWritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

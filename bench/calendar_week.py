#!/usr/bin/env python
"""Calendar benchmark: one clinic's week with about 2,000 appointments.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ehr \\
        .venv/bin/python bench/calendar_week.py

Works in its own database (`ehr_bench_calendar` on the PostgreSQL server of
DATABASE_URL, created if missing, recreated with --fresh; with a SQLite DATABASE_URL, a
throw-away file beside it, though PostgreSQL is the reference). Builds once, through the
scheduling services, a clinic of 20 doctors working 08:00-18:00 every day in their own
rooms, and books 2,000 appointments in next week (Monday to Sunday), a few of them
cancelled or confirmed. Then times, through the Django test client signed in as a
receptionist and with the full middleware:

* the floor: a one-query page served by the same stack;
* the events of the clinic's week (`/scheduling/events/?clinic=&start=&end=`, what
  FullCalendar fetches): the budget page;
* the events of one doctor's week (with the free slots as background events);
* the calendar page itself, and the arrivals list of the busiest day (~285 rows).

Each page: median and p95 server time over --repetitions runs (after 5 warm-up runs),
the ratio to the floor, its query count and SQL time, and the size of the answer.
Budget (QUALITY.md): the clinic's week of 2,000 appointments in ≤ 10 queries and
≤ 200 ms.

Figures are printed and written to bench/results/calendar_week-<timestamp>.txt.
"""

import argparse
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import quote, urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bed_board import (  # noqa: E402  (the shared bench helpers, after the path is set)
    Report,
    bench_url,
    ensure_database,
    setup_django,
    timings,
)

CLINIC_NAME = "Bench clinic (2,000 a week)"
DOCTORS = 20
APPOINTMENTS = 2000
DAY_START, DAY_END = 8, 18  # hours

# The floor page is served in front of the project's URLs (see setup_urls).
urlpatterns = []


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default="ehr_bench_calendar", help="database to work in")
    parser.add_argument("--fresh", action="store_true", help="drop and rebuild the data")
    parser.add_argument("--repetitions", type=int, default=30, help="timed requests per page")
    return parser.parse_args()


def bench_user(email, role, first, last):
    from accounts.models import User
    from accounts.services import user_set_roles

    user = User.objects.filter(email=email).first()
    if user is None:
        user = User.objects.create_user(email, first_name=first, last_name=last)
    user_set_roles(user=user, role_names=[role])
    return user


def week_start():
    """Next Monday (local date): the bookings are all in the future."""
    from django.utils import timezone

    today = timezone.localdate()
    return today + timedelta(days=7 - today.weekday())


def build(say):
    """Create the clinic, its doctors and schedules, and book the week (once)."""
    from datetime import time as clock

    from django.utils import timezone

    from accounts import roles
    from ehr.core.models import Hospital
    from patients.models import Patient, Sex
    from patients.services import patients_bulk_load
    from scheduling import services
    from scheduling.models import Appointment, AppointmentType, Clinic, ConsultationRoom

    receptionist = bench_user(
        "bench-receptionist@example.org", roles.RECEPTIONIST, "Bench", "Receptionist"
    )
    hospital, _ = Hospital.objects.get_or_create(name="Bench hospital")
    clinic, _ = Clinic.objects.get_or_create(hospital=hospital, name=CLINIC_NAME)
    first = week_start()
    tz = timezone.get_current_timezone()
    week = (
        timezone.make_aware(datetime.combine(first, clock()), tz),
        timezone.make_aware(datetime.combine(first + timedelta(days=7), clock()), tz),
    )
    have = Appointment.objects.filter(clinic=clinic, start__gte=week[0], start__lt=week[1]).count()
    doctors = [
        bench_user(f"bench-doctor-{i:02d}@example.org", roles.DOCTOR, "Bench", f"Doctor{i:02d}")
        for i in range(DOCTORS)
    ]
    if have >= APPOINTMENTS:
        say(f"{have} appointments already booked in the week of {first}")
        return clinic, doctors[0], receptionist, week
    started = time.perf_counter()
    for i, doctor in enumerate(doctors):
        room, _ = ConsultationRoom.objects.get_or_create(clinic=clinic, name=f"Room {i + 1:02d}")
        if not doctor.schedules.exists():
            for weekday in range(7):
                services.schedule_create(
                    doctor=doctor,
                    actor=receptionist,
                    weekday=weekday,
                    start_time=clock(DAY_START),
                    end_time=clock(DAY_END),
                    slot_minutes=15,
                    clinic=clinic,
                    room=room,
                    effective_from=timezone.localdate(),
                )
    appointment_type = AppointmentType.objects.filter(is_active=True).order_by("name").first()
    if appointment_type is None:
        appointment_type = AppointmentType.objects.create(
            name="Consultation", code="consultation", default_duration=15
        )
    rows = [
        {
            "first_name": f"Bench{i}",
            "last_name": f"Outpatient{i:04d}",
            "date_of_birth": datetime(1940 + i % 60, 1 + i % 12, 1 + i % 28).date(),
            "sex": Sex.FEMALE if i % 2 else Sex.MALE,
            "additional_data": {"bench": True},
        }
        for i in range(APPOINTMENTS // 4)
    ]
    patients = list(Patient.objects.filter(pk__in=[p.pk for p in patients_bulk_load(rows=rows)]))
    say(f"Booking {APPOINTMENTS} appointments through appointment_book…")
    # 20 doctors x 7 days x 40 slots = 5,600 slots; every 2.8th slot is booked.
    slots = [
        (doctor, week[0] + timedelta(days=day, hours=DAY_START, minutes=15 * n))
        for day in range(7)
        for n in range((DAY_END - DAY_START) * 4)
        for doctor in doctors
    ]
    step = len(slots) / APPOINTMENTS
    booked = 0
    for k in range(APPOINTMENTS):
        doctor, start = slots[int(k * step)]
        appointment = services.appointment_book(
            patient=patients[k % len(patients)],
            doctor=doctor,
            start=start,
            end=start + timedelta(minutes=15),
            appointment_type=appointment_type,
            actor=receptionist,
            allow_patient_overlap=True,
        )
        booked += 1
        if k % 20 == 0:
            services.appointment_confirm(appointment=appointment, actor=receptionist)
        elif k % 31 == 0:
            services.appointment_cancel(appointment=appointment, actor=receptionist, reason="Bench")
    say(f"Booked {booked} appointments in {time.perf_counter() - started:.0f} s")
    return clinic, doctors[0], receptionist, week


def analyze():
    """Give PostgreSQL's planner the statistics a production database has (a freshly
    built one has none until autovacuum runs: it then plans 2,000 rows as one)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def floor_page(request):
    """A one-query page through the same middleware: 25 appointments in a small template."""
    from django.http import HttpResponse
    from django.template import engines

    from scheduling.models import Appointment

    template = engines["django"].from_string(
        "<!doctype html><title>floor</title><ul>{% for a in rows %}"
        "<li>{{ a.start }} {{ a.status }}</li>{% endfor %}</ul>"
    )
    rows = list(Appointment.objects.order_by("pk")[:25])
    return HttpResponse(template.render({"rows": rows}, request))


def setup_urls():
    """Serve the floor page in front of the project's URLs (this module is the urlconf)."""
    from django.conf import settings
    from django.urls import clear_url_caches, include, path

    urlpatterns[:] = [path("bench/floor/", floor_page), path("", include("ehr.urls"))]
    settings.ROOT_URLCONF = __name__
    clear_url_caches()


def measure(args, clinic, doctor, receptionist, week, say):
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    setup_urls()
    client = Client()
    client.force_login(receptionist)
    start, end = (quote(timezone.localtime(m).isoformat()) for m in week)
    busiest = timezone.localdate(week[0]).isoformat()
    pages = [
        ("floor: one-query page", "/bench/floor/"),
        (
            "events: clinic week (2,000)",
            f"/scheduling/events/?clinic={clinic.pk}&start={start}&end={end}",
        ),
        (
            "events: one doctor's week",
            f"/scheduling/events/?doctor={doctor.pk}&start={start}&end={end}",
        ),
        ("calendar page (clinic)", f"/scheduling/?clinic={clinic.pk}&view=week&date={busiest}"),
        ("arrivals: one day", f"/scheduling/day/?clinic={clinic.pk}&date={busiest}"),
    ]
    results = []
    for label, url in pages:
        response = client.get(url)
        if response.status_code != 200:
            say(f"{url} answered {response.status_code}; skipped")
            continue
        with CaptureQueriesContext(connection) as captured:
            response = client.get(url)
        queries = list(captured)
        sql_ms = sum(float(q["time"]) for q in queries) * 1000
        median, p95 = timings(lambda url=url: client.get(url), args.repetitions, 5)
        results.append((label, median, p95, len(queries), sql_ms, len(response.content)))
    floor = results[0][1]
    events = client.get(pages[1][1]).json()
    say()
    say(
        f"{connection.vendor}: pages through the Django test client (full middleware, signed "
        f"in as a receptionist), {args.repetitions} runs after 5 warm-up; the clinic's week "
        f"holds {len(events)} appointments."
    )
    say()
    header = (
        f"| {'page':<28} | {'median ms':>9} | {'p95 ms':>7} | {'x floor':>7} | "
        f"{'queries':>7} | {'SQL ms':>7} | {'KB':>6} |"
    )
    say(header)
    say("|" + "|".join("-" * len(c) for c in header.split("|")[1:-1]) + "|")
    for label, median, p95, count, sql_ms, size in results:
        say(
            f"| {label:<28} | {median:9.1f} | {p95:7.1f} | {median / floor:7.1f} | "
            f"{count:>7} | {sql_ms:7.1f} | {size / 1024:6.0f} |"
        )
    week_row = next((r for r in results if r[0].startswith("events: clinic")), None)
    if week_row is not None:
        verdict = "within" if week_row[1] <= 200 and week_row[3] <= 10 else "OVER"
        say()
        say(
            f"Budget: the clinic's week ≤ 10 queries and ≤ 200 ms: {week_row[3]} queries, "
            f"{week_row[1]:.0f} ms median, {verdict} budget."
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
    clinic, doctor, receptionist, week = build(say)
    analyze()
    measure(args, clinic, doctor, receptionist, week, say)

    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    path = ROOT / "bench" / "results" / f"calendar_week-{stamp}.txt"
    say.save(path)
    print(f"\nWritten to {path.relative_to(ROOT)}")


if __name__ == "__main__":
    main()

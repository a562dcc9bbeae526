"""Reads: the bed board in a bounded number of queries, the census from bed stays."""

from datetime import datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from inpatient.models import Admission, Bed, BedStay
from inpatient.selectors import bed_board, census, ward_occupancy
from tests.factories.inpatient import WardFactory, admit, beds_in
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db


def queries(function, *args, **kwargs):
    with CaptureQueriesContext(connection) as context:
        result = function(*args, **kwargs)
    return len(context), result


def fill(ward, doctor, *, beds, occupied):
    for bed in beds_in(ward, beds)[:occupied]:
        admit(PatientFactory(), bed, doctor)


def test_the_board_costs_the_same_queries_for_one_bed_and_for_fifty(doctor):
    small, large = WardFactory(name="Small"), WardFactory(name="Large")
    fill(small, doctor, beds=1, occupied=1)
    fill(large, doctor, beds=50, occupied=40)
    n_small, board_small = queries(bed_board, wards=[small])
    n_large, board_large = queries(bed_board, wards=[large])
    assert n_small == n_large <= 3
    assert (board_small.total, board_large.total) == (1, 50)
    assert board_large.counts["occupied"] == 40
    tile = board_large.wards[0].rooms[0].tiles[0]
    assert tile.status == "occupied" and len(tile.lines) == 3
    assert tile.lines[2] == ("bed-doctor", "Dr House")


def test_the_board_puts_rooms_and_beds_in_natural_order_and_filters_by_state(ward, doctor):
    beds = beds_in(ward, 12, per_room=4)  # rooms "1", "2", "3"
    admit(PatientFactory(), beds[5], doctor)
    board = bed_board(wards=[ward])
    assert [r.number for r in board.wards[0].rooms] == ["1", "2", "3"]
    assert [t.number for t in board.wards[0].rooms[0].tiles] == ["A", "B", "C", "D"]
    occupied = bed_board(wards=[ward], status=Bed.Status.OCCUPIED)
    assert occupied.shown == 1 and occupied.total == 12
    assert [r.number for r in occupied.wards[0].rooms] == ["2"]


def test_a_tile_shows_name_age_sex_days_in_bed_and_doctor(bed, doctor):
    patient = PatientFactory(first_name="Ada", last_name="Lovelace", sex="female")
    bed.status_changed_at = timezone.now() - timedelta(days=5)
    bed.save()
    admit(patient, bed, doctor, admitted_at=timezone.now() - timedelta(days=3, hours=1))
    tile = bed_board(wards=[bed.room.ward]).wards[0].rooms[0].tiles[0]
    assert tile.lines == [
        ("bed-patient", "Lovelace, Ada"),
        ("bed-facts", f"{patient.age_display} · Female · 3 days in bed"),
        ("bed-doctor", "Dr House"),
    ]
    assert tile.url == reverse("inpatient:bed_detail", args=[bed.pk])


def test_an_expired_reservation_shows_as_available(bed, nurse):
    bed.status = Bed.Status.RESERVED
    bed.reserved_until = timezone.now() - timedelta(minutes=1)
    bed.save()
    board = bed_board(wards=[bed.room.ward])
    tile = board.wards[0].rooms[0].tiles[0]
    assert (tile.status, tile.reservation_expired) == ("available", True)
    assert tile.lines == [("bed-note", "reservation ran out")]
    row = ward_occupancy()[0]
    assert (row["available"], row["reserved"]) == (4, 0)


# --- Census from constructed stays ------------------------------------------------------------


def midnight(days_ago):
    day = timezone.localdate() - timedelta(days=days_ago)
    return timezone.make_aware(datetime.combine(day, time.min))


def stay(admission, bed, start, end=None, reason="admission"):
    return BedStay.objects.create(
        admission=admission, bed=bed, started_at=start, ended_at=end, reason=reason
    )


@pytest.fixture
def history(ward, doctor):
    """Three beds and three admissions with known intervals (see the test)."""
    beds = beds_in(ward, 3)

    def admission(admitted, discharged=None):
        return Admission.objects.create(
            patient=PatientFactory(),
            admitting_doctor=doctor,
            attending_doctor=doctor,
            reason="x",
            admitted_at=admitted,
            status="discharged" if discharged else "admitted",
            discharged_at=discharged,
            disposition="home" if discharged else "",
        )

    # A: day -5 10:00 until day -2 15:00, one bed.
    a_in, a_out = midnight(5) + timedelta(hours=10), midnight(2) + timedelta(hours=15)
    stay(admission(a_in, a_out), beds[0], a_in, a_out)
    # B: day -1 08:00, still in bed.
    b_in = midnight(1) + timedelta(hours=8)
    stay(admission(b_in), beds[1], b_in)
    # C: admitted at midnight of day -3, transferred at midnight of day -1, discharged
    # day -1 20:00.
    c_out = midnight(1) + timedelta(hours=20)
    c = admission(midnight(3), c_out)
    stay(c, beds[2], midnight(3), midnight(1))
    stay(c, beds[0], midnight(1), c_out, reason="transfer")
    beds[1].status = Bed.Status.OCCUPIED
    beds[1].save()
    beds[2].status = Bed.Status.CLEANING
    beds[2].save()
    return beds


def test_occupancy_at_midnight_counts_the_stays_spanning_each_midnight(history):
    report = census()
    by_day = {d.day: d for d in report.days}
    today = timezone.localdate()
    expected = {5: 0, 4: 1, 3: 2, 2: 2, 1: 1, 0: 1}
    for days_ago, count in expected.items():
        day = by_day[today - timedelta(days=days_ago)]
        assert day.occupied_at_midnight == count, days_ago
        assert day.occupancy == round(100 * count / 3, 1)
    assert len(report.days) == 30 and report.days[-1].day == today


def test_admissions_discharges_and_transfers_per_day(history):
    by_day = {d.day: d for d in census().days}
    today = timezone.localdate()

    def on(days_ago):
        d = by_day[today - timedelta(days=days_ago)]
        return (d.admissions, d.discharges, d.transfers)

    assert on(5) == (1, 0, 0)
    assert on(3) == (1, 0, 0)
    assert on(2) == (0, 1, 0)
    assert on(1) == (1, 1, 1)
    assert on(0) == (0, 0, 0)


def test_average_length_of_stay_of_the_discharges(history):
    report = census()
    # A: 3 d 5 h; C: 2 d 20 h.
    assert report.discharged_count == 2
    assert report.average_length_of_stay == timedelta(hours=(77 + 68) / 2)


def test_occupancy_now_adds_up_per_ward(history, other_ward):
    beds_in(other_ward, 2)
    report = census()
    rows = {r["name"]: r for r in report.wards}
    medical = rows["Medical Ward"]
    assert (medical["total"], medical["occupied"], medical["cleaning"], medical["available"]) == (
        3,
        1,
        1,
        1,
    )
    for row in report.wards:
        assert sum(row[s] for s in Bed.Status.values) == row["total"]
    assert report.totals["total"] == 5 and report.totals["occupancy"] == 20.0


def test_the_census_of_one_ward_counts_only_its_stays(history, other_ward, doctor):
    other = beds_in(other_ward, 1)[0]
    admit(PatientFactory(), other, doctor, admitted_at=None)
    report = census(ward=other_ward)
    assert [r["name"] for r in report.wards] == ["Surgical Ward"]
    assert report.days[-1].admissions == 1
    assert sum(d.admissions for d in report.days) == 1
    assert report.discharged_count == 0


def test_the_census_takes_a_fixed_number_of_queries(history, doctor):
    n_before, _ = queries(census)
    fill(WardFactory(name="More"), doctor, beds=20, occupied=15)
    n_after, _ = queries(census)
    assert n_before == n_after <= 6

"""The access-log export: who may start it, the job it starts (reports queue, progress to
100, a CSV safe to open in a spreadsheet), and its file for the requester only."""

import csv
import io
from datetime import date, datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from ehr.core import jobs
from ehr.core.exceptions import DomainPermissionDenied
from ehr.core.models import Job
from patients import jobs as patients_jobs
from patients import services
from patients.models import ChartAccess
from tests.factories.accounts import enrol_totp
from tests.factories.patients import PatientFactory
from tests.matrix import Page, assert_persona_access, assert_staff_only, page_ids, persona_cases

pytestmark = pytest.mark.django_db

EXPORT = reverse("patients:access_log_export")


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def at(day, hour=12):
    return timezone.make_aware(datetime.combine(day, datetime.min.time()) + timedelta(hours=hour))


def read(doctor, patient, when, part="demographics", **fields):
    entry = ChartAccess(patient=patient, user=doctor, part=part, accessed_at=when, **fields)
    entry.stamp(doctor)
    entry.save()
    return entry


def rows_of(job):
    job.refresh_from_db()
    with job.result_file.open("rb") as handle:
        text = handle.read().decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def dates(first, last):
    return {"date_from": first.isoformat(), "date_to": last.isoformat()}


TODAY = date(2026, 3, 10)

PAGES = [
    Page("export_form", lambda c: EXPORT, {"administrator"}),
    Page(
        "export_start",
        lambda c: EXPORT,
        {"administrator"},
        method="post",
        data=lambda c: dates(TODAY - timedelta(days=7), TODAY),
        ok=302,
    ),
]


@pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
def test_only_who_reads_the_whole_access_log_may_export_it(request, signed_in, page, persona):
    assert_persona_access(request, signed_in, page, persona, None)


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_strangers_sign_in_and_patients_go_to_the_portal(client, signed_in, portal_patient, page):
    assert_staff_only(client, signed_in, portal_patient, page, None)
    assert not Job.objects.exists()


def test_the_access_log_page_links_to_the_export(signed_in, administrator):
    body = signed_in(administrator).get(reverse("patients:access_log")).content.decode()
    assert f'href="{EXPORT}"' in body


def test_the_export_runs_as_a_job_and_the_reviewer_lands_on_its_page(
    signed_in, administrator, doctor
):
    patient = PatientFactory(first_name="Ada", last_name="Lovelace")
    read(doctor, patient, at(TODAY - timedelta(days=1)))
    response = signed_in(administrator).post(EXPORT, dates(TODAY - timedelta(days=3), TODAY))
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == job.get_absolute_url()
    assert job.requested_by == administrator
    assert job.name == "patients.jobs.access_log_export"
    assert job.label == f"Chart access log, {TODAY - timedelta(days=3)} to {TODAY}"
    assert patients_jobs.access_log_export.queue_name == "reports"
    assert jobs.definition_of(patients_jobs.access_log_export).retries == 1
    # The test backend ran it at once.
    assert job.status == Job.Status.SUCCEEDED and job.progress == 100
    assert job.result == {"rows": 1}
    page = signed_in(administrator).get(job.get_absolute_url()).content.decode()
    assert f"access-log-{TODAY - timedelta(days=3)}-{TODAY}.csv" in job.result_file.name
    assert reverse("core:job_download", args=[job.pk]) in page


def test_the_csv_holds_the_range_oldest_first_with_who_read_which_chart(
    administrator, doctor, nurse
):
    ada = PatientFactory(first_name="Ada", last_name="Lovelace")
    bob = PatientFactory(first_name="Bob", last_name="Marley")
    read(doctor, ada, at(TODAY - timedelta(days=10)))  # before the range
    read(nurse, bob, at(TODAY, hour=23), part="vitals", grant_reason="care_team")
    read(doctor, ada, at(TODAY - timedelta(days=2), hour=0), roles="Doctor", ip_address="10.0.0.7")
    read(doctor, bob, at(TODAY + timedelta(days=1), hour=0))  # after the range
    job = services.access_log_export_start(
        actor=administrator, date_from=TODAY - timedelta(days=2), date_to=TODAY
    )
    rows = rows_of(job)
    assert list(rows[0]) == list(patients_jobs.ACCESS_LOG_COLUMNS)
    assert [(r["user_email"], r["patient_mrn"], r["part"]) for r in rows] == [
        (doctor.email, ada.display_mrn, "demographics"),
        (nurse.email, bob.display_mrn, "vitals"),
    ]
    first = rows[0]
    assert first["patient_name"] == ada.full_name
    assert first["user_name"] == doctor.get_full_name()
    assert first["roles"] == "Doctor" and first["ip_address"] == "10.0.0.7"
    assert first["break_the_glass"] == "no" and first["self_assigned"] == "no"
    assert rows[1]["access_through"] == "care_team"
    assert datetime.fromisoformat(first["accessed_at"]) == at(TODAY - timedelta(days=2), hour=0)


@pytest.mark.parametrize("text", ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\tx"])
def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(administrator, doctor, text):
    patient = PatientFactory(first_name=text, middle_name="")
    read(doctor, patient, at(TODAY), part=text, roles=text)
    job = services.access_log_export_start(actor=administrator, date_from=TODAY, date_to=TODAY)
    [row] = rows_of(job)
    assert row["part"] == row["roles"] == "'" + text
    assert row["patient_name"] == "'" + patient.full_name


def test_progress_is_reported_along_the_way_and_reaches_100(administrator, doctor, monkeypatch):
    patient = PatientFactory()
    for n in range(7):
        read(doctor, patient, at(TODAY, hour=n))
    monkeypatch.setattr(patients_jobs, "EXPORT_PROGRESS_EVERY", 2)
    reports = []
    original = Job.set_progress

    def spy(self, percent, message=""):
        reports.append((percent, message))
        original(self, percent, message)

    monkeypatch.setattr(Job, "set_progress", spy)
    job = services.access_log_export_start(actor=administrator, date_from=TODAY, date_to=TODAY)
    assert reports == [
        (0, "0 of 7 accesses"),
        (28, "2 of 7 accesses"),
        (57, "4 of 7 accesses"),
        (85, "6 of 7 accesses"),
        (100, "7 accesses"),
    ]
    job.refresh_from_db()
    assert job.progress == 100 and job.progress_message == "7 accesses"


def test_an_empty_range_gives_a_file_with_the_header_only(administrator):
    job = services.access_log_export_start(actor=administrator, date_from=TODAY, date_to=TODAY)
    assert rows_of(job) == []
    assert job.result == {"rows": 0}


def test_only_the_reviewer_who_started_it_downloads_the_file(
    signed_in, administrator, make_user, doctor
):
    read(doctor, PatientFactory(), at(TODAY))
    job = services.access_log_export_start(actor=administrator, date_from=TODAY, date_to=TODAY)
    download = reverse("core:job_download", args=[job.pk])
    another_reviewer = make_user(roles.ADMINISTRATOR)
    enrol_totp(another_reviewer)
    assert signed_in(another_reviewer).get(download).status_code == 404
    assert signed_in(doctor).get(download).status_code == 404
    response = signed_in(administrator).get(download)
    assert response.status_code == 200
    assert response["Content-Disposition"] == (
        f'attachment; filename="access-log-{TODAY}-{TODAY}.csv"'
    )


@pytest.mark.parametrize(
    ("first", "last", "field"),
    [
        (TODAY, TODAY - timedelta(days=1), "date_to"),
        (TODAY - timedelta(days=400), TODAY, "date_to"),
    ],
)
def test_a_range_backwards_or_too_long_is_refused_on_the_form(
    signed_in, administrator, first, last, field
):
    response = signed_in(administrator).post(EXPORT, dates(first, last))
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not Job.objects.exists()


def test_a_range_starting_in_the_future_is_refused(signed_in, administrator):
    tomorrow = timezone.localdate() + timedelta(days=1)
    response = signed_in(administrator).post(EXPORT, dates(tomorrow, tomorrow))
    assert response.status_code == 400 and response.context["form"].errors["date_from"]


def test_the_service_refuses_a_user_without_the_access_log_permission(doctor):
    with pytest.raises(DomainPermissionDenied):
        services.access_log_export_start(actor=doctor, date_from=TODAY, date_to=TODAY)
    assert not Job.objects.exists()

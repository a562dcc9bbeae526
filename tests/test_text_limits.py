"""Free text has a maximum length (notes 50,000 characters, other text 2,000), enforced by
the model, and a longer value is answered with a field error, not stored: per area, a
form or an API request, and the model validation underneath."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework import serializers
from rest_framework.test import APIClient

from clinical.forms import AddendumForm, EnteredInErrorForm, NoteForm
from ehr.core.models import NOTE_MAX_LENGTH, TEXT_MAX_LENGTH, Hospital
from inpatient import services as inpatient_services
from patients import services as patient_services
from patients.models import BreakGlassAccess
from scheduling.models import Appointment
from tests.factories.clinical import ClinicalNoteFactory
from tests.factories.inpatient import WardFactory, admit, beds_in
from tests.factories.patients import PatientFactory, on_care_team
from tests.factories.scheduling import (
    ConsultationRoomFactory,
    at,
    book,
    weekly_schedule,
)

pytestmark = pytest.mark.django_db

TOO_LONG = "x" * (TEXT_MAX_LENGTH + 1)
NOTE_TOO_LONG = "x" * (NOTE_MAX_LENGTH + 1)


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


# --- The field itself ---------------------------------------------------------------------


def test_a_text_longer_than_its_maximum_fails_model_validation_on_that_field():
    hospital = Hospital(name="St Elsewhere", address=TOO_LONG)
    with pytest.raises(ValidationError) as caught:
        hospital.full_clean()
    assert set(caught.value.message_dict) == {"address"}
    hospital.address = "x" * TEXT_MAX_LENGTH
    hospital.full_clean()


def test_a_drf_model_serializer_takes_the_maximum_from_the_model():
    class AppointmentNotesSerializer(serializers.ModelSerializer):
        class Meta:
            model = Appointment
            fields = ["notes"]

    field = AppointmentNotesSerializer().fields["notes"]
    assert field.max_length == TEXT_MAX_LENGTH
    serializer = AppointmentNotesSerializer(data={"notes": TOO_LONG})
    assert not serializer.is_valid()
    assert list(serializer.errors) == ["notes"]


# --- Scheduling ---------------------------------------------------------------------------


def test_changing_an_appointment_through_the_api_with_notes_too_long_answers_400(
    receptionist, doctor
):
    weekly_schedule(doctor, room=ConsultationRoomFactory(name="Room 7"))
    appointment = book(PatientFactory(), doctor, at(1, 11), end=at(1, 11, 15))
    response = api(receptionist).patch(
        f"/api/v1/appointments/{appointment.pk}", {"notes": TOO_LONG}, format="json"
    )
    assert response.status_code == 400, response.json()
    assert "notes" in response.json()
    appointment.refresh_from_db()
    assert appointment.notes == ""


# --- Clinical -----------------------------------------------------------------------------


@pytest.fixture
def chart(doctor, nurse):
    return on_care_team(PatientFactory(), doctor, nurse)


def test_a_note_of_more_than_50000_characters_answers_400_naming_the_field(doctor, chart):
    url = f"/api/v1/patients/{chart.pk}/notes"
    response = api(doctor).post(url, {"text": NOTE_TOO_LONG}, format="json")
    assert response.status_code == 400
    assert list(response.json()) == ["text"]
    ok = api(doctor).post(url, {"text": "x" * NOTE_MAX_LENGTH}, format="json")
    assert ok.status_code == 201, ok.json()


def test_an_addendum_of_more_than_50000_characters_answers_400_naming_the_field(doctor, chart):
    note = ClinicalNoteFactory(patient=chart, author=doctor)
    response = api(doctor).post(
        f"/api/v1/notes/{note.pk}/addenda", {"text": NOTE_TOO_LONG}, format="json"
    )
    assert response.status_code == 400
    assert "text" in response.json()


def test_the_note_forms_show_a_field_error_for_text_too_long(chart, doctor):
    form = NoteForm(
        data={"note_type": "progress", "text": NOTE_TOO_LONG}, patient=chart, user=doctor
    )
    assert not form.is_valid() and list(form.errors) == ["text"]
    assert not AddendumForm(data={"text": NOTE_TOO_LONG}).is_valid()
    form = EnteredInErrorForm(data={"reason": TOO_LONG})
    assert not form.is_valid() and list(form.errors) == ["reason"]


# --- Inpatient ----------------------------------------------------------------------------


def test_a_discharge_summary_of_more_than_50000_characters_is_refused_on_its_field(doctor):
    admission = admit(PatientFactory(), beds_in(WardFactory(), 1)[0], doctor)
    with pytest.raises(ValidationError) as caught:
        inpatient_services.admission_discharge(
            admission=admission, disposition="home", summary=NOTE_TOO_LONG, actor=doctor
        )
    assert "discharge_summary" in caught.value.message_dict
    admission.refresh_from_db()
    assert admission.discharge_summary == ""


def test_an_admission_through_the_api_with_a_reason_too_long_answers_400(doctor):
    bed = beds_in(WardFactory(), 1)[0]
    body = {
        "patient": str(PatientFactory().pk),
        "bed": str(bed.pk),
        "attending_doctor": str(doctor.pk),
        "reason": TOO_LONG,
    }
    response = api(doctor).post("/api/v1/admissions", body, format="json")
    assert response.status_code == 400
    assert "reason" in response.json()


# --- Patients -----------------------------------------------------------------------------


def test_a_break_glass_reason_too_long_fails_model_validation_on_its_field(doctor):
    access = BreakGlassAccess(patient=PatientFactory(), user=doctor, reason=TOO_LONG)
    with pytest.raises(ValidationError) as caught:
        access.full_clean(exclude=["granted_at", "expires_at"])
    assert "reason" in caught.value.message_dict


def test_breaking_the_glass_with_a_reason_too_long_is_a_field_error_in_the_api_and_the_form(
    doctor, signed_in
):
    """The service checks the length (it saves without full_clean); a very long reason
    used to reach the reviewers' notification, whose body has its own maximum."""
    patient = PatientFactory()
    response = api(doctor).post(
        f"/api/v1/patients/{patient.pk}/break-glass",
        {"reason": "other", "details": TOO_LONG},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["details"]
    page = signed_in(doctor).post(
        reverse("patients:patient_break_glass", args=[patient.pk]),
        {"reason": "other", "details": "x" * (3 * TEXT_MAX_LENGTH), "next_tab": "summary"},
    )
    assert page.status_code == 400
    assert list(page.context["break_glass_form"].errors) == ["details"]
    assert not BreakGlassAccess.objects.exists()


def test_a_merge_reason_too_long_is_refused_on_its_field(administrator):
    with pytest.raises(ValidationError) as caught:
        patient_services.patient_merge(
            survivor=PatientFactory(),
            duplicate=PatientFactory(),
            actor=administrator,
            reason=TOO_LONG,
        )
    assert list(caught.value.message_dict) == ["reason"]


# --- Forms and API fields whose service saves without model validation --------------------


def test_the_discharge_page_answers_a_summary_too_long_with_a_field_error(doctor, signed_in):
    admission = admit(PatientFactory(), beds_in(WardFactory(), 1)[0], doctor)
    response = signed_in(doctor).post(
        reverse("inpatient:admission_discharge", args=[admission.pk]),
        {"disposition": "home", "summary": NOTE_TOO_LONG},
    )
    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["summary"]
    admission.refresh_from_db()
    assert admission.discharge_summary == ""


def test_a_discharge_through_the_api_with_a_summary_too_long_answers_400_on_summary(doctor):
    admission = admit(PatientFactory(), beds_in(WardFactory(), 1)[0], doctor)
    response = api(doctor).post(
        f"/api/v1/admissions/{admission.pk}/discharge",
        {"disposition": "home", "summary": NOTE_TOO_LONG},
        format="json",
    )
    assert response.status_code == 400
    assert list(response.json()) == ["summary"]


def test_booking_through_the_api_with_notes_too_long_answers_400(receptionist, doctor):
    weekly_schedule(doctor, room=ConsultationRoomFactory(name="Room 8"))
    body = {
        "patient": str(PatientFactory().pk),
        "doctor": str(doctor.pk),
        "start": at(1, 11).isoformat(),
        "type": "consultation",
        "notes": TOO_LONG,
    }
    response = api(receptionist).post("/api/v1/appointments", body, format="json")
    assert response.status_code == 400
    assert "notes" in response.json()
    assert not Appointment.objects.exists()


def test_the_booking_and_review_forms_refuse_text_too_long():
    from patients.forms import BreakGlassReviewForm
    from scheduling.forms import BookingForm, WaitlistEntryForm

    for form_class in (BookingForm, WaitlistEntryForm):
        assert form_class.base_fields["notes"].max_length == TEXT_MAX_LENGTH
    assert BreakGlassReviewForm.base_fields["comment"].max_length == TEXT_MAX_LENGTH

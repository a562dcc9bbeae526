"""Break-the-glass reasons: picked from a list, with details required for "other"."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from patients import services
from patients.exceptions import BreakGlassReasonRequired
from patients.forms import BreakGlassForm
from patients.models import BreakGlassAccess, BreakGlassReason
from tests.factories.accounts import UserFactory
from tests.factories.patients import PatientFactory

JSON = "application/json"
SHORT = "Needed it now"  # 13 characters
LONG_ENOUGH = "Asked by the family doctor"


def test_the_reasons_offered_are_the_four_of_the_list():
    assert list(BreakGlassReason.values) == [
        "emergency_care",
        "on_call",
        "transferred_in",
        "other",
    ]


def test_a_reason_from_the_list_needs_no_details(doctor):
    access = services.break_glass_open(
        patient=PatientFactory(), user=doctor, reason=BreakGlassReason.ON_CALL
    )
    assert access.reason == BreakGlassReason.ON_CALL
    assert access.details == ""
    assert access.get_reason_display() == "Covering on call"


def test_extra_details_are_kept_and_trimmed(nurse):
    access = services.break_glass_open(
        patient=PatientFactory(),
        user=nurse,
        reason=BreakGlassReason.EMERGENCY_CARE,
        details="  Cardiac arrest ",
    )
    assert access.details == "Cardiac arrest"


@pytest.mark.parametrize("details", ["", "   ", None, SHORT, f"  {SHORT}   "])
def test_other_without_15_characters_of_details_is_refused(doctor, details):
    with pytest.raises(BreakGlassReasonRequired) as caught:
        services.break_glass_open(
            patient=PatientFactory(), user=doctor, reason=BreakGlassReason.OTHER, details=details
        )
    assert "details" in caught.value.message_dict
    assert not BreakGlassAccess.objects.exists()


def test_other_with_15_characters_of_details_is_granted(doctor):
    access = services.break_glass_open(
        patient=PatientFactory(), user=doctor, reason=BreakGlassReason.OTHER, details="x" * 15
    )
    assert access.reason == BreakGlassReason.OTHER


@pytest.mark.parametrize("reason", ["", "   ", None, "curious"])
def test_a_reason_outside_the_list_is_refused(doctor, reason):
    with pytest.raises(ValidationError) as caught:
        services.break_glass_open(patient=PatientFactory(), user=doctor, reason=reason)
    assert "reason" in caught.value.message_dict
    assert not BreakGlassAccess.objects.exists()


def _row(user, **fields):
    now = timezone.now()
    return BreakGlassAccess(
        patient=PatientFactory(),
        user=user,
        granted_at=now,
        expires_at=now + timezone.timedelta(minutes=5),
        **fields,
    )


def test_model_validation_wants_details_for_other(doctor):
    with pytest.raises(ValidationError) as caught:
        _row(doctor, reason=BreakGlassReason.OTHER, details="too short").full_clean()
    assert "details" in caught.value.message_dict
    _row(doctor, reason=BreakGlassReason.TRANSFERRED_IN).full_clean()


def test_the_database_refuses_a_reason_outside_the_list(doctor):
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(doctor, reason="curious").save()


def test_the_database_refuses_other_without_details(doctor):
    with pytest.raises(IntegrityError), transaction.atomic():
        _row(doctor, reason=BreakGlassReason.OTHER, details="").save()


def test_the_form_offers_the_list_and_asks_details_for_other(db):
    form = BreakGlassForm(data={"reason": "other", "details": SHORT})
    assert not form.is_valid()
    assert "details" in form.errors
    assert [value for value, _ in form.fields["reason"].choices if value] == list(
        BreakGlassReason.values
    )
    assert BreakGlassForm(data={"reason": "on_call", "details": ""}).is_valid()
    assert not BreakGlassForm(data={"reason": "", "details": LONG_ENOUGH}).is_valid()


def test_the_page_grants_access_for_a_reason_of_the_list(signed_in, nurse):
    patient = PatientFactory()
    response = signed_in(nurse).post(
        reverse("patients:patient_break_glass", args=[patient.pk]),
        {"reason": "transferred_in", "details": "", "next_tab": ""},
    )
    assert response.status_code == 302
    access = BreakGlassAccess.objects.get(patient=patient)
    assert access.reason == BreakGlassReason.TRANSFERRED_IN


def test_the_page_keeps_what_was_typed_when_other_lacks_details(signed_in, nurse):
    patient = PatientFactory()
    response = signed_in(nurse).post(
        reverse("patients:patient_break_glass", args=[patient.pk]),
        {"reason": "other", "details": SHORT, "next_tab": ""},
    )
    assert response.status_code == 400
    assert response.context["break_glass_form"].errors["details"]
    page = response.content.decode()
    assert SHORT in page
    assert 'value="other" selected' in page
    assert not BreakGlassAccess.objects.exists()


def test_the_api_takes_a_reason_of_the_list(client, doctor):
    client.force_login(doctor, backend="django.contrib.auth.backends.ModelBackend")
    patient = PatientFactory()
    response = client.post(
        f"/api/v1/patients/{patient.pk}/break-glass",
        {"reason": "emergency_care", "details": "Unconscious in ED"},
        content_type=JSON,
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["reason"] == "emergency_care"
    assert body["reason_label"] == "Emergency care"
    assert body["details"] == "Unconscious in ED"


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"reason": "other", "details": SHORT}, "details"),
        ({"reason": "curious"}, "reason"),
        ({}, "reason"),
    ],
)
def test_the_api_answers_a_bad_reason_with_a_field_error(client, doctor, data, field):
    client.force_login(doctor, backend="django.contrib.auth.backends.ModelBackend")
    response = client.post(
        f"/api/v1/patients/{PatientFactory().pk}/break-glass", data, content_type=JSON
    )
    assert response.status_code == 400
    assert field in response.json()
    assert not BreakGlassAccess.objects.exists()


def test_the_review_list_shows_the_reason_label_and_details(signed_in, administrator, make_user):
    doctor = make_user(roles.DOCTOR)
    services.break_glass_open(
        patient=PatientFactory(),
        user=doctor,
        reason=BreakGlassReason.TRANSFERRED_IN,
        details="Arrived from the county hospital",
    )
    page = signed_in(administrator).get(reverse("patients:breakglass_review_list"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Patient transferred in" in text
    assert "transferred_in" not in text
    assert "Arrived from the county hospital" in text


@pytest.mark.django_db(transaction=True)
def test_the_migration_maps_old_free_text_rows_to_other_with_their_text():
    before = [("patients", "0012_patient_sex_has_no_default")]
    executor = MigrationExecutor(connection)
    # Every app's latest migration: going back to 0012 also unapplies the migrations of
    # apps that depend on patients (workflow's tasks), which later tests need.
    after = executor.loader.graph.leaf_nodes()
    # Today's factories make the user and the patient, before the schema goes back (the
    # patient table has gained columns since).
    user, patient = UserFactory(), PatientFactory()
    executor.migrate(before)
    OldAccess = executor.loader.project_state(before).apps.get_model("patients", "BreakGlassAccess")
    now = timezone.now()
    OldAccess.objects.create(
        patient_id=patient.pk,
        user_id=user.pk,
        reason="ED",
        granted_at=now,
        expires_at=now + timezone.timedelta(minutes=5),
    )

    executor = MigrationExecutor(connection)
    executor.migrate(after)

    row = BreakGlassAccess.objects.get()
    assert row.reason == BreakGlassReason.OTHER
    assert row.details == "ED"

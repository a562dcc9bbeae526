"""Writes of the patient record: MRN, registration and duplicates, identifiers, edits and
history, status and death, the care team, break-the-glass, the access log and merges."""

from datetime import date, timedelta

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from ehr.core.exceptions import TimeInFuture
from ehr.core.models import Notification
from ehr.core.services import system_parameter_set
from patients import services
from patients.exceptions import (
    BreakGlassNotNeeded,
    BreakGlassReasonRequired,
    CareTeamChangeNotAllowed,
    CareTeamRoleNotAllowed,
    CareTeamSelfAdd,
    ChartAccessDenied,
    DeathBeforeBirth,
    IdentifierInUse,
    MergeNotAllowed,
    PatientInactive,
    PossibleDuplicatePatient,
)
from patients.models import (
    AccessReason,
    BreakGlassAccess,
    ChartAccess,
    EmergencyContact,
    Patient,
    PatientGroupObjectPermission,
    PatientIdentifier,
    PatientMerge,
    PatientUserObjectPermission,
    Sex,
    luhn_check_digit,
    luhn_is_valid,
)
from patients.selectors import can_manage_care_team, chart_access_for
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = pytest.mark.django_db


def register(actor, **fields):
    """Register a patient through the service with sensible defaults."""
    values = {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "date_of_birth": date(1985, 12, 10),
        "sex": Sex.FEMALE,
    }
    values.update(fields)
    return services.patient_register(actor=actor, **values)


def view_chart_permission():
    return Permission.objects.get(content_type__app_label="patients", codename="view_chart")


# --- MRN ----------------------------------------------------------------------------------


def test_luhn_check_digit_matches_the_reference_algorithm():
    # 7992739871 is the textbook Luhn example: its check digit is 3.
    assert luhn_check_digit("7992739871") == "3"
    assert luhn_is_valid("79927398713")
    assert not luhn_is_valid("79927398710")
    assert not luhn_is_valid("7")
    assert not luhn_is_valid("12a4")


def test_mrn_is_digits_ending_in_a_valid_luhn_check_digit(receptionist):
    patient = register(receptionist)
    assert patient.mrn.isdigit()
    assert len(patient.mrn) == services.MRN_DIGITS + 1
    assert luhn_is_valid(patient.mrn)
    assert patient.display_mrn == f"MRN{patient.mrn}"


def test_two_registrations_get_different_mrns_from_an_increasing_sequence(receptionist):
    first = register(receptionist, first_name="Ada")
    second = register(receptionist, first_name="Grace", last_name="Hopper")
    assert first.mrn != second.mrn
    assert int(second.mrn[:-1]) > int(first.mrn[:-1])


def test_an_mrn_is_never_reused_after_a_failed_registration(receptionist):
    first = register(receptionist, identifiers=[{"type": "passport", "value": "P123"}])
    with pytest.raises(IdentifierInUse):
        register(
            receptionist,
            first_name="Grace",
            last_name="Hopper",
            identifiers=[{"type": "passport", "value": "P123"}],
        )
    third = register(receptionist, first_name="Alan", last_name="Turing")
    assert third.mrn != first.mrn
    assert int(third.mrn[:-1]) > int(first.mrn[:-1])
    assert Patient.objects.filter(mrn=third.mrn).count() == 1


def test_an_mrn_block_is_distinct_valid_and_after_the_last_single_mrn():
    single = services.mrn_next()
    block = services.mrn_block(5)
    assert len(set(block)) == 5
    assert all(luhn_is_valid(m) for m in block)
    assert min(int(m[:-1]) for m in block) > int(single[:-1])
    assert services.mrn_block(0) == []


# --- Registration and duplicates ----------------------------------------------------------


def test_registration_saves_demographics_search_keys_identifiers_and_contacts(receptionist):
    patient = register(
        receptionist,
        phone="+12025550123",
        identifiers=[{"type": "national_id", "value": "NID-1"}],
        contacts=[{"name": "Charles Babbage", "relationship": "friend", "phone": "+12025550124"}],
    )
    patient.refresh_from_db()
    assert patient.first_name_phonetic and patient.last_name_phonetic
    assert patient.created_by == receptionist
    assert list(patient.identifiers.values_list("type", "value")) == [("national_id", "NID-1")]
    assert patient.emergency_contacts.get().name == "Charles Babbage"
    assert patient.history.get().history_user == receptionist


def test_registration_refuses_a_likely_duplicate_and_lists_the_candidates(receptionist):
    existing = register(receptionist, first_name="John", last_name="Smith")
    with pytest.raises(PossibleDuplicatePatient) as caught:
        # Same sound-alike last name ("Smyth" ~ "Smith") and the same date of birth.
        register(receptionist, first_name="Jon", last_name="Smyth")
    candidates = caught.value.candidates
    assert [c.patient for c in candidates] == [existing]
    assert {"last_name", "date_of_birth"} <= set(candidates[0].matched)
    assert Patient.objects.count() == 1


def test_registration_of_a_confirmed_different_person_passes_with_allow_duplicate(receptionist):
    register(receptionist, first_name="John", last_name="Smith")
    second = register(receptionist, first_name="John", last_name="Smith", allow_duplicate=True)
    assert Patient.objects.count() == 2
    assert second.mrn


def test_registration_with_invalid_demographics_is_refused(receptionist):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        register(receptionist, first_name="", sex="alien")
    assert not Patient.objects.exists()


def test_an_identifier_value_names_one_patient_per_type(receptionist):
    register(receptionist, identifiers=[{"type": "passport", "value": "X1"}])
    with pytest.raises(IdentifierInUse, match="X1"):
        register(
            receptionist,
            first_name="Grace",
            last_name="Hopper",
            identifiers=[{"type": "passport", "value": "X1"}],
        )
    assert Patient.objects.count() == 1  # the whole registration rolled back
    other_type = register(
        receptionist,
        first_name="Alan",
        last_name="Turing",
        identifiers=[{"type": "national_id", "value": "X1"}],
    )
    assert other_type.identifiers.get().value == "X1"


def test_setting_identifiers_replaces_them_and_refuses_one_in_use(receptionist):
    first = register(receptionist, identifiers=[{"type": "passport", "value": "P1"}])
    second = register(receptionist, first_name="Grace", last_name="Hopper")
    services.patient_set_identifiers(
        patient=first, actor=receptionist, identifiers=[{"type": "national_id", "value": "N1"}]
    )
    assert list(first.identifiers.values_list("type", "value")) == [("national_id", "N1")]
    with pytest.raises(IdentifierInUse):
        services.patient_set_identifiers(
            patient=second, actor=receptionist, identifiers=[{"type": "national_id", "value": "N1"}]
        )
    assert not second.identifiers.exists()


# --- Edits, status, death -----------------------------------------------------------------


def test_update_changes_fields_and_history_records_the_actor_and_old_and_new(
    receptionist, administrator
):
    patient = register(receptionist, phone="+12025550100")
    services.patient_update(
        patient=patient, actor=administrator, phone="+12025550199", last_name="King"
    )
    patient.refresh_from_db()
    assert str(patient.phone.as_e164) == "+12025550199"
    assert patient.last_name == "King"
    assert patient.last_name_phonetic == services.phonetic("King")
    newest, previous = patient.history.order_by("-history_date", "-history_id")[:2]
    assert newest.history_user == administrator
    changes = {c.field: (str(c.old), str(c.new)) for c in newest.diff_against(previous).changes}
    assert changes["last_name"] == ("Lovelace", "King")
    assert changes["phone"][0].replace(" ", "").replace("-", "") == "+12025550100"
    assert changes["phone"][1].replace(" ", "").replace("-", "") == "+12025550199"


def test_update_refuses_fields_that_are_not_demographics(receptionist):
    patient = register(receptionist)
    with pytest.raises(ValueError, match="mrn"):
        services.patient_update(patient=patient, actor=receptionist, mrn="1")


def test_deactivate_and_reactivate(receptionist):
    patient = register(receptionist)
    services.patient_deactivate(patient=patient, actor=receptionist)
    patient.refresh_from_db()
    assert not patient.is_active
    assert patient not in Patient.objects.active()
    services.patient_reactivate(patient=patient, actor=receptionist)
    patient.refresh_from_db()
    assert patient.is_active


def test_a_merged_record_is_not_reactivated_or_edited(receptionist, administrator):
    survivor = register(receptionist)
    duplicate = register(receptionist, first_name="Grace", last_name="Hopper")
    services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    with pytest.raises(PatientInactive):
        services.patient_reactivate(patient=duplicate, actor=administrator)
    with pytest.raises(PatientInactive):
        services.patient_update(patient=duplicate, actor=administrator, first_name="X")


def test_recording_a_death(receptionist, doctor):
    patient = register(receptionist, date_of_birth=date(1950, 1, 1))
    services.care_team_add(patient=patient, user=doctor, actor=None)
    services.patient_record_death(patient=patient, actor=doctor, deceased_on=date(2020, 6, 1))
    patient.refresh_from_db()
    assert patient.is_deceased
    assert patient.deceased_on == date(2020, 6, 1)
    assert patient.age() == 70  # age at death, not today


def test_recording_a_death_needs_chart_access(receptionist, doctor):
    patient = register(receptionist, date_of_birth=date(1950, 1, 1))
    for outsider in (receptionist, doctor):
        with pytest.raises(ChartAccessDenied):
            services.patient_record_death(
                patient=patient, actor=outsider, deceased_on=date(2020, 6, 1)
            )
    patient.refresh_from_db()
    assert not patient.is_deceased


def test_a_death_in_the_future_is_refused(receptionist):
    patient = register(receptionist)
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(TimeInFuture, match="future") as refused:
        services.patient_record_death(patient=patient, actor=None, deceased_on=tomorrow)
    assert list(refused.value.message_dict) == ["deceased_on"]
    patient.refresh_from_db()
    assert not patient.is_deceased


@pytest.mark.parametrize("service", ["register", "update"])
def test_a_date_of_birth_in_the_future_is_refused_on_its_field(receptionist, service):
    tomorrow = timezone.localdate() + timedelta(days=1)
    with pytest.raises(TimeInFuture) as refused:
        if service == "register":
            register(receptionist, date_of_birth=tomorrow)
        else:
            services.patient_update(
                patient=register(receptionist), actor=receptionist, date_of_birth=tomorrow
            )
    assert refused.value.message_dict == {
        "date_of_birth": ["The date of birth cannot be in the future."]
    }
    assert not Patient.objects.filter(date_of_birth=tomorrow).exists()


def test_a_death_before_birth_is_refused_on_the_date_of_death(receptionist):
    patient = register(receptionist, date_of_birth=date(1990, 5, 5))
    with pytest.raises(DeathBeforeBirth) as refused:
        services.patient_record_death(patient=patient, actor=None, deceased_on=date(1990, 5, 4))
    assert refused.value.message_dict == {
        "deceased_on": ["The date of death cannot be before the date of birth."]
    }
    patient.refresh_from_db()
    assert not patient.is_deceased and patient.deceased_on is None


# --- Care team ----------------------------------------------------------------------------


def test_nobody_adds_himself_to_the_care_team(doctor):
    """Membership is permanent: a clinician with passing access (break-the-glass, a
    self-assigned or windowed care relationship) cannot turn it into a membership."""
    patient = PatientFactory()
    services.break_glass_open(
        patient=patient, user=doctor, reason="emergency_care", details="Unconscious in ED"
    )
    with pytest.raises(CareTeamSelfAdd):
        services.care_team_add(patient=patient, user=doctor, actor=doctor)
    assert chart_access_for(doctor, patient).via_break_glass


def test_a_self_assigned_relationship_does_not_let_one_manage_the_care_team(doctor, nurse):
    from tests.factories.scheduling import at, book, weekly_schedule

    weekly_schedule(doctor)
    patient = PatientFactory()
    book(patient, doctor, at(0, 23, 45), actor=doctor, override=True)
    assert chart_access_for(doctor, patient).self_assigned
    assert not can_manage_care_team(doctor, patient)


def test_care_team_add_is_idempotent(doctor, nurse):
    patient = on_care_team(PatientFactory(), doctor)
    first = services.care_team_add(patient=patient, user=nurse, actor=doctor)
    second = services.care_team_add(patient=patient, user=nurse, actor=doctor)
    assert first.pk == second.pk
    assert (
        PatientUserObjectPermission.objects.filter(content_object=patient, user=nurse).count() == 1
    )
    assert first.reason == AccessReason.EXPLICIT and first.expires_at is None
    assert chart_access_for(nurse, patient).allowed


def test_care_team_add_turns_an_expiring_break_glass_grant_into_a_membership(doctor, make_user):
    patient = PatientFactory()
    member = make_user(roles.DOCTOR)
    services.care_team_add(patient=patient, user=member, actor=None)
    services.break_glass_open(
        patient=patient, user=doctor, reason="emergency_care", details="Unconscious in ED"
    )
    row = services.care_team_add(patient=patient, user=doctor, actor=member)
    row.refresh_from_db()
    assert row.expires_at is None
    assert row.reason == AccessReason.EXPLICIT
    assert (
        PatientUserObjectPermission.objects.filter(content_object=patient, user=doctor).count() == 1
    )
    later = timezone.now() + timedelta(days=30)
    assert chart_access_for(doctor, patient, now=later).allowed


def test_only_active_doctors_and_nurses_join_a_care_team(
    portal_patient, make_user, doctor, receptionist, nurse
):
    patient = on_care_team(PatientFactory(), doctor)
    gone = make_user(roles.DOCTOR, is_active=False)
    for user in (portal_patient, receptionist, gone):
        with pytest.raises(CareTeamRoleNotAllowed):
            services.care_team_add(patient=patient, user=user, actor=doctor)
    assert list(PatientUserObjectPermission.objects.values_list("user", flat=True)) == [doctor.pk]
    services.care_team_add(patient=patient, user=nurse, actor=doctor)
    assert chart_access_for(nurse, patient).allowed


def test_a_care_team_change_by_a_non_member_is_refused_by_the_service(doctor, nurse, make_user):
    patient = on_care_team(PatientFactory(), nurse)
    outsider = make_user(roles.DOCTOR)
    with pytest.raises(CareTeamChangeNotAllowed, match="care team"):
        services.care_team_add(patient=patient, user=doctor, actor=outsider)
    with pytest.raises(CareTeamChangeNotAllowed):
        services.care_team_remove(patient=patient, user=nurse, actor=outsider)
    # A member without the role's permission (nurses) does not change it either.
    with pytest.raises(CareTeamChangeNotAllowed):
        services.care_team_add(patient=patient, user=doctor, actor=nurse)
    assert not chart_access_for(doctor, patient).allowed
    assert chart_access_for(nurse, patient).allowed


def test_break_the_glass_does_not_let_one_change_the_care_team(doctor, nurse):
    patient = PatientFactory()
    services.break_glass_open(
        patient=patient, user=doctor, reason="emergency_care", details="Night cover"
    )
    with pytest.raises(CareTeamChangeNotAllowed):
        services.care_team_add(patient=patient, user=nurse, actor=doctor)


def test_care_team_remove(doctor, nurse):
    patient = on_care_team(PatientFactory(), doctor, nurse)
    assert services.care_team_remove(patient=patient, user=nurse, actor=doctor) is True
    assert not chart_access_for(nurse, patient).allowed
    assert chart_access_for(doctor, patient).allowed
    assert services.care_team_remove(patient=patient, user=nurse, actor=doctor) is False


# --- Break the glass ----------------------------------------------------------------------


def test_break_glass_needs_a_reason(doctor):
    patient = PatientFactory()
    for details in ("", "   ", None):
        with pytest.raises(BreakGlassReasonRequired):
            services.break_glass_open(patient=patient, user=doctor, reason="other", details=details)
    assert not BreakGlassAccess.objects.exists()


def test_break_glass_needs_a_role_that_may_break_it(receptionist, lab_tech):
    patient = PatientFactory()
    for user in (receptionist, lab_tech):
        with pytest.raises(ChartAccessDenied):
            services.break_glass_open(
                patient=patient, user=user, reason="emergency_care", details="curious"
            )
    assert not BreakGlassAccess.objects.exists()


def test_break_glass_is_refused_when_the_user_already_has_access(doctor):
    patient = on_care_team(PatientFactory(), doctor)
    with pytest.raises(BreakGlassNotNeeded):
        services.break_glass_open(
            patient=patient, user=doctor, reason="emergency_care", details="Emergency"
        )
    assert not BreakGlassAccess.objects.exists()


def test_break_glass_grants_access_for_the_configured_duration(nurse):
    system_parameter_set(key="break_glass_duration", value=5)
    patient = PatientFactory()
    before = timezone.now()
    access = services.break_glass_open(
        patient=patient, user=nurse, reason="emergency_care", details="  Cardiac arrest "
    )
    after = timezone.now()
    assert access.details == "Cardiac arrest"
    assert before + timedelta(minutes=5) <= access.expires_at <= after + timedelta(minutes=5)
    grant = PatientUserObjectPermission.objects.get(user=nurse, content_object=patient)
    assert grant.reason == AccessReason.BREAK_GLASS
    assert grant.expires_at == access.expires_at
    decision = chart_access_for(nurse, patient)
    assert decision.allowed and decision.via_break_glass
    assert decision.break_glass == access


def test_break_glass_notifies_every_active_administrator(doctor, administrator, make_user):
    second_admin = make_user(roles.ADMINISTRATOR)
    retired_admin = make_user(roles.ADMINISTRATOR, is_active=False)
    patient = PatientFactory()
    services.break_glass_open(
        patient=patient, user=doctor, reason="emergency_care", details="Trauma bay"
    )
    notified = set(
        Notification.objects.filter(category="security").values_list("recipient", flat=True)
    )
    assert notified == {administrator.pk, second_admin.pk}
    assert retired_admin.pk not in notified
    note = Notification.objects.filter(recipient=administrator).get()
    assert patient.display_mrn in note.body and "Trauma bay" in note.body
    assert note.url == reverse("patients:breakglass_review_list")


def test_break_glass_emails_administrators_who_opted_in(
    doctor, administrator, mailoutbox, django_capture_on_commit_callbacks
):
    administrator.email_notifications = True
    administrator.save()
    with django_capture_on_commit_callbacks(execute=True):
        services.break_glass_open(
            patient=PatientFactory(), user=doctor, reason="emergency_care", details="Trauma bay"
        )
    assert [m.to for m in mailoutbox] == [[administrator.email]]


def test_break_glass_expiry_is_enforced_at_check_time_without_the_cleanup_job(doctor):
    system_parameter_set(key="break_glass_duration", value=5)
    patient = PatientFactory()
    access = services.break_glass_open(
        patient=patient, user=doctor, reason="emergency_care", details="Emergency"
    )
    just_before = access.expires_at - timedelta(seconds=1)
    assert chart_access_for(doctor, patient, now=just_before).allowed
    assert not chart_access_for(doctor, patient, now=access.expires_at).allowed
    after = access.expires_at + timedelta(seconds=1)
    assert not chart_access_for(doctor, patient, now=after).allowed
    # The grant row is still there: only the check made it void.
    assert PatientUserObjectPermission.objects.filter(user=doctor).exists()


def test_break_glass_again_after_expiry_renews_the_stale_grant(doctor):
    patient = PatientFactory()
    first = services.break_glass_open(
        patient=patient, user=doctor, reason="emergency_care", details="First"
    )
    past = timezone.now() - timedelta(minutes=1)
    BreakGlassAccess.objects.filter(pk=first.pk).update(
        granted_at=past - timedelta(minutes=5), expires_at=past
    )
    PatientUserObjectPermission.objects.filter(user=doctor).update(expires_at=past)
    assert not chart_access_for(doctor, patient).allowed
    second = services.break_glass_open(
        patient=patient, user=doctor, reason="emergency_care", details="Second"
    )
    grant = PatientUserObjectPermission.objects.get(user=doctor, content_object=patient)
    assert grant.expires_at == second.expires_at
    assert chart_access_for(doctor, patient).break_glass == second
    assert BreakGlassAccess.objects.filter(patient=patient).count() == 2


def test_access_grants_expire_removes_only_expired_rows_and_keeps_the_audit_record(
    doctor, nurse, make_user
):
    patient = PatientFactory()
    member = make_user(roles.DOCTOR)
    on_care_team(patient, member)
    expired = services.break_glass_open(
        patient=patient, user=doctor, reason="emergency_care", details="Old emergency"
    )
    current = services.break_glass_open(
        patient=patient, user=nurse, reason="emergency_care", details="Now"
    )
    past = timezone.now() - timedelta(seconds=1)
    BreakGlassAccess.objects.filter(pk=expired.pk).update(
        granted_at=past - timedelta(minutes=5), expires_at=past
    )
    PatientUserObjectPermission.objects.filter(user=doctor).update(expires_at=past)

    assert services.access_grants_expire() == 1
    remaining = set(PatientUserObjectPermission.objects.values_list("user", flat=True))
    assert remaining == {member.pk, nurse.pk}
    assert set(BreakGlassAccess.objects.values_list("pk", flat=True)) == {expired.pk, current.pk}
    assert services.access_grants_expire() == 0


def test_break_glass_review_records_reviewer_and_comment(doctor, administrator):
    access = services.break_glass_open(
        patient=PatientFactory(), user=doctor, reason="emergency_care", details="ED"
    )
    services.break_glass_review(access=access, actor=administrator, comment="  Justified. ")
    access.refresh_from_db()
    assert access.reviewed_by == administrator
    assert access.reviewed_at is not None
    assert access.review_comment == "Justified."


# --- The access log -----------------------------------------------------------------------


def test_chart_open_logs_who_with_which_roles_what_and_from_where(doctor):
    patient = on_care_team(PatientFactory(), doctor)
    request = RequestFactory().get("/", REMOTE_ADDR="10.1.2.3")
    decision = services.chart_open(patient=patient, user=doctor, part="summary", request=request)
    assert decision.allowed and not decision.via_break_glass
    entry = ChartAccess.objects.get()
    assert entry.user == doctor and entry.patient == patient
    assert entry.roles == roles.DOCTOR
    assert entry.part == "summary"
    assert entry.ip_address == "10.1.2.3"
    assert entry.channel == ChartAccess.Channel.WEB
    assert entry.break_glass is None


def test_chart_open_under_break_glass_links_the_log_to_the_break_glass_record(nurse):
    patient = PatientFactory()
    access = services.break_glass_open(
        patient=patient, user=nurse, reason="emergency_care", details="Code blue"
    )
    services.chart_open(patient=patient, user=nurse, part="summary")
    entry = ChartAccess.objects.get()
    assert entry.break_glass == access
    assert entry.ip_address is None


def test_chart_open_refuses_clinical_parts_without_access_and_says_how_to_get_it(doctor):
    patient = PatientFactory()
    with pytest.raises(ChartAccessDenied, match="break the glass"):
        services.chart_open(patient=patient, user=doctor, part="summary")
    assert not ChartAccess.objects.exists()


def test_chart_open_of_a_demographic_part_is_logged_without_chart_access(receptionist):
    patient = PatientFactory()
    decision = services.chart_open(
        patient=patient, user=receptionist, part="demographics", clinical=False
    )
    assert not decision.allowed
    entry = ChartAccess.objects.get()
    assert entry.roles == roles.RECEPTIONIST and entry.part == "demographics"


# --- Merge --------------------------------------------------------------------------------


@pytest.fixture
def merge_pair(receptionist, doctor, nurse):
    """A survivor and a duplicate with one of every kind of record pointing at it."""
    survivor = register(receptionist, first_name="Ada", last_name="Lovelace")
    duplicate = register(
        receptionist,
        first_name="Augusta",
        last_name="King",
        identifiers=[{"type": "passport", "value": "GB123"}],
        contacts=[{"name": "William King", "relationship": "spouse", "phone": "+12025550111"}],
    )
    on_care_team(duplicate, doctor)
    access = services.break_glass_open(
        patient=duplicate, user=nurse, reason="emergency_care", details="Fell in ward"
    )
    services.chart_open(patient=duplicate, user=doctor, part="summary")
    services.chart_open(patient=duplicate, user=nurse, part="summary")
    return survivor, duplicate, access


def test_merge_moves_every_record_to_the_survivor_and_deactivates_the_duplicate(
    merge_pair, administrator, doctor, nurse
):
    survivor, duplicate, _access = merge_pair
    merge = services.patient_merge(
        survivor=survivor, duplicate=duplicate, actor=administrator, reason="Same person"
    )
    duplicate.refresh_from_db()
    assert not duplicate.is_active
    assert duplicate.merged_into == survivor
    assert PatientIdentifier.objects.get(value="GB123").patient == survivor
    assert EmergencyContact.objects.get(name="William King").patient == survivor
    assert chart_access_for(doctor, survivor).allowed
    assert chart_access_for(nurse, survivor).allowed
    assert not PatientUserObjectPermission.objects.filter(content_object=duplicate).exists()
    assert merge.created_by == administrator and merge.reason == "Same person"


def test_merge_leaves_the_audit_records_on_the_record_that_was_opened(merge_pair, administrator):
    survivor, duplicate, access = merge_pair
    services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    assert ChartAccess.objects.filter(patient=duplicate).count() == 2
    assert not ChartAccess.objects.filter(patient=survivor).exists()
    assert BreakGlassAccess.objects.get(pk=access.pk).patient == duplicate


def test_a_break_glass_grant_moved_by_a_merge_still_counts_as_break_the_glass(
    receptionist, administrator, make_user
):
    """The grant row moves to the survivor while its BreakGlassAccess stays on the
    duplicate; the survivor's chart must still be opened under that emergency access (the
    banner, the access log's link, and no care-team management rights)."""
    survivor = register(receptionist)
    duplicate = register(receptionist, first_name="Grace", last_name="Hopper")
    emergency_doctor = make_user(roles.DOCTOR)
    access = services.break_glass_open(
        patient=duplicate, user=emergency_doctor, reason="emergency_care", details="Collapsed"
    )
    services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    decision = chart_access_for(emergency_doctor, survivor)
    assert decision.allowed
    assert decision.via_break_glass
    assert decision.break_glass == access
    assert not can_manage_care_team(emergency_doctor, survivor)


def test_merge_records_exactly_what_moved(merge_pair, administrator):
    survivor, duplicate, _access = merge_pair
    expected = set()
    for model, field in [
        (PatientIdentifier, "patient"),
        (EmergencyContact, "patient"),
        (PatientUserObjectPermission, "content_object"),
    ]:
        for pk in model.objects.filter(**{field: duplicate}).values_list("pk", flat=True):
            expected.add((model._meta.label, str(pk), field))
    merge = services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    moved = [(m["model"], m["pk"], m["field"]) for m in merge.moved]
    assert len(moved) == len(set(moved))
    assert set(moved) == expected
    assert len(expected) == 4  # identifier, contact, the doctor's and the nurse's grants
    assert PatientMerge.objects.get().moved == merge.moved


def test_merge_leaves_a_care_team_member_of_both_on_the_survivor_once(
    receptionist, administrator, doctor
):
    survivor = on_care_team(register(receptionist), doctor)
    duplicate = on_care_team(register(receptionist, first_name="G", last_name="Hopper"), doctor)
    merge = services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    assert PatientUserObjectPermission.objects.filter(content_object=survivor).count() == 1
    assert merge.moved == []


def test_merge_with_the_same_group_permission_on_both_records_succeeds(receptionist, administrator):
    """Group object permissions are unique per (group, permission, patient) like user ones:
    the merge must not try to move a row the survivor already has."""
    group = Group.objects.get(name=roles.NURSE)
    survivor = register(receptionist)
    duplicate = register(receptionist, first_name="Grace", last_name="Hopper")
    for patient in (survivor, duplicate):
        PatientGroupObjectPermission.objects.create(
            group=group, permission=view_chart_permission(), content_object=patient
        )
    services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    assert PatientGroupObjectPermission.objects.filter(content_object=survivor).count() == 1
    duplicate.refresh_from_db()
    assert duplicate.merged_into == survivor


def test_merge_moves_the_portal_account_when_the_survivor_has_none(
    receptionist, administrator, portal_patient
):
    survivor = register(receptionist)
    duplicate = register(receptionist, first_name="Grace", last_name="Hopper")
    duplicate.user = portal_patient
    duplicate.save()
    merge = services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert survivor.user == portal_patient and duplicate.user is None
    services.patient_merge_undo(merge=merge, actor=administrator)
    survivor.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.user == portal_patient and survivor.user is None


def test_undo_restores_every_moved_record_and_reactivates_the_duplicate(
    merge_pair, administrator, doctor, nurse
):
    survivor, duplicate, _access = merge_pair
    before = {
        (model, pk)
        for model in (PatientIdentifier, EmergencyContact, BreakGlassAccess, ChartAccess)
        for pk in model.objects.filter(patient=duplicate).values_list("pk", flat=True)
    }
    merge = services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    services.patient_merge_undo(merge=merge, actor=administrator)

    duplicate.refresh_from_db()
    assert duplicate.is_active and duplicate.merged_into is None
    after = {
        (model, pk)
        for model in (PatientIdentifier, EmergencyContact, BreakGlassAccess, ChartAccess)
        for pk in model.objects.filter(patient=duplicate).values_list("pk", flat=True)
    }
    assert after == before
    assert not ChartAccess.objects.filter(patient=survivor).exists()
    assert chart_access_for(doctor, duplicate).allowed
    assert not chart_access_for(doctor, survivor).allowed
    assert chart_access_for(nurse, duplicate).via_break_glass
    merge.refresh_from_db()
    assert merge.undone_by == administrator and merge.undone_at is not None
    with pytest.raises(MergeNotAllowed):
        services.patient_merge_undo(merge=merge, actor=administrator)


def test_a_record_can_be_merged_again_after_an_undo(merge_pair, administrator):
    survivor, duplicate, _access = merge_pair
    merge = services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    services.patient_merge_undo(merge=merge, actor=administrator)
    services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    assert PatientMerge.objects.filter(duplicate=duplicate).count() == 2


def test_merging_a_record_into_itself_is_refused(receptionist, administrator):
    patient = register(receptionist)
    with pytest.raises(MergeNotAllowed):
        services.patient_merge(survivor=patient, duplicate=patient, actor=administrator)
    assert not PatientMerge.objects.exists()


def test_merging_an_already_merged_record_is_refused(receptionist, administrator):
    survivor = register(receptionist)
    duplicate = register(receptionist, first_name="Grace", last_name="Hopper")
    third = register(receptionist, first_name="Alan", last_name="Turing")
    services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    with pytest.raises(MergeNotAllowed, match="already merged"):
        services.patient_merge(survivor=third, duplicate=duplicate, actor=administrator)
    with pytest.raises(MergeNotAllowed):  # the merged-away record cannot survive either
        services.patient_merge(survivor=duplicate, duplicate=third, actor=administrator)


def test_merging_into_an_inactive_survivor_is_refused(receptionist, administrator):
    survivor = register(receptionist)
    duplicate = register(receptionist, first_name="Grace", last_name="Hopper")
    services.patient_deactivate(patient=survivor, actor=receptionist)
    with pytest.raises(MergeNotAllowed, match="active"):
        services.patient_merge(survivor=survivor, duplicate=duplicate, actor=administrator)
    duplicate.refresh_from_db()
    assert duplicate.is_active and duplicate.merged_into is None


def test_merge_preview_counts_what_would_move(merge_pair):
    _survivor, duplicate, _access = merge_pair
    preview = dict(services.patient_merge_preview(duplicate))
    assert preview[str(PatientIdentifier._meta.verbose_name_plural)] == 1
    assert str(ChartAccess._meta.verbose_name_plural) not in preview  # audit stays
    assert preview[str(PatientUserObjectPermission._meta.verbose_name_plural)] == 2


def _is_history_model(model):
    from simple_history.models import HistoricalChanges

    return issubclass(model, HistoricalChanges)


def test_merge_discovers_every_foreign_key_to_a_patient_generically():
    """Computed independently of Patient._meta.related_objects: every FK/one-to-one to
    Patient in every installed app must be moved by a merge, except history snapshots,
    the merge bookkeeping itself and audit records that declare `stays_on_merge`."""
    assert ChartAccess.stays_on_merge and BreakGlassAccess.stays_on_merge
    not_moved = {
        (PatientMerge, "survivor"),
        (PatientMerge, "duplicate"),
        (Patient, "merged_into"),
    }
    expected = set()
    for model in apps.get_models():
        if _is_history_model(model):
            continue
        if getattr(model, "stays_on_merge", False):
            not_moved |= {
                (model, f.name)
                for f in model._meta.get_fields()
                if isinstance(f, models.ForeignKey) and f.related_model is Patient
            }
            continue
        for field in model._meta.get_fields():
            if (
                isinstance(field, models.ForeignKey)  # includes OneToOneField
                and field.related_model is Patient
                and (model, field.name) not in not_moved
            ):
                expected.add((model, field.name))
    found = set(services._patient_references())
    assert (PatientIdentifier, "patient") in expected  # the walk itself works
    assert found >= expected, f"not merged: {expected - found}"
    assert found <= expected | not_moved

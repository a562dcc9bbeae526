"""Reads of the patient record: search, statistics, duplicate candidates, scope and who
may open a chart."""

from datetime import date, timedelta

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import roles
from patients import services
from patients.models import Patient, PatientUserObjectPermission, Sex
from patients.selectors import (
    DUPLICATE_THRESHOLD,
    chart_access_for,
    duplicate_candidates,
    patient_get,
    patient_list_for_user,
    patient_search,
    patient_statistics,
    patients_on_care_team_of,
)
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = pytest.mark.django_db


def search(query):
    return set(patient_search(Patient.objects.all(), query))


@pytest.fixture
def people():
    """A small register with sound-alike, prefix and date-of-birth neighbours."""
    return {
        "smith": PatientFactory(
            first_name="John",
            last_name="Smith",
            date_of_birth=date(1980, 2, 3),
            phone="+12025550177",
            email="john.smith@example.net",
        ),
        "smith2": PatientFactory(
            first_name="Anna", last_name="Smith", date_of_birth=date(1975, 9, 9)
        ),
        "smithers": PatientFactory(
            first_name="Waylon", last_name="Smithers", date_of_birth=date(1960, 1, 1)
        ),
        "jonathan": PatientFactory(
            first_name="Jonathan", last_name="Harker", date_of_birth=date(1990, 4, 4)
        ),
        "jones": PatientFactory(
            first_name="Mary",
            last_name="Brown",
            middle_name="Jonquil",
            date_of_birth=date(1991, 5, 5),
        ),
        "garcia": PatientFactory(
            first_name="Maria", last_name="Garcia", date_of_birth=date(1992, 7, 19)
        ),
    }


# --- Search -------------------------------------------------------------------------------


def test_search_finds_an_mrn_exactly_with_and_without_the_prefix(people):
    patient = people["garcia"]
    assert search(patient.mrn) == {patient}
    assert search(f"MRN{patient.mrn}") == {patient}
    assert search(f"mrn{patient.mrn}") == {patient}
    assert search(patient.mrn[:-1]) == set()  # exact, not a prefix


def test_search_by_name_prefix(people):
    assert search("Smi") == {people["smith"], people["smith2"], people["smithers"]}
    assert search("gar") == {people["garcia"]}


def test_search_finds_sound_alike_names(people):
    assert search("Smyth") == {people["smith"], people["smith2"]}


def test_search_by_first_name_and_middle_name_prefix(people):
    # Jonathan by first-name prefix, Mary Jonquil Brown by middle-name prefix. A three-letter
    # first name is not matched by sound (JN would be every John: thousands of rows).
    assert search("Jon") == {people["jonathan"], people["jones"]}
    assert search("Jonath") == {people["jonathan"]}


def test_first_names_of_four_letters_or_more_match_by_sound(people):
    assert people["smith"] in search("Jonn")


def test_search_by_name_and_date_of_birth_narrows(people):
    assert search("smith 1980-02-03") == {people["smith"]}
    assert search("1980-02-03 smith") == {people["smith"]}
    assert search("03/02/1980") == {people["smith"]}
    assert search("garcia 1980-02-03") == set()


def test_search_by_phone_digits_and_international_prefix(people):
    assert search("5550177") == {people["smith"]}
    assert search("+1202555017") == {people["smith"]}


def test_search_by_email(people):
    assert search("John.Smith@example.net") == {people["smith"]}


def test_search_terms_must_all_match(people):
    assert search("john smith") == {people["smith"]}
    assert search("anna smith") == {people["smith2"]}


def test_a_one_letter_term_is_ignored_rather_than_scanning(people):
    everyone = set(people.values())
    assert search("s") == everyone
    assert search("smith s") == search("smith")
    with CaptureQueriesContext(connection) as queries:
        list(patient_search(Patient.objects.all(), "s"))
    assert "LIKE" not in queries[0]["sql"].upper()


def test_an_empty_query_returns_the_queryset_unchanged(people):
    queryset = Patient.objects.filter(is_active=True)
    assert patient_search(queryset, "   ") is queryset
    assert patient_search(queryset, None) is queryset


# --- Statistics ---------------------------------------------------------------------------

TODAY = date(2026, 6, 15)


def test_statistics_count_by_sex_and_age_group_with_exact_boundaries():
    born = {
        "newborn": (date(2026, 6, 15), Sex.FEMALE),  # 0
        "almost_18": (date(2008, 6, 16), Sex.MALE),  # 17 years 364 days
        "exactly_18": (date(2008, 6, 15), Sex.MALE),
        "almost_40": (date(1986, 6, 16), Sex.FEMALE),  # 39
        "exactly_40": (date(1986, 6, 15), Sex.OTHER),
        "almost_65": (date(1961, 6, 16), Sex.UNKNOWN),  # 64
        "exactly_65": (date(1961, 6, 15), Sex.FEMALE),
        "old": (date(1930, 1, 1), Sex.FEMALE),
    }
    for dob, sex in born.values():
        PatientFactory(date_of_birth=dob, sex=sex)
    stats = patient_statistics(Patient.objects.all(), today=TODAY)
    assert dict(stats["by_age"]) == {"0-17": 2, "18-39": 2, "40-64": 2, "65+": 2}
    assert dict(stats["by_sex"]) == {"Female": 4, "Male": 2, "Other": 1, "Unknown": 1}
    assert stats["total"] == 8 and stats["active"] == 8


def test_statistics_age_groups_agree_with_the_age_of_leap_day_births():
    leapling = PatientFactory(date_of_birth=date(2008, 2, 29))
    on_28_feb = date(2026, 2, 28)
    on_1_mar = date(2026, 3, 1)
    assert leapling.age(on=on_28_feb) == 17
    assert dict(patient_statistics(Patient.objects.all(), today=on_28_feb)["by_age"])["0-17"] == 1
    assert leapling.age(on=on_1_mar) == 18
    assert dict(patient_statistics(Patient.objects.all(), today=on_1_mar)["by_age"])["18-39"] == 1


def test_statistics_count_inactive_and_deceased(receptionist):
    PatientFactory()
    gone = PatientFactory(date_of_birth=date(1940, 1, 1))
    services.patient_record_death(patient=gone, actor=None, deceased_on=date(2020, 1, 1))
    closed = PatientFactory()
    services.patient_deactivate(patient=closed, actor=receptionist)
    stats = patient_statistics(Patient.objects.all(), today=TODAY)
    assert (stats["total"], stats["active"], stats["inactive"], stats["deceased"]) == (3, 2, 1, 1)


def test_statistics_take_one_query(django_assert_num_queries):
    PatientFactory.create_batch(3)
    with django_assert_num_queries(1):
        patient_statistics(Patient.objects.all(), today=TODAY)


# --- Duplicate candidates -----------------------------------------------------------------


@pytest.fixture
def john():
    return PatientFactory(
        first_name="John",
        last_name="Smith",
        date_of_birth=date(1980, 2, 3),
        sex=Sex.MALE,
        phone="+12025550108",
        email="john@example.net",
    )


def candidates(**fields):
    values = {"first_name": "John", "last_name": "Smith", "date_of_birth": date(1980, 2, 3)}
    values.update(fields)
    return duplicate_candidates(**values)


def test_a_full_match_scores_every_criterion(john):
    # The phone as registration passes it: str() of the form's PhoneNumber.
    [found] = candidates(sex=Sex.MALE, phone=str(john.phone), email="JOHN@example.net")
    assert found.patient == john
    assert set(found.matched) == {
        "last_name",
        "first_name",
        "date_of_birth",
        "sex",
        "phone",
        "email",
    }
    assert found.score == 15


def test_same_sounding_last_name_and_birth_date_reach_the_threshold(john):
    [found] = candidates(first_name="Peter", last_name="Smyth")
    assert found.score == DUPLICATE_THRESHOLD == 6
    assert set(found.matched) == {"last_name", "date_of_birth"}


def test_same_names_on_another_birth_date_need_one_more_match(john):
    assert candidates(date_of_birth=date(1980, 3, 2)) == []  # 5 points
    [found] = candidates(date_of_birth=date(1980, 3, 2), sex=Sex.MALE)  # 6 points
    assert found.patient == john


def test_an_unknown_sex_adds_nothing(john):
    john.sex = Sex.UNKNOWN
    john.save()
    assert candidates(date_of_birth=date(1980, 3, 2), sex=Sex.UNKNOWN) == []


@pytest.mark.parametrize("phone", ["+12025550108", "(202) 555-0108", "+1 202-555-0108"])
def test_a_phone_scores_whatever_format_it_is_given_in(john, phone):
    """The candidate query normalises the phone (Q(phone=...)); the score must too, or a
    caller passing E.164 (the API) finds the candidate but does not score the phone."""
    [found] = candidates(first_name="Zed", date_of_birth=date(1980, 3, 2), phone=phone)
    assert "phone" in found.matched
    assert found.score == 6  # last name 3 + phone 3


def test_a_shared_phone_alone_is_not_a_duplicate(john):
    assert (
        candidates(
            first_name="Zed",
            last_name="Quinn",
            date_of_birth=date(2001, 1, 1),
            phone="+12025550108",
        )
        == []
    )


def test_candidates_are_best_first_and_exclude_merged_and_excluded_records(
    john, receptionist, administrator
):
    weaker = PatientFactory(first_name="Peter", last_name="Smith", date_of_birth=date(1980, 2, 3))
    found = candidates(sex=Sex.MALE)
    assert [c.patient for c in found] == [john, weaker]
    assert found[0].score > found[1].score
    assert [c.patient for c in candidates(exclude_pk=john.pk)] == [weaker]
    survivor = PatientFactory(first_name="Q", last_name="Zed")
    services.patient_merge(survivor=survivor, duplicate=weaker, actor=administrator)
    assert [c.patient for c in candidates()] == [john]


# --- Scope --------------------------------------------------------------------------------


def test_patient_list_is_everyone_for_staff_with_the_role_permission_only(
    doctor, receptionist, lab_tech, pharmacist, portal_patient
):
    patient = PatientFactory()
    for user in (doctor, receptionist):
        assert list(patient_list_for_user(user)) == [patient]
    for user in (lab_tech, pharmacist, portal_patient):
        assert not patient_list_for_user(user).exists()


def test_patient_get_gives_404_out_of_scope_or_unknown(doctor, lab_tech):
    import uuid

    patient = PatientFactory()
    assert patient_get(doctor, patient.pk) == patient
    with pytest.raises(Http404):
        patient_get(lab_tech, patient.pk)
    with pytest.raises(Http404):
        patient_get(doctor, uuid.uuid4())


def test_patient_get_gives_404_for_a_malformed_id(doctor):
    """Ids from query strings (the access log's ?patient=) are not checked by a URL
    converter: a malformed one must be a 404, never a 500."""
    with pytest.raises(Http404):
        patient_get(doctor, "not-a-uuid")


# --- Chart access -------------------------------------------------------------------------


def _grant(user, patient, expires_at=None):
    return PatientUserObjectPermission.objects.create(
        user=user,
        content_object=patient,
        permission=Permission.objects.get(
            content_type__app_label="patients", codename="view_chart"
        ),
        expires_at=expires_at,
    )


def test_a_superuser_may_open_any_chart(make_user):
    superuser = make_user(is_superuser=True)
    assert chart_access_for(superuser, PatientFactory()).allowed


def test_a_portal_user_never_opens_a_chart_even_with_a_grant(portal_patient):
    patient = PatientFactory()
    _grant(portal_patient, patient)
    assert not chart_access_for(portal_patient, patient).allowed


def test_an_inactive_user_loses_chart_access(doctor):
    patient = on_care_team(PatientFactory(), doctor)
    doctor.is_active = False
    doctor.save()
    assert not chart_access_for(doctor, patient).allowed


def test_an_anonymous_user_has_no_chart_access():
    from django.contrib.auth.models import AnonymousUser

    assert not chart_access_for(AnonymousUser(), PatientFactory()).allowed


def test_a_care_team_member_may_open_the_chart_and_others_may_not(doctor, make_user):
    patient = on_care_team(PatientFactory(), doctor)
    decision = chart_access_for(doctor, patient)
    assert decision.allowed and decision.reason == "explicit" and not decision.via_break_glass
    assert not chart_access_for(make_user(roles.DOCTOR), patient).allowed


def test_patients_on_care_team_of_excludes_expired_grants(doctor):
    mine = on_care_team(PatientFactory(), doctor)
    current = PatientFactory()
    _grant(doctor, current, expires_at=timezone.now() + timedelta(hours=1))
    lapsed = PatientFactory()
    _grant(doctor, lapsed, expires_at=timezone.now() - timedelta(seconds=1))
    PatientFactory()  # someone else's
    assert set(patients_on_care_team_of(doctor)) == {mine, current}
    later = timezone.now() + timedelta(hours=2)
    assert set(patients_on_care_team_of(doctor, now=later)) == {mine}

"""Access providers (`ehr.core.access`): a worklist opens only its chart parts, only for
the patients on it, logged with the reason "worklist", and never makes the user a member
of the care team.

A fake provider is registered for the test (and unregistered after): key
"test-worklist", part "vitals", asked for users holding `PROVIDER_PERMISSION`, listing
the patients of `worklist`.
"""

import pytest
from django.contrib.auth.models import Permission
from django.test import RequestFactory
from django.urls import reverse

from accounts import roles
from ehr.core import access
from patients.access import require_chart_access
from patients.exceptions import ChartAccessDenied
from patients.models import (
    WORKLIST,
    CareRelationship,
    ChartAccess,
    PatientUserObjectPermission,
)
from patients.selectors import chart_access_for
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db

KEY = "test-worklist"
# A permission no clinical role needs, held here only by the worklist's users.
PROVIDER_PERMISSION = "core.view_notification"
# What a pharmacist needs to reach a patient's chart and see the clinical tabs at all:
# the role gates that come before chart access.
TAB_PERMISSIONS = (
    "patients.view_patient",
    "clinical.view_vitalsigns",
    "clinical.view_clinicalnote",
    "clinical.view_allergy",
)


def grant(user, *perms):
    for perm in perms:
        app_label, codename = perm.split(".")
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return type(user).objects.get(pk=user.pk)  # a fresh permission cache


@pytest.fixture
def worklist():
    """The patient ids on the fake worklist; the provider reads it at each call."""
    return set()


@pytest.fixture
def provider(worklist):
    registered = access.register(
        access.AccessProvider(
            key=KEY,
            parts=frozenset({"vitals"}),
            permission=PROVIDER_PERMISSION,
            patients=lambda user, patient_ids, now: set(patient_ids) & worklist,
        )
    )
    yield registered
    access.unregister(KEY)


@pytest.fixture
def on_list(worklist):
    patient = PatientFactory()
    worklist.add(patient.pk)
    return patient


@pytest.fixture
def off_list():
    return PatientFactory()


@pytest.fixture
def worker(pharmacist):
    """A pharmacist whose role reaches the chart pages and who holds the provider's
    permission."""
    return grant(pharmacist, *TAB_PERMISSIONS, PROVIDER_PERMISSION)


@pytest.fixture
def outsider(make_user):
    """A pharmacist with the same chart-page permissions but not the provider's."""
    return grant(make_user(roles.PHARMACIST), *TAB_PERMISSIONS)


def chart_url(patient, tab):
    return reverse("patients:patient_chart", args=[patient.pk, tab])


def api_request(user):
    request = RequestFactory().get("/api/v1/anything")
    request.user = user
    return request


def no_care_team_rows(user):
    return (
        not PatientUserObjectPermission.objects.filter(user=user).exists()
        and not CareRelationship.objects.filter(user=user).exists()
    )


def test_the_worklist_opens_its_part_of_a_listed_patient_and_logs_the_reason(
    provider, signed_in, worker, on_list
):
    response = signed_in(worker).get(chart_url(on_list, "vitals"))
    assert response.status_code == 200
    entry = ChartAccess.objects.get(user=worker, patient=on_list)
    assert (entry.part, entry.grant_reason, entry.channel) == ("vitals", WORKLIST, "web")
    assert "the parts of this chart your worklist needs" in response.text


@pytest.mark.parametrize("tab", ["notes", "allergies"])
def test_the_other_clinical_tabs_stay_closed(provider, signed_in, worker, on_list, tab):
    response = signed_in(worker).get(chart_url(on_list, tab))
    assert response.status_code == 403
    assert not ChartAccess.objects.filter(user=worker, part=tab).exists()


def test_a_patient_not_on_the_worklist_stays_closed(provider, signed_in, worker, off_list):
    response = signed_in(worker).get(chart_url(off_list, "vitals"))
    assert response.status_code == 403


def test_a_demographic_tab_needs_no_worklist(provider, signed_in, worker, off_list):
    response = signed_in(worker).get(chart_url(off_list, "demographics"))
    assert response.status_code == 200


def test_the_worklist_never_joins_the_care_team(provider, signed_in, worker, on_list):
    signed_in(worker).get(chart_url(on_list, "vitals"))
    require_chart_access(api_request(worker), on_list, "vitals")
    assert no_care_team_rows(worker)


def test_a_user_without_the_providers_permission_gets_nothing(
    provider, signed_in, outsider, on_list
):
    assert signed_in(outsider).get(chart_url(on_list, "vitals")).status_code == 403
    assert not chart_access_for(outsider, on_list).covers("vitals")
    with pytest.raises(ChartAccessDenied):
        require_chart_access(api_request(outsider), on_list, "vitals")


def test_the_decision_covers_the_part_but_never_the_whole_chart(provider, worker, on_list):
    decision = chart_access_for(worker, on_list)
    assert decision.allowed is False
    assert decision.via_worklist and decision.reason == WORKLIST
    assert decision.parts == frozenset({"vitals"})
    assert decision.covers("vitals") and decision.covers("vitals:trend")
    assert not decision.covers("notes")
    assert not decision.standing


def test_the_api_gate_behaves_the_same_and_logs_the_read(provider, worker, on_list, off_list):
    decision = require_chart_access(api_request(worker), on_list, "vitals")
    assert decision.covers("vitals") and not decision.allowed
    entry = ChartAccess.objects.get(user=worker, patient=on_list)
    assert (entry.part, entry.grant_reason, entry.channel) == ("vitals", WORKLIST, "api")
    with pytest.raises(ChartAccessDenied):
        require_chart_access(api_request(worker), on_list, "notes")
    with pytest.raises(ChartAccessDenied):
        require_chart_access(api_request(worker), off_list, "vitals")
    assert ChartAccess.objects.filter(user=worker).count() == 1  # refusals log no read


def test_taking_a_patient_off_the_worklist_closes_the_chart(
    provider, signed_in, worker, on_list, worklist
):
    worklist.discard(on_list.pk)
    assert signed_in(worker).get(chart_url(on_list, "vitals")).status_code == 403


def test_unregistering_the_provider_closes_it(provider, signed_in, worker, on_list):
    access.unregister(KEY)
    assert KEY not in access.PROVIDERS
    assert signed_in(worker).get(chart_url(on_list, "vitals")).status_code == 403
    assert not chart_access_for(worker, on_list).covers("vitals")
    with pytest.raises(ChartAccessDenied):
        require_chart_access(api_request(worker), on_list, "vitals")


def test_registering_a_key_again_replaces_the_provider(provider, worker, on_list):
    access.register(
        access.AccessProvider(
            key=KEY,
            parts=frozenset({"allergies"}),
            permission=PROVIDER_PERMISSION,
            patients=provider.patients,
        )
    )
    decision = chart_access_for(worker, on_list)
    assert decision.parts == frozenset({"allergies"})


def test_worklist_parts_joins_every_provider_that_answers(provider, worker, on_list, worklist):
    access.register(
        access.AccessProvider(
            key=f"{KEY}-2",
            parts=frozenset({"allergies"}),
            permission=PROVIDER_PERMISSION,
            patients=lambda user, patient_ids, now: set(patient_ids) & worklist,
        )
    )
    try:
        assert access.worklist_parts(worker, on_list.pk, None) == {"vitals", "allergies"}
    finally:
        access.unregister(f"{KEY}-2")


def test_part_root_is_the_part_before_the_colon():
    assert access.part_root("encounters:start") == "encounters"
    assert access.part_root("vitals") == "vitals"

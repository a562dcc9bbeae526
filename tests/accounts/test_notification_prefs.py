"""The notification settings page (staff and portal): per category email and text on or
off, a mobile number, quiet hours; critical categories staff cannot switch off (the form
and the service refuse it)."""

from datetime import time

import pytest
from django.urls import reverse

from accounts import roles
from accounts.exceptions import CategoryCannotBeSwitchedOff, MobileNumberNeeded
from accounts.services import PATIENT_CATEGORIES, user_notification_settings_update
from ehr.core.models import NotificationCategory, NotificationPreference
from ehr.core.services import is_locked
from tests.factories.patients import PatientFactory

pytestmark = pytest.mark.django_db

URL = reverse("accounts:notification_preferences")
Category = NotificationCategory


def form_data(categories, *, off=(), sms=(), **fields):
    """Every category's email box ticked except `off`; text boxes ticked for `sms`."""
    data = {"email_notifications": "on", "mobile_phone": "", **fields}
    for category in categories:
        if category not in off:
            data[f"email_{category.value}"] = "on"
        if category in sms:
            data[f"sms_{category.value}"] = "on"
    return data


STAFF_LOCKED = (Category.CRITICAL_RESULTS, Category.SECURITY)


def staff_data(**kwargs):
    sms = set(kwargs.pop("sms", ())) | set(STAFF_LOCKED)
    return form_data(list(Category), sms=sms, **kwargs)


def stored(user):
    return {p.category: (p.email, p.sms) for p in NotificationPreference.objects.filter(user=user)}


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response.url


def test_staff_see_every_category_with_the_critical_ones_locked(signed_in, nurse):
    response = signed_in(nurse).get(URL)
    assert response.status_code == 200
    assert "layouts/staff.html" in [t.name for t in response.templates]
    rows = {category: locked for category, _e, _s, locked in response.context["form"].rows()}
    assert list(rows) == list(Category)
    assert {c for c, locked in rows.items() if locked} == set(STAFF_LOCKED)


def test_patients_see_their_categories_in_the_portal_layout(signed_in, portal_patient):
    response = signed_in(portal_patient).get(URL)
    assert response.status_code == 200
    assert "layouts/portal.html" in [t.name for t in response.templates]
    rows = [category for category, _e, _s, locked in response.context["form"].rows()]
    assert Category.CRITICAL_RESULTS not in rows and Category.TASKS not in rows
    assert Category.APPOINTMENTS in rows and Category.BILLING in rows


def test_a_nurse_saves_her_choices(signed_in, nurse):
    data = staff_data(
        off=[Category.BILLING],
        sms=[Category.MEDICATION],
        mobile_phone="+1 202 555 0143",
        quiet_hours_start="22:00",
        quiet_hours_end="07:00",
    )
    response = signed_in(nurse).post(URL, data)
    assert response.status_code == 302
    nurse.refresh_from_db()
    assert nurse.mobile_phone.as_e164 == "+12025550143"  # stored in E.164
    assert (nurse.quiet_hours_start, nurse.quiet_hours_end) == (time(22), time(7))
    prefs = stored(nurse)
    assert prefs[Category.BILLING] == (False, False)
    assert prefs[Category.MEDICATION] == (True, True)
    assert prefs[Category.RESULTS] == (True, False)


@pytest.mark.parametrize("field", ["email_critical_results", "sms_security"])
def test_the_form_refuses_to_switch_off_a_critical_category_for_staff(signed_in, doctor, field):
    data = staff_data(mobile_phone="+12025550143")
    del data[field]
    response = signed_in(doctor).post(URL, data)
    assert response.status_code == 400
    assert response.context["form"].errors[field]
    assert not NotificationPreference.objects.filter(user=doctor).exists()


def test_the_service_refuses_it_too(doctor):
    channels = {Category.SECURITY: (False, True)}
    with pytest.raises(CategoryCannotBeSwitchedOff):
        user_notification_settings_update(
            user=doctor,
            actor=doctor,
            email_notifications=True,
            mobile_phone="",
            quiet_hours_start=None,
            quiet_hours_end=None,
            channels=channels,
        )
    assert not NotificationPreference.objects.filter(user=doctor).exists()


def test_a_patient_may_switch_security_messages_off(signed_in, portal_patient):
    data = form_data(PATIENT_CATEGORIES, off=[Category.SECURITY])
    assert signed_in(portal_patient).post(URL, data).status_code == 302
    assert stored(portal_patient)[Category.SECURITY] == (False, False)


def test_texts_need_a_mobile_number(signed_in, nurse):
    response = signed_in(nurse).post(URL, staff_data(sms=[Category.RESULTS]))
    assert response.status_code == 400
    assert response.context["form"].errors["mobile_phone"]
    with pytest.raises(MobileNumberNeeded):
        user_notification_settings_update(
            user=nurse,
            actor=nurse,
            email_notifications=True,
            mobile_phone="",
            quiet_hours_start=None,
            quiet_hours_end=None,
            channels={Category.RESULTS: (True, True)},
        )


@pytest.mark.parametrize(
    "fields",
    [
        {"quiet_hours_start": "22:00"},
        {"quiet_hours_end": "07:00"},
        {"quiet_hours_start": "07:00", "quiet_hours_end": "07:00"},
    ],
)
def test_quiet_hours_need_two_different_ends(signed_in, nurse, fields):
    response = signed_in(nurse).post(URL, staff_data(**fields))
    assert response.status_code == 400
    nurse.refresh_from_db()
    assert nurse.quiet_hours_start is None and nurse.quiet_hours_end is None


def test_a_malformed_number_is_a_field_error(signed_in, nurse):
    response = signed_in(nurse).post(URL, staff_data(mobile_phone="call me maybe"))
    assert response.status_code == 400
    assert response.context["form"].errors["mobile_phone"]


def test_nobody_changes_another_users_settings(signed_in, nurse, doctor):
    """The page has no user in its address: it is always the signed-in user's own."""
    signed_in(nurse).post(URL, staff_data(off=[Category.RESULTS], user=str(doctor.pk)))
    assert stored(doctor) == {}
    assert stored(nurse)[Category.RESULTS] == (False, False)


def test_the_page_lists_the_patients_recorded_consent(signed_in, portal_patient):
    PatientFactory(
        user=portal_patient, email="p@example.org", appointment_reminders=True, sms_messages=False
    )
    response = signed_in(portal_patient).get(URL)
    assert response.context["patient_consent"].user == portal_patient
    assert "Appointment messages" in response.content.decode()


def test_staff_roles_make_the_lock(make_user):
    """The lock follows the role, not the page: a user with a staff role and the Patient
    role is staff."""
    both = make_user(roles.NURSE, roles.PATIENT)
    assert is_locked(both, Category.SECURITY)
    assert not is_locked(make_user(roles.PATIENT), Category.SECURITY)

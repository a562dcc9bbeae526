"""The roles of the site, defined once: each is a Django Group with these permissions.

`manage.py sync_roles` makes the groups in the database match this module exactly (it
adds missing permissions and removes ones no longer listed). Permissions of apps that are
not installed yet are skipped. Administrators assign roles to users in the Django admin.
"""

from django.utils.translation import gettext_lazy as _

ADMINISTRATOR = "Administrator"
DOCTOR = "Doctor"
NURSE = "Nurse"
RECEPTIONIST = "Receptionist"
LAB_TECHNICIAN = "Lab technician"
PHARMACIST = "Pharmacist"
PATIENT = "Patient"

STAFF_ROLES = (ADMINISTRATOR, DOCTOR, NURSE, RECEPTIONIST, LAB_TECHNICIAN, PHARMACIST)
ALL_ROLES = (*STAFF_ROLES, PATIENT)

# Roles whose members must enrol a second factor before using the site.
MFA_REQUIRED_ROLES = (ADMINISTRATOR,)

DESCRIPTIONS = {
    ADMINISTRATOR: _("Master data, users, roles and system parameters in the admin."),
    DOCTOR: _("Clinical care of the patients on their care teams."),
    NURSE: _("Nursing care, vitals and ward work."),
    RECEPTIONIST: _("Registration, demographics and appointments; no clinical content."),
    LAB_TECHNICIAN: _("Laboratory worklists, specimens and results."),
    PHARMACIST: _("Prescription review and dispensing."),
    PATIENT: _("The patient portal: one's own record only."),
}


def _crud(app_label, model):
    return [f"{app_label}.{verb}_{model}" for verb in ("view", "add", "change", "delete")]


def _view(app_label, model):
    return [f"{app_label}.view_{model}"]


# Permissions per role, as "app_label.codename". Every staff role may read notifications
# addressed to them through their own pages, which needs no model permission.
PERMISSIONS = {
    ADMINISTRATOR: [
        *_crud("accounts", "user"),
        "auth.view_group",
        *_crud("accounts", "specialty"),
        *_crud("accounts", "doctorprofile"),
        *_crud("core", "hospital"),
        "core.view_systemparameter",
        "core.change_systemparameter",
        "core.view_notification",
        "mfa.view_authenticator",
        "mfa.delete_authenticator",
        "usersessions.view_usersession",
        "usersessions.delete_usersession",
        "account.view_emailaddress",
        "account.change_emailaddress",
        "patients.view_patient",
        "patients.change_patient",
        "patients.merge_patient",
        "patients.view_patient_statistics",
        "patients.view_chartaccess",
        "patients.view_breakglassaccess",
        "patients.review_breakglassaccess",
    ],
    DOCTOR: [
        "patients.view_patient",
        "patients.break_glass",
        "patients.manage_care_team",
        *_view("accounts", "specialty"),
        *_view("accounts", "doctorprofile"),
        *_view("core", "hospital"),
    ],
    NURSE: [
        "patients.view_patient",
        "patients.break_glass",
        *_view("accounts", "specialty"),
        *_view("accounts", "doctorprofile"),
        *_view("core", "hospital"),
    ],
    RECEPTIONIST: [
        "patients.view_patient",
        "patients.add_patient",
        "patients.change_patient",
        "patients.view_patient_statistics",
        *_view("accounts", "specialty"),
        *_view("accounts", "doctorprofile"),
        *_view("core", "hospital"),
    ],
    LAB_TECHNICIAN: [*_view("core", "hospital")],
    PHARMACIST: [*_view("core", "hospital")],
    PATIENT: [],
}

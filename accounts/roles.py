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


# Inpatient ADT. Everyone on the wards reads the bed board, the request queue, admissions
# and the census; doctors request admission, admit, order and complete discharges; nurses
# and receptionists assign beds from the queue, transfer, complete a discharge a doctor
# ordered (time and disposition; the summary stays the doctor's), and keep the beds'
# states (housekeeping, blocks, reservations); administrators keep the master data.
INPATIENT_READ = [
    *_view("inpatient", "ward"),
    *_view("inpatient", "roomclass"),
    *_view("inpatient", "wardroom"),
    *_view("inpatient", "bed"),
    *_view("inpatient", "admissionrequest"),
    *_view("inpatient", "admission"),
    *_view("inpatient", "bedstay"),
    "inpatient.view_census",
]
INPATIENT_DOCTOR = [
    *INPATIENT_READ,
    "inpatient.add_admissionrequest",
    "inpatient.change_admissionrequest",
    "inpatient.add_admission",
    "inpatient.order_discharge",
    "inpatient.discharge_admission",
]
INPATIENT_WARD_STAFF = [
    *INPATIENT_READ,
    "inpatient.assign_bed",
    "inpatient.change_admissionrequest",
    "inpatient.transfer_admission",
    "inpatient.complete_ordered_discharge",
    "inpatient.set_bed_status",
]
INPATIENT_ADMINISTRATOR = [
    *_crud("inpatient", "ward"),
    *_crud("inpatient", "wardnurse"),
    *_crud("inpatient", "roomclass"),
    *_crud("inpatient", "wardroom"),
    *_crud("inpatient", "bed"),
    *_view("inpatient", "admissionrequest"),
    *_view("inpatient", "admission"),
    *_view("inpatient", "bedstay"),
    *_view("inpatient", "bedstatuschange"),
    *_view("inpatient", "admissionstatuschange"),
    "inpatient.view_census",
]

# Clinical documentation. Doctors and nurses read the clinical records of the charts they
# may open (care team or break-the-glass, checked per patient); both record vital signs,
# allergies and histories and write notes; doctors start and close encounters, diagnose
# and sign their notes, nurses sign nursing notes. Editing a draft note is an object
# permission of its author, never a role permission. Administrators see the ICD-10-CM
# catalogue and keep its search synonyms, nothing else; receptionists no clinical content.
CLINICAL_READ = [
    *_view("clinical", "encounter"),
    *_view("clinical", "vitalsigns"),
    *_view("clinical", "clinicalnote"),
    *_view("clinical", "condition"),
    *_view("clinical", "allergy"),
    *_view("clinical", "allergystatus"),
    *_view("clinical", "surgicalhistory"),
    *_view("clinical", "familyhistory"),
    *_view("clinical", "socialhistory"),
    *_view("clinical", "diagnosiscode"),
]
CLINICAL_RECORDING = [
    "clinical.add_vitalsigns",
    "clinical.add_clinicalnote",
    "clinical.add_allergy",
    "clinical.change_allergy",
    "clinical.add_allergystatus",
    "clinical.add_surgicalhistory",
    "clinical.change_surgicalhistory",
    "clinical.add_familyhistory",
    "clinical.change_familyhistory",
    "clinical.add_socialhistory",
    "clinical.change_socialhistory",
]
CLINICAL_DOCTOR = [
    *CLINICAL_READ,
    *CLINICAL_RECORDING,
    "clinical.add_encounter",
    "clinical.change_encounter",
    "clinical.add_condition",
    "clinical.change_condition",
    "clinical.sign_note",
]
CLINICAL_NURSE = [*CLINICAL_READ, *CLINICAL_RECORDING, "clinical.sign_nursing_note"]

# Scheduling. Everyone who works with patients sees appointments and schedules; the front
# desk books, moves, cancels, checks in, keeps the waitlist and manages any doctor's
# schedule; doctors book their own follow-ups, may book outside availability (an
# emergency), check patients in and keep their own schedule (checked per doctor by the
# services); nurses check patients in; administrators keep the master data and anyone's
# schedule. Patients request appointments through the portal, never through these.
SCHEDULING_READ = [
    *_view("scheduling", "clinic"),
    *_view("scheduling", "consultationroom"),
    *_view("scheduling", "appointmenttype"),
    *_view("scheduling", "holiday"),
    *_view("scheduling", "doctorschedule"),
    *_view("scheduling", "scheduleexception"),
    *_view("scheduling", "appointment"),
]
SCHEDULE_KEEPING = [
    *_crud("scheduling", "doctorschedule"),
    *_crud("scheduling", "scheduleexception"),
]
SCHEDULING_RECEPTIONIST = [
    *SCHEDULING_READ,
    *SCHEDULE_KEEPING,
    "scheduling.manage_any_schedule",
    "scheduling.add_appointment",
    "scheduling.change_appointment",
    "scheduling.delete_appointment",
    "scheduling.check_in_appointment",
    *_crud("scheduling", "waitlistentry"),
    *_view("scheduling", "waitlistoffer"),
    "scheduling.change_waitlistoffer",
    *_view("scheduling", "appointmentreminder"),
]
SCHEDULING_DOCTOR = [
    *SCHEDULING_READ,
    *SCHEDULE_KEEPING,
    "scheduling.add_appointment",
    "scheduling.change_appointment",
    "scheduling.check_in_appointment",
    "scheduling.book_outside_availability",
    *_view("scheduling", "waitlistentry"),
    "scheduling.add_waitlistentry",
    *_view("scheduling", "calendarfeedtoken"),
    "scheduling.add_calendarfeedtoken",
    "scheduling.delete_calendarfeedtoken",
]
SCHEDULING_NURSE = [*SCHEDULING_READ, "scheduling.check_in_appointment"]
SCHEDULING_ADMINISTRATOR = [
    *_crud("scheduling", "clinic"),
    *_crud("scheduling", "consultationroom"),
    *_crud("scheduling", "appointmenttype"),
    *_crud("scheduling", "holiday"),
    *SCHEDULE_KEEPING,
    "scheduling.manage_any_schedule",
    *_view("scheduling", "appointment"),
    *_view("scheduling", "appointmentstatuschange"),
    *_view("scheduling", "appointmentreminder"),
    *_view("scheduling", "waitlistentry"),
    *_view("scheduling", "waitlistoffer"),
    *_view("scheduling", "calendarfeedtoken"),
    "scheduling.delete_calendarfeedtoken",
]

# Tasks: every member of staff sees, creates and changes tasks (which ones is decided per
# task: assigned to them or their role, or created by them); administrators keep the rules.
TASKS = ["workflow.view_task", "workflow.add_task", "workflow.change_task"]
WORKFLOW_ADMINISTRATOR = [*TASKS, *_crud("workflow", "rule"), *_view("workflow", "rulerun")]

# Permissions per role, as "app_label.codename". Every staff role may read notifications
# addressed to them through their own pages, which needs no model permission.
# Pharmacy. Administrators keep the formulary and the medication knowledge (drugs,
# ingredients, classes, interactions, allergy cross-reactivity); every clinician and the
# pharmacists read the formulary to prescribe, verify and dispense.
PHARMACY_FORMULARY_READ = [
    *_view("pharmacy", "drug"),
    *_view("pharmacy", "ingredient"),
    *_view("pharmacy", "drugclass"),
]
# Doctors prescribe (and override a blocking alert with a reason), sign and discontinue;
# nurses read the medication record and record home medications; pharmacists read
# prescriptions to verify and dispense them.
PHARMACY_DOCTOR = [
    *PHARMACY_FORMULARY_READ,
    *_view("pharmacy", "prescription"),
    *_view("pharmacy", "prescriptionitem"),
    "pharmacy.add_prescription",
    "pharmacy.prescribe",
    "pharmacy.override_alert",
    *_view("pharmacy", "homemedication"),
    "pharmacy.record_homemedication",
]
PHARMACY_NURSE = [
    *PHARMACY_FORMULARY_READ,
    *_view("pharmacy", "prescription"),
    *_view("pharmacy", "prescriptionitem"),
    *_view("pharmacy", "homemedication"),
    "pharmacy.record_homemedication",
]
PHARMACY_PHARMACIST = [
    *PHARMACY_FORMULARY_READ,
    *_view("pharmacy", "prescription"),
    *_view("pharmacy", "prescriptionitem"),
    *_view("pharmacy", "homemedication"),
]
PHARMACY_ADMINISTRATOR = [
    *_crud("pharmacy", "drug"),
    *_crud("pharmacy", "ingredient"),
    *_crud("pharmacy", "drugclass"),
    *_crud("pharmacy", "druginteraction"),
    *_crud("pharmacy", "allergycrossreactivity"),
]


PERMISSIONS = {
    ADMINISTRATOR: [
        *WORKFLOW_ADMINISTRATOR,
        *PHARMACY_ADMINISTRATOR,
        *INPATIENT_ADMINISTRATOR,
        *SCHEDULING_ADMINISTRATOR,
        "clinical.view_diagnosiscode",
        *_crud("clinical", "icd10synonym"),
        *_crud("accounts", "user"),
        "auth.view_group",
        *_crud("accounts", "specialty"),
        *_crud("accounts", "doctorprofile"),
        *_crud("core", "hospital"),
        "core.view_systemparameter",
        "core.change_systemparameter",
        "core.view_notification",
        # Background jobs: all of them in the admin, and "Run again" for a failed one.
        "core.view_job",
        "core.change_job",
        "core.view_outboundmessage",
        "mfa.view_authenticator",  # read-only; removing one is accounts.reset_mfa, audited
        "accounts.reset_mfa",
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
        "patients.view_carerelationship",
    ],
    DOCTOR: [
        *TASKS,
        *PHARMACY_DOCTOR,
        *INPATIENT_DOCTOR,
        *SCHEDULING_DOCTOR,
        *CLINICAL_DOCTOR,
        "patients.view_patient",
        "patients.break_glass",
        "patients.manage_care_team",
        *_view("accounts", "specialty"),
        *_view("accounts", "doctorprofile"),
        *_view("core", "hospital"),
    ],
    NURSE: [
        *TASKS,
        *PHARMACY_NURSE,
        *INPATIENT_WARD_STAFF,
        *SCHEDULING_NURSE,
        *CLINICAL_NURSE,
        "patients.view_patient",
        "patients.break_glass",
        *_view("accounts", "specialty"),
        *_view("accounts", "doctorprofile"),
        *_view("core", "hospital"),
    ],
    RECEPTIONIST: [
        *TASKS,
        *INPATIENT_WARD_STAFF,
        *SCHEDULING_RECEPTIONIST,
        "patients.view_patient",
        "patients.add_patient",
        "patients.change_patient",
        "patients.view_patient_statistics",
        *_view("accounts", "specialty"),
        *_view("accounts", "doctorprofile"),
        *_view("core", "hospital"),
    ],
    LAB_TECHNICIAN: [*TASKS, *_view("core", "hospital")],
    PHARMACIST: [*TASKS, *PHARMACY_PHARMACIST, *_view("core", "hospital")],
    PATIENT: [],
}

# Laboratory and imaging. Doctors order tests, read the results of the charts they may
# open, mark results reviewed and acknowledge critical results; nurses collect specimens
# and read their patients' results; lab technicians work the worklist: receive specimens,
# enter results and verify those someone else entered (the database refuses the same
# person); receptionists see that orders exist (billing, scheduling) but no values;
# administrators keep the catalogue.
LAB_CATALOGUE_READ = [
    *_view("laboratory", "specimentype"),
    *_view("laboratory", "labtest"),
    *_view("laboratory", "referencerange"),
]
LAB_DOCTOR = [
    *LAB_CATALOGUE_READ,
    *_view("laboratory", "laborder"),
    "laboratory.add_laborder",
    "laboratory.change_laborder",
    *_view("laboratory", "labresult"),
    "laboratory.review_labresult",
    "laboratory.view_turnaround",
    *_view("laboratory", "criticalalert"),
    "laboratory.change_criticalalert",
    *_view("laboratory", "patientdocument"),
    "laboratory.add_patientdocument",
    *_view("laboratory", "imagingorder"),
    "laboratory.add_imagingorder",
    "laboratory.change_imagingorder",
    "laboratory.sign_imagingreport",
]
LAB_NURSE = [
    *LAB_CATALOGUE_READ,
    *_view("laboratory", "laborder"),
    *_view("laboratory", "labresult"),
    "laboratory.add_specimen",
    *_view("laboratory", "patientdocument"),
    "laboratory.add_patientdocument",
    *_view("laboratory", "imagingorder"),
    "laboratory.change_imagingorder",
]
LAB_TECHNICIAN_PERMISSIONS = [
    *LAB_CATALOGUE_READ,
    *_view("laboratory", "laborder"),
    "laboratory.change_laborder",
    *_view("laboratory", "specimen"),
    "laboratory.add_specimen",
    "laboratory.change_specimen",
    *_view("laboratory", "labresult"),
    "laboratory.enter_labresult",
    "laboratory.verify_labresult",
    "laboratory.view_turnaround",
]
LAB_RECEPTIONIST = [*_view("laboratory", "laborder")]
LAB_ADMINISTRATOR = [
    *_crud("laboratory", "specimentype"),
    *_crud("laboratory", "labtest"),
    *_crud("laboratory", "panelmember"),
    *_crud("laboratory", "referencerange"),
    "laboratory.view_turnaround",
]
for _role, _permissions in (
    (DOCTOR, LAB_DOCTOR),
    (NURSE, LAB_NURSE),
    (LAB_TECHNICIAN, LAB_TECHNICIAN_PERMISSIONS),
    (RECEPTIONIST, LAB_RECEPTIONIST),
    (ADMINISTRATOR, LAB_ADMINISTRATOR),
):
    PERMISSIONS[_role] = [*PERMISSIONS[_role], *_permissions]

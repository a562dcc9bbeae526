"""Context for the inpatient chart tab and home-page panels."""

from inpatient.selectors import admission_history, inpatients_of_doctor, queue_summary, ward_now
from patients.selectors import chart_access_for


def admissions_tab(request, patient):
    """The patient's admissions with their bed stays; summaries only with chart access."""
    user = request.user
    admissions = admission_history(patient)
    return {
        "admissions": admissions,
        "in_hospital": any(a.is_open for a in admissions),
        "show_summaries": chart_access_for(user, patient).allowed,
        "can_request": user.has_perm("inpatient.add_admissionrequest"),
        "can_admit": user.has_perm("inpatient.add_admission"),
    }


def queue(request):
    """Pending admission requests and beds waiting for housekeeping."""
    data = queue_summary(request.user)
    data["can_assign"] = request.user.has_perm("inpatient.assign_bed")
    return data


def my_inpatients(request):
    """The open admissions the doctor attends."""
    return inpatients_of_doctor(request.user)


def my_ward(request):
    """The nurse's wards now: beds, patients, their allergies and discharge orders."""
    return ward_now(request.user)

"""Reads of the laboratory: the one place that decides which orders, results and alerts
a user may see."""

from django.db.models import Prefetch, Q

from laboratory.models import (
    CriticalAlert,
    CriticalAlertStatus,
    ImagingOrder,
    LabOrder,
    LabOrderStatus,
    LabResult,
    LabResultStatus,
    LabTest,
    PatientDocument,
)
from patients.selectors import patient_list_for_user

WORKLIST_STATUSES = (
    LabOrderStatus.COLLECTED,
    LabOrderStatus.RECEIVED,
    LabOrderStatus.IN_PROGRESS,
    LabOrderStatus.RESULTED,
    LabOrderStatus.REJECTED,
)
PRIORITY_RANK = {"stat": 0, "urgent": 1, "routine": 2}


def laborder_list_for_user(user):
    """Return the lab orders `user` may see exist, for holders of
    `laboratory.view_laborder`: every order, with its patient (the lab identifies a
    specimen's patient from the order, without the demographics permission that would
    open every patient's record to search). Values and the chart are the second gate:
    chart access to `results` for the order's patient, decided and logged per request."""
    if not user.has_perm("laboratory.view_laborder"):
        return LabOrder.objects.none()
    return LabOrder.objects.select_related("patient", "ordering_doctor")


def laborder_detail_queryset(user):
    """Return the orders of `laborder_list_for_user` with their lines and specimens."""
    return laborder_list_for_user(user).prefetch_related(
        Prefetch(
            "results",
            queryset=LabResult.objects.select_related(
                "test", "entered_by", "verified_by", "corrects"
            ).order_by("test__name", "version"),
        ),
        "specimens",
        "ordered_tests__test",
        "status_changes",
    )


def worklist(user, *, status="", priority="", section=""):
    """Return the lab worklist: orders collected and not yet verified (or a state from
    the fixed list), stat first, oldest first."""
    orders = laborder_list_for_user(user)
    statuses = [status] if status in LabOrderStatus.values else list(WORKLIST_STATUSES)
    orders = orders.filter(status__in=statuses)
    if priority in ("stat", "urgent", "routine"):
        orders = orders.filter(priority=priority)
    if section:
        orders = orders.filter(results__test__section=section).distinct()
    return sorted(
        orders.prefetch_related("ordered_tests__test", "specimens"),
        key=lambda o: (PRIORITY_RANK[o.priority], o.ordered_at),
    )


def worklist_patient_ids(user, patient_ids, now):
    """Return those of `patient_ids` with a lab order on the lab's worklist (the access
    provider of lab technicians: they reach the lab parts of these charts)."""
    return set(
        LabOrder.objects.filter(
            patient_id__in=patient_ids, status__in=(*WORKLIST_STATUSES, LabOrderStatus.ORDERED)
        ).values_list("patient_id", flat=True)
    )


def results_for_patient(patient):
    """Return the patient's current result lines with values (final and preliminary),
    newest first, with the versions they corrected."""
    return (
        LabResult.objects.filter(order__patient=patient)
        .exclude(status=LabResultStatus.PENDING)
        .select_related("test", "order", "corrects")
        .order_by("test__name", "-order__collected_at")
    )


def cumulative_results(patient):
    """Return [(test, [results oldest first])] of the patient's current result lines,
    by test name: the Results tab's cumulative view."""
    by_test = {}
    for result in results_for_patient(patient).exclude(status=LabResultStatus.CORRECTED):
        by_test.setdefault(result.test, []).append(result)
    return [
        (test, sorted(rows, key=lambda r: r.order.collected_at or r.order.ordered_at))
        for test, rows in sorted(by_test.items(), key=lambda item: item[0].name)
    ]


def results_to_review(user):
    """Return the final results of `user`'s orders not yet marked reviewed."""
    return (
        LabResult.objects.filter(
            order__ordering_doctor=user, status=LabResultStatus.FINAL, reviewed_at__isnull=True
        )
        .select_related("test", "order__patient")
        .order_by("-verified_at")
    )


def open_alerts_for_doctor(user):
    """Return the open critical alerts of the orders `user` placed or escalated to them."""
    return (
        CriticalAlert.objects.filter(status=CriticalAlertStatus.OPEN)
        .filter(doctor=user)
        .select_related("result__test", "patient")
        .order_by("raised_at")
    )


def open_alerts_for_patient(patient):
    """Return the patient's open critical alerts (the chart banner)."""
    return (
        CriticalAlert.objects.filter(patient=patient, status=CriticalAlertStatus.OPEN)
        .select_related("result__test", "doctor")
        .order_by("raised_at")
    )


def critical_alert_list_for_user(user):
    """Return the critical alerts `user` may see: those of the patients in scope, for
    holders of `laboratory.view_criticalalert` (chart access is checked per patient)."""
    if not user.has_perm("laboratory.view_criticalalert"):
        return CriticalAlert.objects.none()
    return CriticalAlert.objects.filter(patient__in=patient_list_for_user(user)).select_related(
        "result__test", "result__order", "patient", "doctor", "acknowledged_by"
    )


def lab_test_search(term=""):
    """Return the active tests and panels whose code, name or LOINC code holds `term`."""
    tests = LabTest.objects.filter(active=True).select_related("specimen_type")
    term = (term or "").strip()
    if term:
        tests = tests.filter(
            Q(code__icontains=term) | Q(name__icontains=term) | Q(loinc__icontains=term)
        )
    return tests.order_by("-is_panel", "name")


def document_list_for_user(user):
    """Return the documents `user` may see: of patients in scope, for holders of
    `laboratory.view_patientdocument` (chart access is checked per patient)."""
    if not user.has_perm("laboratory.view_patientdocument"):
        return PatientDocument.objects.none()
    return PatientDocument.objects.filter(patient__in=patient_list_for_user(user))


def imaging_order_list_for_user(user):
    """Return the imaging orders `user` may see: of patients in scope, for holders of
    `laboratory.view_imagingorder` (chart access is checked per patient)."""
    if not user.has_perm("laboratory.view_imagingorder"):
        return ImagingOrder.objects.none()
    return ImagingOrder.objects.filter(patient__in=patient_list_for_user(user)).select_related(
        "patient", "ordering_doctor", "signed_by"
    )

"""What the laboratory shows on other pages: the chart tabs (Results with values, Lab
orders without them), the chart banner's open critical results, and the home panels
(critical results to acknowledge, results to review, the lab's worklist)."""

from django.urls import reverse
from django.utils import timezone

from laboratory import selectors
from laboratory.models import LabOrderStatus, LabResultStatus


def results_tab(request, patient):
    """The cumulative view: per test, the values over time with flags, and for numeric
    tests the data of a Chart.js trend; preliminary results are marked."""
    user = request.user
    rows = selectors.cumulative_results(patient)
    charts = []
    for test, results in rows:
        numeric = [r for r in results if r.value_numeric is not None]
        if test.result_type == "numeric" and len(numeric) >= 2:
            band = next((r.reference_range for r in reversed(numeric) if r.reference_range), "")
            charts.append(
                {
                    "key": test.code,
                    "label": test.name,
                    "unit": test.unit,
                    "range": band,
                    "points": [
                        {
                            "x": timezone.localtime(
                                r.order.collected_at or r.order.ordered_at
                            ).isoformat(),
                            "y": float(r.value_numeric),
                            "preliminary": r.status == LabResultStatus.PRELIMINARY,
                        }
                        for r in numeric
                    ],
                }
            )
    orders = selectors.laborder_list_for_user(user).filter(patient=patient)
    return {
        "rows": rows,
        "chart_data": {"charts": charts},
        "open_orders": list(
            orders.exclude(status__in=(LabOrderStatus.VERIFIED, LabOrderStatus.CANCELLED))[:20]
        ),
        "can_order": user.has_perm("laboratory.add_laborder"),
        "order_url": reverse("laboratory:laborder_create", args=[patient.pk]),
    }


def orders_tab(request, patient):
    """The patient's lab orders without values: tests, priority, state and dates (the
    front desk sees that orders exist, for billing and scheduling)."""
    orders = (
        selectors.laborder_list_for_user(request.user)
        .filter(patient=patient)
        .prefetch_related("ordered_tests__test")
    )
    return {"orders": list(orders[:100])}


def critical_banner(request, patient):
    """The chart banner's open critical results."""
    return {"alerts": list(selectors.open_alerts_for_patient(patient)[:5])}


def critical_alerts_panel(request):
    """The doctor's critical results waiting for acknowledgement."""
    return {"alerts": list(selectors.open_alerts_for_doctor(request.user)[:10])}


def results_to_review_panel(request):
    """The doctor's final results not yet marked reviewed."""
    return {"results": list(selectors.results_to_review(request.user)[:10])}


def worklist_panel(request):
    """The lab's open orders, stat first, and how many are past target."""
    orders = selectors.worklist(request.user)
    return {
        "orders": orders[:8],
        "late": sum(1 for o in orders if o.is_late()),
        "count": len(orders),
        "url": reverse("laboratory:worklist"),
    }


def documents_tab(request, patient):
    """Documents and images, newest first: thumbnails of images, PDFs to open, DICOM
    metadata and name warnings."""
    documents = patient.documents.select_related("created_by").order_by("-uploaded_at")
    user = request.user
    studies = selectors.imaging_order_list_for_user(user).filter(patient=patient)
    return {
        "studies": list(studies.prefetch_related("documents")[:50]),
        "can_order_imaging": user.has_perm("laboratory.add_imagingorder"),
        "imaging_url": reverse("laboratory:imagingorder_create", args=[patient.pk]),
        "can_perform": user.has_perm("laboratory.change_imagingorder"),
        "can_sign": user.has_perm("laboratory.sign_imagingreport"),
        "documents": list(documents[:100]),
        "can_upload": request.user.has_perm("laboratory.add_patientdocument"),
        "upload_url": reverse("laboratory:document_upload", args=[patient.pk]),
    }

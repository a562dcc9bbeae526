"""Contexts of the pharmacy's chart tab and banner item."""

from pharmacy import selectors
from pharmacy.models import HomeMedication, PrescriptionItem


def medications_tab(request, patient):
    """The Medications tab: current, past and home medications, with alerts and
    overrides, and who prescribed."""
    lines = list(selectors.medication_lines(patient))
    current = [line for line in lines if line.status in PrescriptionItem.CURRENT]
    past = [line for line in lines if line.status not in PrescriptionItem.CURRENT]
    home = HomeMedication.objects.filter(patient=patient).select_related("drug", "recorded_by")
    return {
        "current": current,
        "past": past,
        "home": list(home),
        "can_prescribe": request.user.has_perm("pharmacy.prescribe"),
        "can_record_home": request.user.has_perm("pharmacy.record_homemedication"),
    }


def high_risk_banner(request, patient):
    """The banner item: the patient's current high-risk medications (anticoagulants,
    insulins, opioids…)."""
    lines = (
        selectors.current_items(patient)
        .filter(drug__classes__high_risk=True)
        .distinct()
        .select_related("drug")
    )
    names = sorted({line.drug.generic_name for line in lines})
    return {"high_risk": names}

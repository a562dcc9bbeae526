"""Writes of the pharmacy app: prescribing (with the medication check), signing,
discontinuing, home medications."""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from ehr.core.exceptions import DomainError
from patients.exceptions import ChartAccessDenied
from patients.models import Patient
from patients.selectors import chart_access_for
from pharmacy.checks import DrugFacts, medication_check
from pharmacy.exceptions import (
    EmptyPrescription,
    MedicationAlertBlocked,
    NotAPrescriber,
    NotTheSigner,
    OverrideNotAllowed,
    PrescriptionSigned,
)
from pharmacy.models import (
    DOSES_PER_DAY,
    Frequency,
    HomeMedication,
    Prescription,
    PrescriptionItem,
)
from pharmacy.selectors import allergy_facts, current_medication_facts

PRESCRIBE = "pharmacy.prescribe"
OVERRIDE = "pharmacy.override_alert"


def _check_chart_access(actor, patient):
    if actor is not None and not chart_access_for(actor, patient).allowed:
        raise ChartAccessDenied()


def _lock_patient(patient):
    Patient.objects.select_for_update().only("pk").get(pk=patient.pk)


def _save(record, actor):
    record.stamp(actor)
    record.full_clean()
    record.save()
    return record


def medication_alerts(*, patient, lines, exclude_items=()):
    """Return the alerts for giving `lines` (dicts with drug, dose, frequency) to
    `patient` now: the one check, against the current medications (home ones
    included), the other lines and the allergies."""
    candidates = [
        (
            DrugFacts.of(line["drug"]),
            line.get("dose"),
            DOSES_PER_DAY.get(line.get("frequency")),
        )
        for line in lines
    ]
    allergies, known = allergy_facts(patient)
    return medication_check(
        candidates=candidates,
        current=current_medication_facts(patient, exclude_items=exclude_items),
        allergies=allergies,
        allergy_status_known=known,
    )


@transaction.atomic
def prescription_create(
    *, patient, actor, items, encounter=None, admission=None, override_reason=""
):
    """Write a prescription (a draft) with its lines after the medication check.

    A contraindicated or major alert raises `MedicationAlertBlocked` (with every
    alert) unless `override_reason` is given by a user allowed to override; the alerts
    and the override are kept on each line. Return the prescription."""
    if actor is None or not actor.has_perm(PRESCRIBE):
        raise NotAPrescriber()
    _check_chart_access(actor, patient)
    patient.ensure_active()
    if not items:
        raise EmptyPrescription()
    _lock_patient(patient)
    if encounter is not None and encounter.patient_id != patient.pk:
        raise DomainError("The encounter belongs to another patient.", code="wrong_encounter")
    if admission is not None and admission.patient_id != patient.pk:
        raise DomainError("The admission belongs to another patient.", code="wrong_admission")
    for line in items:
        drug = line["drug"]
        if not drug.is_active:
            raise DomainError(f"{drug} is no longer in the formulary.", code="inactive_drug")
        if line.get("frequency") == Frequency.PRN and not (line.get("prn_reason") or "").strip():
            raise DomainError("Give the reason for an 'as needed' dose.", code="prn_reason")
    alerts = medication_alerts(patient=patient, lines=items)
    override_reason = (override_reason or "").strip()
    blocking = [alert for alert in alerts if alert.blocking]
    if blocking and not override_reason:
        raise MedicationAlertBlocked(alerts)
    if blocking and not actor.has_perm(OVERRIDE):
        raise OverrideNotAllowed()
    prescription = _save(
        Prescription(patient=patient, encounter=encounter, admission=admission, prescriber=actor),
        actor,
    )
    now = timezone.now()
    for index, line in enumerate(items):
        drug = line["drug"]
        line_alerts = [alert.as_dict() for alert in alerts if alert.line in (index, None)]
        overridden = any(alert.blocking for alert in alerts if alert.line == index)
        item = PrescriptionItem(
            prescription=prescription,
            drug=drug,
            dose=Decimal(line["dose"]),
            dose_unit=line.get("dose_unit") or drug.dose_unit,
            route=line["route"],
            frequency=line["frequency"],
            duration_days=line.get("duration_days"),
            quantity=Decimal(line["quantity"]),
            refills=line.get("refills") or 0,
            prn_reason=(line.get("prn_reason") or "").strip(),
            instructions=(line.get("instructions") or "").strip(),
            start=line.get("start") or now,
            alerts=line_alerts,
            override_reason=override_reason if overridden else "",
            overridden_by=actor if overridden else None,
        )
        if item.duration_days and not line.get("end"):
            item.end = item.start + timezone.timedelta(days=item.duration_days)
        _save(item, actor)
    return prescription


@transaction.atomic
def prescription_sign(*, prescription, actor):
    """Sign a draft prescription (its prescriber only); it is immutable afterwards.
    Return the status change."""
    prescription = Prescription.objects.select_for_update().get(pk=prescription.pk)
    if actor is None or actor.pk != prescription.prescriber_id:
        raise NotTheSigner()
    return prescription.transition_to(Prescription.Status.SIGNED, actor=actor)


def ensure_editable(prescription):
    """Raise PrescriptionSigned when the prescription is signed."""
    if prescription.status != Prescription.Status.DRAFT:
        raise PrescriptionSigned()


@transaction.atomic
def prescription_item_discontinue(*, item, actor, reason):
    """Stop a medication line (therapy changes by discontinuing and prescribing anew).
    Return the status change."""
    if actor is None or not actor.has_perm(PRESCRIBE):
        raise NotAPrescriber()
    item = (
        PrescriptionItem.objects.select_for_update().select_related("prescription").get(pk=item.pk)
    )
    _check_chart_access(actor, item.prescription.patient)
    return item.transition_to(
        PrescriptionItem.Status.DISCONTINUED, actor=actor, reason=(reason or "").strip()
    )


@transaction.atomic
def home_medication_record(*, patient, actor, drug, dose=None, frequency="", notes=""):
    """Record a medication the patient takes at home. Return it."""
    _check_chart_access(actor, patient)
    patient.ensure_active()
    return _save(
        HomeMedication(
            patient=patient,
            drug=drug,
            dose=dose,
            frequency=frequency or "",
            notes=(notes or "").strip(),
            recorded_by=actor,
        ),
        actor,
    )

"""Writes of the laboratory: orders and their states, specimens with accession numbers,
results with flags and delta checks, verification by a second person, corrections, and
the critical-result loop (alerts, acknowledgement, escalation)."""

from datetime import timedelta
from decimal import Decimal, InvalidOperation

from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from accounts.selectors import ensure_active_doctor, is_active_doctor
from ehr.core import events, parameters
from ehr.core.exceptions import DomainPermissionDenied
from ehr.core.models import Notification, NotificationCategory
from ehr.core.services import notification_send
from inpatient.models import Admission
from laboratory.exceptions import (
    AccessionNotFound,
    AlertAlreadyAcknowledged,
    InvalidResultValue,
    NotCorrectable,
    NoTests,
    ReasonRequired,
    ReportRequired,
    SameUser,
)
from laboratory.models import (
    CRITICAL_FLAGS,
    CriticalAlert,
    CriticalAlertStatus,
    CriticalAlertStep,
    Flag,
    ImagingOrder,
    ImagingOrderStatus,
    LabOrder,
    LabOrderStatus,
    LabOrderTest,
    LabResult,
    LabResultStatus,
    Priority,
    RangeSex,
    ResultType,
    Specimen,
)
from patients.models import luhn_check_digit
from patients.selectors import care_relationships_for, care_team_for

ACCESSION_DIGITS = 7


# --- Accession numbers ---------------------------------------------------------------------


def accession_next():
    """Return a new accession number: the next value of a database sequence (never
    reused, no races), zero-padded, with a Luhn check digit.

    PostgreSQL: a real SEQUENCE. SQLite: an AUTOINCREMENT table, whose ids are never
    reused either; SQLite's single writer serialises the inserts.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval('lab_accession_seq')")
            number = cursor.fetchone()[0]
        else:
            cursor.execute("INSERT INTO lab_accession_sequence DEFAULT VALUES")
            number = cursor.lastrowid
    payload = str(number).zfill(ACCESSION_DIGITS)
    return payload + luhn_check_digit(payload)


# --- Ranges and flags ----------------------------------------------------------------------


def age_in_days(patient, on):
    """Return the patient's age in days on the date of `on` (a datetime or date)."""
    day = on.date() if hasattr(on, "date") else on
    return (day - patient.date_of_birth).days


def reference_range_for(test, patient, on):
    """Return the reference range of `test` for the patient's sex and age on `on`: the
    band for the patient's sex first, else the band for any sex; None if none applies."""
    age = age_in_days(patient, on)
    candidates = [
        r
        for r in test.ranges.all()
        if r.age_from_days <= age < r.age_to_days and r.sex in (patient.sex, RangeSex.ANY)
    ]
    candidates.sort(key=lambda r: r.sex == RangeSex.ANY)
    return candidates[0] if candidates else None


def flag_for(test, band, value):
    """Return the flag of `value` (Decimal for numeric tests, str for coded ones) against
    `band` (a ReferenceRange or None)."""
    if band is None:
        return ""
    if test.result_type == ResultType.CODED:
        return Flag.ABNORMAL if str(value).strip().lower() in band.abnormal_list else Flag.NORMAL
    if test.result_type != ResultType.NUMERIC:
        return ""
    if band.critical_low is not None and value <= band.critical_low:
        return Flag.CRITICAL_LOW
    if band.critical_high is not None and value >= band.critical_high:
        return Flag.CRITICAL_HIGH
    if band.normal_low is not None and value < band.normal_low:
        return Flag.LOW
    if band.normal_high is not None and value > band.normal_high:
        return Flag.HIGH
    return Flag.NORMAL


def parse_value(test, raw):
    """Return (numeric, text) for what was typed, or raise InvalidResultValue."""
    raw = "" if raw is None else str(raw).strip()
    if not raw:
        raise InvalidResultValue(_("Enter a value."))
    if test.result_type == ResultType.NUMERIC:
        try:
            number = Decimal(raw.replace(",", "."))
        except InvalidOperation:
            raise InvalidResultValue(_("Enter a number.")) from None
        if not number.is_finite():
            raise InvalidResultValue(_("Enter a number."))
        if number < 0 and not test.allow_negative:
            raise InvalidResultValue(_("This test cannot have a negative value."))
        if abs(number) >= Decimal("1e10"):
            raise InvalidResultValue(_("This value is too large."))
        return number.quantize(Decimal(1).scaleb(-test.decimals)), ""
    if test.result_type == ResultType.CODED:
        allowed = {v.lower(): v for v in test.allowed_values}
        if allowed and raw.lower() not in allowed:
            raise InvalidResultValue(
                _("Choose one of: %(values)s.") % {"values": ", ".join(test.allowed_values)}
            )
        return None, allowed.get(raw.lower(), raw)
    if len(raw) > 500:
        raise InvalidResultValue(_("At most 500 characters."))
    return None, raw


def _previous_numeric(result):
    """Return the patient's last final value of the same test before this order."""
    previous = (
        LabResult.objects.filter(
            order__patient_id=result.order.patient_id,
            test_id=result.test_id,
            status=LabResultStatus.FINAL,
            value_numeric__isnull=False,
        )
        .exclude(order_id=result.order_id)
        .order_by("-verified_at")
        .values_list("value_numeric", flat=True)
        .first()
    )
    return previous


def delta_exceeded(test, previous, value):
    """True when `value` differs from `previous` by more than the test's percentage."""
    if test.delta_check_percent is None or previous is None or value is None or previous == 0:
        return False
    change = abs(value - previous) / abs(previous) * 100
    return change > test.delta_check_percent


# --- Orders --------------------------------------------------------------------------------


def _lock(order):
    return LabOrder.objects.select_for_update().select_related("patient").get(pk=order.pk)


@transaction.atomic
def lab_order_create(
    *,
    patient,
    actor,
    tests,
    priority=Priority.ROUTINE,
    clinical_notes="",
    fasting=False,
    encounter=None,
    at=None,
):
    """Order `tests` (tests or panels) for `patient` as doctor `actor`: one result line per
    test, panels expanded into their members (a test in two panels once). Return the
    order."""
    ensure_active_doctor(actor, field="ordering_doctor")
    patient.ensure_active()
    tests = [t for t in tests if t.active]
    if not tests:
        raise NoTests()
    if encounter is not None and encounter.patient_id != patient.pk:
        raise NoTests(_("The encounter is another patient's."), field="encounter")
    at = at or timezone.now()
    order = LabOrder(
        patient=patient,
        encounter=encounter,
        ordering_doctor=actor,
        priority=priority,
        clinical_notes=clinical_notes,
        fasting=fasting,
        ordered_at=at,
        status_changed_at=at,
    )
    order.stamp(actor)
    order.full_clean()
    order.save()
    order.log_status_change("", LabOrderStatus.ORDERED, actor=actor, at=at)
    seen = set()
    for test in tests:
        LabOrderTest(order=order, test=test).stamp(actor).save()
        for member in test.member_tests():
            if member.pk in seen:
                continue
            seen.add(member.pk)
            line = LabResult(order=order, test=member, unit=member.unit)
            line.stamp(actor)
            line.save()
    return order


@transaction.atomic
def lab_order_collect(*, order, actor, at=None):
    """Record the collection of the order's specimen (again after a rejection): a new
    specimen with an accession number. Return the specimen."""
    order = _lock(order)
    at = at or timezone.now()
    order.transition_to(LabOrderStatus.COLLECTED, actor=actor, at=at)
    types = {line.test.specimen_type for line in order.results.select_related("test")}
    types.discard(None)
    specimen = Specimen(
        order=order,
        accession_number=accession_next(),
        specimen_type=next(iter(types)) if len(types) == 1 else None,
        collected_at=at,
        collected_by=actor,
    )
    specimen.stamp(actor)
    specimen.save()
    return specimen


@transaction.atomic
def lab_order_receive(*, accession_number, actor, at=None):
    """Receive in the lab the specimen scanned or typed by its accession number.
    Return the order."""
    number = (accession_number or "").strip()
    specimen = (
        Specimen.objects.select_for_update()
        .filter(accession_number=number, received_at__isnull=True, rejection_reason="")
        .first()
    )
    if specimen is None:
        raise AccessionNotFound()
    order = _lock(specimen.order)
    at = at or timezone.now()
    order.transition_to(LabOrderStatus.RECEIVED, actor=actor, at=at)
    specimen.received_at = at
    specimen.received_by = actor
    specimen.stamp(actor)
    specimen.save()
    return order


@transaction.atomic
def lab_order_reject(*, order, actor, reason, at=None):
    """Reject the order's specimen (haemolysed, clotted, insufficient, mislabelled): the
    order waits for a new collection and the ordering doctor is told."""
    order = _lock(order)
    at = at or timezone.now()
    order.transition_to(LabOrderStatus.REJECTED, actor=actor, at=at, reason=reason)
    specimen = order.current_specimen
    if specimen is not None:
        specimen.rejection_reason = reason
        specimen.stamp(actor)
        specimen.save()
    notification_send(
        recipients=[order.ordering_doctor],
        title=_("A specimen was rejected: a new collection is needed"),
        body=order.get_rejection_reason_display(),
        url=order.get_absolute_url(),
        level=Notification.Level.WARNING,
        category=NotificationCategory.RESULTS,
        actor=actor,
    )
    return order


@transaction.atomic
def lab_order_cancel(*, order, actor, reason, at=None):
    """Cancel the order with its reason."""
    order = _lock(order)
    order.transition_to(LabOrderStatus.CANCELLED, actor=actor, at=at, reason=reason)
    return order


# --- Results -------------------------------------------------------------------------------


@transaction.atomic
def lab_results_enter(*, order, actor, values, at=None):
    """Enter results: `values` maps result-line ids (or LabResult rows) to what was
    typed. Each value is parsed (field errors for impossible input), flagged against the
    range for the patient's sex and age at collection, and delta-checked. The first entry
    moves a received order in progress; once every line has a value the order is
    resulted (preliminary). Return the order."""
    if not actor.has_perm("laboratory.enter_labresult"):
        raise DomainPermissionDenied(_("You may not enter lab results."))
    order = _lock(order)
    at = at or timezone.now()
    if order.status not in (LabOrderStatus.IN_PROGRESS, LabOrderStatus.RESULTED):
        # From received; from anywhere else the table refuses it (409).
        order.transition_to(LabOrderStatus.IN_PROGRESS, actor=actor, at=at)
    lines = {
        str(line.pk): line
        for line in order.results.select_related("test")
        .prefetch_related("test__ranges")
        .exclude(status=LabResultStatus.CORRECTED)
    }
    collected_on = order.collected_at or at
    for key, raw in values.items():
        line = lines.get(str(getattr(key, "pk", key)))
        if line is None:
            raise InvalidResultValue(_("This line is not part of the order."), field="line")
        if raw is None or str(raw).strip() == "":
            continue
        try:
            numeric, text = parse_value(line.test, raw)
        except InvalidResultValue as exc:
            # Name the line, so a form of many lines shows it under the right field.
            raise InvalidResultValue(exc.messages[0], field=f"value_{line.pk}") from None
        band = reference_range_for(line.test, order.patient, collected_on)
        line.value_numeric, line.value_text = numeric, text
        line.flag = flag_for(line.test, band, numeric if numeric is not None else text)
        line.reference_range = band.display() if band else ""
        line.previous_value = _previous_numeric(line)
        line.delta_flag = delta_exceeded(line.test, line.previous_value, numeric)
        line.entered_by = actor
        line.entered_at = at
        line.status = LabResultStatus.PRELIMINARY
        line.stamp(actor)
        line.save()
    complete = all(line.status == LabResultStatus.PRELIMINARY for line in lines.values())
    if complete and order.status == LabOrderStatus.IN_PROGRESS:
        order.transition_to(LabOrderStatus.RESULTED, actor=actor, at=at)
    return order


@transaction.atomic
def lab_order_verify(*, order, actor, at=None):
    """Verify the order's results as `actor`, who must not have entered any of them (the
    database refuses it too): the results become final, critical ones raise an alert
    for the ordering doctor, and `lab.result_verified` is published per result."""
    if not actor.has_perm("laboratory.verify_labresult"):
        raise DomainPermissionDenied(_("You may not verify lab results."))
    order = _lock(order)
    at = at or timezone.now()
    lines = list(order.results.select_related("test").filter(status=LabResultStatus.PRELIMINARY))
    if not order.can_transition_to(LabOrderStatus.VERIFIED, at):
        order.transition_to(LabOrderStatus.VERIFIED, actor=actor, at=at)  # raises (409)
    if any(line.entered_by_id == actor.pk for line in lines):
        raise SameUser()
    order.transition_to(LabOrderStatus.VERIFIED, actor=actor, at=at)
    for line in lines:
        line.status = LabResultStatus.FINAL
        line.verified_by = actor
        line.verified_at = at
        line.stamp(actor)
        try:
            with transaction.atomic():
                line.save()
        except IntegrityError:
            raise SameUser() from None
        _after_final(line, actor=actor, at=at)
    return order


def _after_final(result, *, actor, at):
    if result.flag in CRITICAL_FLAGS:
        critical_alert_raise(result=result, at=at, actor=actor)
    events.publish(
        "lab.result_verified",
        {
            "result_id": str(result.pk),
            "order_id": str(result.order_id),
            "patient_id": str(result.order.patient_id),
            "test_code": result.test.code,
            "loinc": result.test.loinc or None,
            "value": float(result.value_numeric) if result.value_numeric is not None else None,
            "value_text": result.value_text or None,
            "flag": result.flag or None,
            "verified_by_id": str(actor.pk),
        },
        actor=actor,
    )


@transaction.atomic
def lab_result_correct(*, result, actor, value, reason, at=None):
    """Correct a final result: a new version with the new value and `reason`, verified
    by `actor` (not the person who entered the original). The old version stays, marked
    corrected; the ordering doctor is notified. Return the new version."""
    if not actor.has_perm("laboratory.verify_labresult"):
        raise DomainPermissionDenied(_("You may not correct lab results."))
    reason = (reason or "").strip()
    if not reason:
        raise ReasonRequired()
    old = (
        LabResult.objects.select_for_update()
        .select_related("order__patient", "test")
        .get(pk=result.pk)
    )
    if old.status != LabResultStatus.FINAL:
        raise NotCorrectable()
    if old.entered_by_id == actor.pk:
        raise SameUser()
    at = at or timezone.now()
    numeric, text = parse_value(old.test, value)
    old.status = LabResultStatus.CORRECTED
    old.stamp(actor)
    old.save()
    band = reference_range_for(old.test, old.order.patient, old.order.collected_at or at)
    new = LabResult(
        order=old.order,
        test=old.test,
        version=old.version + 1,
        value_numeric=numeric,
        value_text=text,
        unit=old.unit,
        reference_range=band.display() if band else "",
        flag=flag_for(old.test, band, numeric if numeric is not None else text),
        previous_value=old.value_numeric,
        entered_by=old.entered_by,
        entered_at=at,
        verified_by=actor,
        verified_at=at,
        status=LabResultStatus.FINAL,
        corrects=old,
        correction_reason=reason,
    )
    new.stamp(actor)
    new.full_clean(exclude=["order", "test", "corrects"])
    new.save()
    notification_send(
        recipients=[old.order.ordering_doctor],
        title=_("A lab result was corrected"),
        body=_("%(test)s: %(old)s → %(new)s. Reason: %(reason)s")
        % {
            "test": old.test.name,
            "old": old.display_value,
            "new": new.display_value,
            "reason": reason,
        },
        url=old.order.get_absolute_url(),
        level=Notification.Level.WARNING,
        category=NotificationCategory.RESULTS,
        actor=actor,
    )
    _after_final(new, actor=actor, at=at)
    return new


@transaction.atomic
def lab_result_review(*, result, actor, at=None):
    """Mark a final result as reviewed by doctor `actor` (off the "to review" list)."""
    result = LabResult.objects.select_for_update().get(pk=result.pk)
    if result.reviewed_at is None:
        result.reviewed_by = actor
        result.reviewed_at = at or timezone.now()
        result.stamp(actor)
        result.save()
    return result


# --- Critical results ----------------------------------------------------------------------


def _alert_url(alert):
    return reverse("laboratory:laborder_detail", args=[alert.result.order_id])


def critical_alert_raise(*, result, at=None, actor=None):
    """Raise the critical-result alert of a verified critical result for the ordering
    doctor (in the app and by email, whatever their preferences). Return the alert."""
    at = at or timezone.now()
    doctor = result.order.ordering_doctor
    alert = CriticalAlert(
        result=result, patient_id=result.order.patient_id, doctor=doctor, raised_at=at
    )
    alert.stamp(actor)
    alert.save()
    _alert_step(alert, level=0, action="raised", recipients=[doctor], at=at, actor=actor)
    return alert


def _alert_step(alert, *, level, action, recipients, at, actor=None):
    step = CriticalAlertStep(
        alert=alert,
        level=level,
        action=action,
        at=at,
        recipients=", ".join(sorted(u.get_full_name() or u.email for u in recipients))[:2000],
    )
    step.stamp(actor)
    step.save()
    if recipients:
        notification_send(
            recipients=recipients,
            title=_("Critical lab result to acknowledge")
            if level == 0
            else _("Critical lab result not acknowledged (escalation %(level)s)")
            % {"level": level},
            body=_("%(test)s %(value)s %(unit)s (%(flag)s)")
            % {
                "test": alert.result.test.name,
                "value": alert.result.display_value,
                "unit": alert.result.unit,
                "flag": alert.result.get_flag_display(),
            },
            url=_alert_url(alert),
            level=Notification.Level.CRITICAL,
            category=NotificationCategory.CRITICAL_RESULTS,
            actor=actor,
        )
    return step


@transaction.atomic
def critical_alert_acknowledge(*, alert, actor, note, at=None):
    """Acknowledge a critical result with the read-back note (who, when, what). Any
    doctor who may open the chart may acknowledge it (checked by the caller)."""
    note = (note or "").strip()
    if not note:
        raise ReasonRequired(_("Write the read-back note."), field="note")
    alert = CriticalAlert.objects.select_for_update().get(pk=alert.pk)
    if alert.status != CriticalAlertStatus.OPEN:
        raise AlertAlreadyAcknowledged()
    at = at or timezone.now()
    alert.status = CriticalAlertStatus.ACKNOWLEDGED
    alert.acknowledged_by = actor
    alert.acknowledged_at = at
    alert.read_back_note = note
    alert.stamp(actor)
    alert.full_clean(exclude=["result", "patient", "doctor"])
    alert.save()
    _alert_step(alert, level=alert.escalation_level, action="acknowledged", recipients=[], at=at)
    return alert


def escalation_recipients(alert, level):
    """Return who an alert reaches at `level`: 1 = the attending doctor of the open
    admission and the doctors of the care team; 2 = every active Administrator."""
    if level == 1:
        people = {}
        admission = (
            Admission.objects.filter(patient_id=alert.patient_id)
            .exclude(status=Admission.Status.DISCHARGED)
            .select_related("attending_doctor")
            .first()
        )
        if admission is not None:
            people[admission.attending_doctor.pk] = admission.attending_doctor
        for row in care_team_for(alert.patient):
            people[row.user.pk] = row.user
        for relationship in care_relationships_for(alert.patient):
            people[relationship.user.pk] = relationship.user
        return [u for u in people.values() if is_active_doctor(u) and u.pk != alert.doctor_id]
    return list(get_user_model().objects.filter(is_active=True, groups__name=roles.ADMINISTRATOR))


def critical_alerts_escalate(now=None):
    """Escalate every open alert unacknowledged for longer than the
    `critical_result_escalation` parameter since its last step: first to the attending
    and care-team doctors, then to the administrators. Each alert is locked and each
    level recorded once (a unique step), so running this twice, even at once, escalates
    nothing twice. Return the number of steps taken."""
    now = now or timezone.now()
    wait = timedelta(minutes=parameters.get("critical_result_escalation"))
    steps = 0
    candidates = CriticalAlert.objects.filter(
        status=CriticalAlertStatus.OPEN, escalation_level__lt=2
    ).values_list("pk", flat=True)
    for pk in list(candidates):
        with transaction.atomic():
            alert = (
                CriticalAlert.objects.select_for_update()
                .select_related("result__test", "result__order")
                .get(pk=pk)
            )
            since = alert.last_escalated_at or alert.raised_at
            if alert.status != CriticalAlertStatus.OPEN or now - since < wait:
                continue
            level = alert.escalation_level + 1
            if level > 2:
                continue
            alert.escalation_level = level
            alert.last_escalated_at = now
            alert.stamp(None)
            alert.save()
            _alert_step(
                alert,
                level=level,
                action="escalated",
                recipients=escalation_recipients(alert, level),
                at=now,
            )
            steps += 1
    return steps


# --- Imaging -------------------------------------------------------------------------------


@transaction.atomic
def imaging_order_create(
    *, patient, actor, modality, body_part, clinical_question, priority=Priority.ROUTINE
):
    """Order an imaging study for `patient` as doctor `actor`; return the order."""
    ensure_active_doctor(actor, field="ordering_doctor")
    patient.ensure_active()
    order = ImagingOrder(
        patient=patient,
        ordering_doctor=actor,
        modality=modality,
        body_part=body_part,
        clinical_question=clinical_question,
        priority=priority,
    )
    order.stamp(actor)
    order.full_clean()
    order.save()
    order.log_status_change("", ImagingOrderStatus.ORDERED, actor=actor, at=order.ordered_at)
    return order


@transaction.atomic
def imaging_order_perform(*, order, actor, at=None):
    """Record that the study was performed."""
    order = ImagingOrder.objects.select_for_update().get(pk=order.pk)
    order.transition_to(ImagingOrderStatus.PERFORMED, actor=actor, at=at)
    return order


@transaction.atomic
def imaging_report_sign(*, order, actor, report, at=None):
    """Sign the radiologist's report of a performed study: the text is final (a reported
    study cannot change; the state table has no way out of `reported`). The ordering
    doctor is notified."""
    if not actor.has_perm("laboratory.sign_imagingreport"):
        raise DomainPermissionDenied(_("You may not sign imaging reports."))
    report = (report or "").strip()
    if not report:
        raise ReportRequired()
    if len(report) > ImagingOrder._meta.get_field("report").max_length:
        raise ReportRequired(_("The report is too long."))
    order = ImagingOrder.objects.select_for_update().get(pk=order.pk)
    order.transition_to(ImagingOrderStatus.REPORTED, actor=actor, at=at, report=report)
    notification_send(
        recipients=[order.ordering_doctor],
        title=_("An imaging report is signed"),
        body=str(order),
        url=reverse("patients:patient_chart", args=[order.patient_id, "documents"]),
        category=NotificationCategory.RESULTS,
        actor=actor,
    )
    return order


@transaction.atomic
def imaging_order_cancel(*, order, actor, reason, at=None):
    """Cancel an imaging order with its reason."""
    order = ImagingOrder.objects.select_for_update().get(pk=order.pk)
    order.transition_to(ImagingOrderStatus.CANCELLED, actor=actor, at=at, reason=reason)
    return order

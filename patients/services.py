"""Writes of the patient record: registration with MRN and duplicate check, edits,
deactivation and death, the care team, break-the-glass, the access log and merges."""

from datetime import timedelta

from django.apps import apps
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts import roles
from ehr.core import jobs, parameters
from ehr.core.clock import ensure_not_in_future
from ehr.core.exceptions import DomainError, DomainPermissionDenied
from ehr.core.models import Notification
from ehr.core.services import notification_send
from patients import jobs as patients_jobs
from patients.exceptions import (
    BreakGlassNotNeeded,
    CareTeamChangeNotAllowed,
    CareTeamRoleNotAllowed,
    CareTeamSelfAdd,
    ChartAccessDenied,
    DeathBeforeBirth,
    IdentifierInUse,
    MergeNotAllowed,
    PatientInactive,
    PossibleDuplicatePatient,
)
from patients.models import (
    AccessReason,
    BreakGlassAccess,
    CareRelationship,
    ChartAccess,
    EmergencyContact,
    Patient,
    PatientGroupObjectPermission,
    PatientIdentifier,
    PatientMerge,
    PatientUserObjectPermission,
    luhn_check_digit,
)
from patients.selectors import (
    VIEW_CHART,
    can_manage_care_team,
    chart_access_for,
    chart_access_for_many,
    duplicate_candidates,
    phonetic,
)

PRIVACY_REVIEW_PERMISSION = "patients.review_breakglassaccess"

MRN_DIGITS = 7  # payload digits before the check digit

DEMOGRAPHIC_FIELDS = (
    "first_name",
    "middle_name",
    "last_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "appointment_reminders",
    "sms_messages",
    "address_line",
    "city",
    "region",
    "postal_code",
    "country",
    "preferred_language",
    "marital_status",
    "occupation",
    "insurance_payer",
    "insurance_policy_number",
)


# --- MRN --------------------------------------------------------------------------------------


def mrn_next():
    """Return a new MRN: the next value of a database sequence (never reused, no races),
    zero-padded, with a Luhn check digit.

    PostgreSQL: a real SEQUENCE. SQLite: an AUTOINCREMENT table, whose ids are never
    reused either; IMMEDIATE transactions serialise the writers.
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval('patient_mrn_seq')")
            number = cursor.fetchone()[0]
        else:
            cursor.execute("INSERT INTO patient_mrn_sequence DEFAULT VALUES")
            number = cursor.lastrowid
    payload = str(number).zfill(MRN_DIGITS)
    return payload + luhn_check_digit(payload)


# --- Registration and demographics ------------------------------------------------------------


def _check_date_of_birth(value):
    ensure_not_in_future(
        value, field="date_of_birth", message=_("The date of birth cannot be in the future.")
    )


def _set_search_keys(patient):
    patient.first_name_phonetic = phonetic(patient.first_name)
    patient.last_name_phonetic = phonetic(patient.last_name)


def _save_identifiers(patient, identifiers, actor):
    for item in identifiers:
        identifier = PatientIdentifier(patient=patient, type=item["type"], value=item["value"])
        identifier.stamp(actor)
        try:
            with transaction.atomic():
                identifier.save()
        except IntegrityError:
            raise IdentifierInUse(
                _("The %(type)s %(value)s already belongs to another patient.")
                % {"type": identifier.get_type_display(), "value": identifier.value}
            ) from None


def _save_contacts(patient, contacts, actor):
    for item in contacts:
        contact = EmergencyContact(patient=patient, **item)
        contact.stamp(actor)
        contact.full_clean(exclude=["patient"])
        contact.save()


@transaction.atomic
def patient_register(*, actor, allow_duplicate=False, identifiers=(), contacts=(), **fields):
    """Register a patient: check for duplicates, draw an MRN, save with identifiers and
    emergency contacts. Raise TimeInFuture for a date of birth that has not come yet, and
    PossibleDuplicatePatient (with the candidates) unless `allow_duplicate`."""
    _check_date_of_birth(fields.get("date_of_birth"))
    patient = Patient(**{k: v for k, v in fields.items() if k in DEMOGRAPHIC_FIELDS})
    patient.mrn = "0"  # placeholder so full_clean can run before a number is drawn
    patient.full_clean(exclude=["mrn"])
    if not allow_duplicate:
        candidates = duplicate_candidates(
            first_name=patient.first_name,
            last_name=patient.last_name,
            date_of_birth=patient.date_of_birth,
            sex=patient.sex,
            phone=str(patient.phone or ""),
            email=patient.email,
        )
        if candidates:
            raise PossibleDuplicatePatient(candidates)
    patient.mrn = mrn_next()
    _set_search_keys(patient)
    patient.stamp(actor)
    patient.save()
    _save_identifiers(patient, identifiers, actor)
    _save_contacts(patient, contacts, actor)
    return patient


@transaction.atomic
def patient_update(*, patient, actor, **fields):
    """Change a patient's demographics (only the fields given). A merged-away record is
    not edited (PatientInactive); a date of birth in the future is refused
    (TimeInFuture)."""
    _check_date_of_birth(fields.get("date_of_birth"))
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.merged_into_id:
        raise PatientInactive(_("This record was merged into another; edit the survivor."))
    changed = False
    for name, value in fields.items():
        if name not in DEMOGRAPHIC_FIELDS:
            raise ValueError(f"{name} is not a demographic field")
        if getattr(patient, name) != value:
            setattr(patient, name, value)
            changed = True
    if not changed:
        return patient  # nothing to save: no empty history row
    patient.full_clean()
    _set_search_keys(patient)
    patient.stamp(actor)
    patient.save()
    return patient


@transaction.atomic
def patient_set_identifiers(*, patient, actor, identifiers):
    """Replace a patient's identifiers with `identifiers` ([{type, value}])."""
    wanted = {(i["type"], i["value"]) for i in identifiers}
    for existing in patient.identifiers.all():
        if (existing.type, existing.value) not in wanted:
            existing._history_user = actor
            existing.delete()
    have = set(patient.identifiers.values_list("type", "value"))
    _save_identifiers(
        patient, [i for i in identifiers if (i["type"], i["value"]) not in have], actor
    )


@transaction.atomic
def patient_set_contacts(*, patient, actor, contacts):
    """Make a patient's emergency contacts `contacts` ([{name, relationship, phone}]):
    unchanged contacts stay as they are, others are removed or added."""

    def key(name, relationship, phone):
        return (name.strip(), relationship.strip(), str(phone))

    wanted = {key(c["name"], c["relationship"], c["phone"]): c for c in contacts}
    for existing in patient.emergency_contacts.all():
        k = key(existing.name, existing.relationship, existing.phone)
        if k in wanted:
            wanted.pop(k)
        else:
            existing._history_user = actor
            existing.delete()
    _save_contacts(patient, list(wanted.values()), actor)


@transaction.atomic
def patient_edit(*, patient, actor, identifiers=None, contacts=None, **fields):
    """Change demographics and, when given, identifiers and emergency contacts, all in
    one transaction (a refused identifier leaves nothing half-saved)."""
    patient = patient_update(patient=patient, actor=actor, **fields)
    if identifiers is not None:
        patient_set_identifiers(patient=patient, actor=actor, identifiers=identifiers)
    if contacts is not None:
        patient_set_contacts(patient=patient, actor=actor, contacts=contacts)
    return patient


def _set_active(patient, actor, active):
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.merged_into_id and active:
        raise PatientInactive(_("A merged record is reactivated by undoing the merge."))
    patient.is_active = active
    patient.stamp(actor)
    patient.save()
    return patient


@transaction.atomic
def patient_deactivate(*, patient, actor):
    """Deactivate a patient record (the record is kept; it no longer shows as active)."""
    return _set_active(patient, actor, False)


@transaction.atomic
def patient_reactivate(*, patient, actor):
    """Reactivate a deactivated patient record."""
    return _set_active(patient, actor, True)


@transaction.atomic
def patient_record_death(*, patient, actor, deceased_on):
    """Record that a patient died on `deceased_on`. Only a clinician who may open the
    chart (care team, a care relationship, break-the-glass) may: a death ends care,
    appointments and reminders (ChartAccessDenied otherwise; a system job passes None).
    A date of death in the future (TimeInFuture) or before the birth (DeathBeforeBirth)
    is refused on `deceased_on`."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if actor is not None and not chart_access_for(actor, patient).allowed:
        raise ChartAccessDenied()
    ensure_not_in_future(
        deceased_on, field="deceased_on", message=_("The date of death cannot be in the future.")
    )
    if deceased_on < patient.date_of_birth:
        raise DeathBeforeBirth()
    patient.is_deceased = True
    patient.deceased_on = deceased_on
    patient.stamp(actor)
    patient.save()
    return patient


# --- Care team and break-the-glass -----------------------------------------------------------


def _check_care_team_manager(actor, patient):
    if actor is not None and not can_manage_care_team(actor, patient):
        raise CareTeamChangeNotAllowed()


def _view_chart_permission():
    return Permission.objects.get(content_type__app_label="patients", codename=VIEW_CHART)


@transaction.atomic
def care_team_add(*, patient, user, actor):
    """Put `user` on the patient's care team explicitly (idempotent; an expiring
    break-the-glass grant becomes a permanent membership). Return the permission row.

    Access that comes from care (appointments, encounters, admissions, wards) is not a
    membership: it is a windowed `CareRelationship` (`care_relationships_sync`). Nobody
    adds himself (CareTeamSelfAdd): passing access never becomes a membership that way.
    Only doctors and nurses join (CareTeamRoleNotAllowed), and only someone who may
    manage this care team adds them (CareTeamChangeNotAllowed; a system job passes
    None)."""
    if actor is not None and actor.pk == user.pk:
        raise CareTeamSelfAdd()
    if not user.is_active or not user.has_role(roles.DOCTOR, roles.NURSE):
        raise CareTeamRoleNotAllowed()
    _check_care_team_manager(actor, patient)
    permission = _view_chart_permission()
    row = (
        PatientUserObjectPermission.objects.select_for_update()
        .filter(user=user, permission=permission, content_object=patient)
        .first()
    )
    if row is None:
        row = PatientUserObjectPermission(
            user=user, permission=permission, content_object=patient, reason=AccessReason.EXPLICIT
        )
    elif row.expires_at is None:
        return row
    else:
        row.reason, row.expires_at = AccessReason.EXPLICIT, None
    row.stamp(actor)
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # added concurrently: the membership exists, which is the goal
        row = PatientUserObjectPermission.objects.get(
            user=user, permission=permission, content_object=patient
        )
    return row


@transaction.atomic
def care_team_remove(*, patient, user, actor):
    """Take `user` off the patient's care team (explicit membership or break-the-glass
    grant; care relationships end with their care). Return True if one was removed.
    Only someone who may manage this care team removes members
    (CareTeamChangeNotAllowed; a system job passes None)."""
    _check_care_team_manager(actor, patient)
    rows = list(
        PatientUserObjectPermission.objects.filter(
            user=user, content_object=patient, permission__codename=VIEW_CHART
        )
    )
    for row in rows:
        row._history_user = actor
        row.delete()
    return bool(rows)


def _privacy_reviewers():
    return list(
        ModelBackend().with_perm(
            PRIVACY_REVIEW_PERMISSION, is_active=True, include_superusers=False
        )
    )


def _notify_self_assigned(relationship, actor):
    notification_send(
        recipients=_privacy_reviewers(),
        title=_("Self-assigned chart access to review"),
        body=_(
            "%(user)s gave himself access to the chart of %(patient)s through %(source)s, "
            "from %(opens)s."
        )
        % {
            "user": relationship.user.get_full_name(),
            "patient": relationship.patient.display_mrn,
            "source": relationship.get_reason_display().lower(),
            "opens": timezone.localtime(relationship.opens_at).strftime("%Y-%m-%d %H:%M"),
        },
        url=reverse("patients:breakglass_review_list"),
        level=Notification.Level.WARNING,
        category="privacy",
        actor=actor,
    )


@transaction.atomic
def care_relationships_sync(*, source, patient, windows, actor, at=None):
    """Make the care relationships that `source` (an appointment, encounter, admission or
    bed stay) gives on `patient` match `windows` (the source's `care_windows()`): open or
    move the window of each clinician listed, and close at once those of clinicians no
    longer listed (a cancelled source lists nobody). Return the relationships of
    `windows`.

    A clinician who creates a relationship for himself (`actor` is the clinician: he
    books himself, moves an appointment to himself, admits as attending doctor, starts an
    encounter) with a patient whose chart he could not open on standing grounds (explicit
    membership or a relationship someone else created) gets it marked self-assigned, and
    the privacy reviewers are told. Ward access is never self-assigned: it follows the
    ward assignments administrators make.
    """
    now = at or timezone.now()
    source_type = source._meta.label_lower
    existing = {
        row.user_id: row
        for row in CareRelationship.objects.select_for_update().filter(
            source_type=source_type, source_id=source.pk
        )
    }
    kept = []
    for window in windows:
        row = existing.pop(window.user.pk, None)
        if row is None:
            # Ward access comes from the ward assignment administrators make, not from
            # the nurse who places a patient in a bed of her ward.
            self_assigned = (
                actor is not None
                and actor.pk == window.user.pk
                and window.reason != AccessReason.WARD
                and not chart_access_for(actor, patient, now=now).standing
            )
            row = CareRelationship(
                patient=patient,
                user=window.user,
                reason=window.reason,
                source_type=source_type,
                source_id=source.pk,
                self_assigned=self_assigned,
            )
        elif (row.opens_at, row.closes_at, row.patient_id) == (
            window.opens_at,
            window.closes_at,
            patient.pk,
        ):
            kept.append(row)
            continue
        is_new = row._state.adding
        row.patient = patient
        row.opens_at, row.closes_at = window.opens_at, window.closes_at
        row.stamp(actor)
        row.save()
        if is_new and row.self_assigned:
            _notify_self_assigned(row, actor)
        kept.append(row)
    for row in existing.values():  # clinicians the source no longer names
        if row.closes_at is not None and row.closes_at <= now:
            continue
        row.closes_at = now
        row.opens_at = min(row.opens_at, now)
        row.stamp(actor)
        row.save()
    return kept


@transaction.atomic
def care_relationship_review(*, relationship, actor, comment):
    """Mark a self-assigned care relationship reviewed, with the reviewer's comment."""
    relationship = CareRelationship.objects.select_for_update().get(pk=relationship.pk)
    relationship.reviewed_at = timezone.now()
    relationship.reviewed_by = actor
    relationship.review_comment = comment.strip()
    relationship.stamp(actor)
    relationship.save()
    return relationship


def _check_length(model, **values):
    """Raise DomainError with a field error for each value longer than `model`'s field
    of that name takes (for the writes below, which save without full_clean)."""
    errors = {}
    for name, value in values.items():
        try:
            model._meta.get_field(name).run_validators(value)
        except ValidationError as exc:
            errors[name] = exc.error_list
    if errors:
        raise DomainError(errors)


@transaction.atomic
def break_glass_open(*, patient, user, reason, details=""):
    """Give `user` time-limited access to one chart outside their care team, for a
    reason of the list (`BreakGlassReason`) and its details (required for "other");
    notify the Administrators. Return the BreakGlassAccess."""
    if not user.has_perm("patients.break_glass"):
        raise ChartAccessDenied(_("Your role cannot break the glass."))
    now = timezone.now()
    expires = now + timedelta(minutes=parameters.get("break_glass_duration"))
    access = BreakGlassAccess(
        patient=patient,
        user=user,
        reason=reason or "",
        details=(details or "").strip(),
        granted_at=now,
        expires_at=expires,
    )
    access.stamp(user)
    access.clean_fields(exclude=["patient", "user", "created_by", "updated_by"])
    access.clean()
    if chart_access_for(user, patient).allowed:
        raise BreakGlassNotNeeded()
    access.save()
    permission = _view_chart_permission()
    row, _created = PatientUserObjectPermission.objects.get_or_create(
        user=user,
        permission=permission,
        content_object=patient,
        defaults={
            "reason": AccessReason.BREAK_GLASS,
            "expires_at": expires,
            "created_by": user,
            "updated_by": user,
        },
    )
    if not _created:  # an expired grant not yet cleaned up
        row.reason, row.expires_at = AccessReason.BREAK_GLASS, expires
        row.stamp(user)
        row.save()
    notification_send(
        recipients=_privacy_reviewers(),
        title=_("Break-the-glass access to review"),
        body=_("%(user)s opened the chart of %(patient)s: %(reason)s")
        % {
            "user": user.get_full_name(),
            "patient": patient.display_mrn,
            "reason": access.reason_text,
        },
        url=reverse("patients:breakglass_review_list"),
        level=Notification.Level.WARNING,
        category="privacy",
        actor=user,
    )
    return access


@transaction.atomic
def break_glass_review(*, access, actor, comment):
    """Mark a break-the-glass access reviewed, with the reviewer's comment."""
    access = BreakGlassAccess.objects.select_for_update().get(pk=access.pk)
    access.reviewed_at = timezone.now()
    access.reviewed_by = actor
    access.review_comment = comment.strip()
    access.stamp(actor)
    access.save()
    return access


def access_grants_expire(now=None):
    """Remove expired time-limited chart permissions; return how many were removed.
    (Expiry is enforced at every check; this only clears the table.)"""
    now = now or timezone.now()
    expired = list(PatientUserObjectPermission.objects.filter(expires_at__lte=now))
    for row in expired:
        row._history_user = None
        row.delete()
    return len(expired)


# --- The access log ---------------------------------------------------------------------------


def client_address(request):
    """Return the client's IP address (REMOTE_ADDR; Nginx sets it via the proxy)."""
    return request.META.get("REMOTE_ADDR") or None


def chart_access_record(
    *, patient, user, part, request=None, channel=ChartAccess.Channel.WEB, decision=None
):
    """Log that `user` viewed `part` of the chart of `patient` (who, role, what, when,
    from where, under which grant)."""
    entry = _chart_access_entry(patient, user, part, request, channel, decision)
    # An access-log row is written once and never changed (no edit in the admin, a merge
    # leaves it on the record that was opened): its history would only repeat it.
    entry.skip_history_when_saving = True
    entry.save()
    return entry


def _chart_access_entry(patient, user, part, request, channel, decision):
    entry = ChartAccess(
        patient=patient,
        user=user,
        roles=", ".join(sorted(user.role_names)),
        part=part,
        channel=channel,
        ip_address=client_address(request) if request is not None else None,
        break_glass=decision.break_glass if decision is not None else None,
        grant_reason=decision.reason if decision is not None else "",
        care_relationship=decision.relationship if decision is not None else None,
    )
    return entry.stamp(user)


def chart_open(
    *, patient, user, part, request=None, channel=ChartAccess.Channel.WEB, clinical=True
):
    """Check that `user` may view `part` of the chart and log the view. Clinical parts
    need chart access (care team or break-the-glass) or a worklist that opens that part
    (`ehr.core.access`); raise ChartAccessDenied if not. Return the access decision."""
    decision = chart_access_for(user, patient)
    if clinical and not decision.covers(part):
        raise ChartAccessDenied()
    chart_access_record(
        patient=patient,
        user=user,
        part=part,
        request=request,
        channel=channel,
        decision=decision if decision.covers(part) else None,
    )
    return decision


def chart_open_many(*, patients, user, part, request=None, channel=ChartAccess.Channel.WEB):
    """Check that `user` may view `part` of the chart of each of `patients` (a list
    across charts) and log one read per patient, in one insert; raise ChartAccessDenied
    (and log nothing) if any is refused. Return {patient pk: decision}."""
    patients = list({p.pk: p for p in patients}.values())
    decisions = chart_access_for_many(user, patients)
    if any(not decisions[p.pk].covers(part) for p in patients):
        raise ChartAccessDenied()
    # No history rows: an access-log row is never changed (see chart_access_record).
    ChartAccess.objects.bulk_create(
        [_chart_access_entry(p, user, part, request, channel, decisions[p.pk]) for p in patients]
    )
    return decisions


ACCESS_LOG_EXPORT_MAX_DAYS = 366


def access_log_export_start(*, actor, date_from, date_to):
    """Queue the export of the chart access log from `date_from` to `date_to` (dates,
    both included) as CSV, for `actor`, who must be allowed to read the whole access
    log; return the Job (its page shows the progress and the file)."""
    if not actor.has_perm("patients.view_chartaccess"):
        raise DomainPermissionDenied(_("Your role does not allow reading the access log."))
    if date_from > date_to:
        raise ValidationError({"date_to": _("The end comes before the start.")})
    if (date_to - date_from).days >= ACCESS_LOG_EXPORT_MAX_DAYS:
        raise ValidationError(
            {
                "date_to": _("Export at most %(days)d days at a time.")
                % {"days": ACCESS_LOG_EXPORT_MAX_DAYS}
            }
        )
    if date_from > timezone.localdate():
        raise ValidationError({"date_from": _("The start is in the future.")})
    return jobs.enqueue(
        patients_jobs.access_log_export,
        date_from.isoformat(),
        date_to.isoformat(),
        requested_by=actor,
        label=_("Chart access log, %(first)s to %(last)s")
        % {"first": date_from.isoformat(), "last": date_to.isoformat()},
    )


# --- Merge ------------------------------------------------------------------------------------


def _patient_references():
    """Yield (model, field name) for every foreign key that points at Patient, found
    generically so models added later by other apps are merged too."""
    # Hidden relations (related_name="+": history rows, merge records, merged_into)
    # are not listed by related_objects, and stay where they are; so do audit records
    # (`stays_on_merge`): the access log keeps naming the record that was opened.
    for relation in Patient._meta.related_objects:
        if getattr(relation.related_model, "stays_on_merge", False):
            continue
        if relation.one_to_many or relation.one_to_one:
            yield relation.related_model, relation.field.name


def _survivor_has_same_permission(obj, survivor):
    """Return True if `obj` is an object permission the survivor already carries (moving
    it would break the one-row-per-(holder, permission, patient) rule)."""
    if isinstance(obj, PatientUserObjectPermission):
        holder = {"user_id": obj.user_id}
    elif isinstance(obj, PatientGroupObjectPermission):
        holder = {"group_id": obj.group_id}
    else:
        return False
    return (
        type(obj)
        .objects.filter(permission_id=obj.permission_id, content_object=survivor, **holder)
        .exists()
    )


@transaction.atomic
def patient_merge(*, survivor, duplicate, actor, reason=""):
    """Merge `duplicate` into `survivor`: move every record that points at the duplicate
    to the survivor, deactivate the duplicate, and record exactly what moved."""
    if survivor.pk == duplicate.pk:
        raise MergeNotAllowed(_("A record cannot be merged into itself."))
    _check_length(PatientMerge, reason=reason)
    locked = {
        p.pk: p
        for p in Patient.objects.select_for_update().filter(pk__in=[survivor.pk, duplicate.pk])
    }
    survivor, duplicate = locked[survivor.pk], locked[duplicate.pk]
    try:
        survivor.ensure_active(allow_deceased=True)
    except PatientInactive:
        raise MergeNotAllowed(_("The surviving record must be active.")) from None
    if duplicate.merged_into_id:
        raise MergeNotAllowed(_("This record was already merged."))
    # Marked merged before anything moves: the signed-note trigger (clinical migration
    # 0009) lets a signed note change patient only to the record its own was merged into.
    was_active = duplicate.is_active
    duplicate.is_active = False
    duplicate.merged_into = survivor
    duplicate.stamp(actor)
    duplicate.save()
    moved = []
    for model, field in _patient_references():
        for obj in model._base_manager.filter(**{field: duplicate}):
            entry = {"model": model._meta.label, "pk": str(obj.pk), "field": field}
            if _survivor_has_same_permission(obj, survivor):
                continue  # the survivor holds this permission already
            # A record kept once per patient may fold into the survivor's twin first (a
            # problem the survivor also lists); it says which fields it changed, from what.
            follow = getattr(obj, "follow_patient_merge", None)
            restore = follow(survivor) if follow else {}
            if restore:
                entry["restore"] = restore
            setattr(obj, field, survivor)
            if hasattr(obj, "stamp"):
                obj.stamp(actor)
            try:
                with transaction.atomic():
                    obj.save()
            except IntegrityError:
                # A rule of another module holds per patient (one open admission…).
                raise MergeNotAllowed(
                    _(
                        "Both records have a %(what)s that can exist only once per patient; "
                        "close one of them before merging."
                    )
                    % {"what": model._meta.verbose_name}
                ) from None
            moved.append(entry)
    if duplicate.user_id and not survivor.user_id:
        survivor.user, duplicate.user = duplicate.user, None
        moved.append({"model": "patients.Patient", "pk": str(survivor.pk), "field": "user"})
        duplicate.stamp(actor)
        duplicate.save()
        survivor.stamp(actor)
        survivor.save()
    merge = PatientMerge(
        survivor=survivor,
        duplicate=duplicate,
        reason=reason,
        moved=moved,
        duplicate_was_active=was_active,
    )
    merge.stamp(actor)
    merge.save()
    return merge


@transaction.atomic
def patient_merge_undo(*, merge, actor):
    """Undo a merge: move back exactly the records it moved and reactivate the duplicate."""
    merge = PatientMerge.objects.select_for_update().get(pk=merge.pk)
    if merge.undone_at:
        raise MergeNotAllowed(_("This merge was already undone."))
    duplicate = Patient.objects.select_for_update().get(pk=merge.duplicate_id)
    survivor = Patient.objects.select_for_update().get(pk=merge.survivor_id)
    # The records move back while the duplicate is still marked merged (the signed-note
    # trigger allows that move only then); the mark goes last.
    for entry in merge.moved:
        if entry["model"] == "patients.Patient" and entry["field"] == "user":
            duplicate.user, survivor.user = survivor.user, None
            survivor.stamp(actor)
            survivor.save()
            continue
        model = apps.get_model(entry["model"])
        obj = model._base_manager.filter(pk=entry["pk"]).first()
        if obj is None:  # removed since the merge (e.g. an expired grant)
            continue
        setattr(obj, entry["field"], duplicate)
        for attname, value in entry.get("restore", {}).items():
            setattr(obj, attname, value)
        if hasattr(obj, "stamp"):
            obj.stamp(actor)
        obj.save()
    duplicate.merged_into = None
    duplicate.is_active = merge.duplicate_was_active
    duplicate.stamp(actor)
    duplicate.save()
    merge.undone_at = timezone.now()
    merge.undone_by = actor
    merge.stamp(actor)
    merge.save()
    return merge


def mrn_block(count):
    """Return `count` new MRNs at once (bulk loads), drawn from the same sequence."""
    if count <= 0:
        return []
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval('patient_mrn_seq') FROM generate_series(1, %s)", [count])
            numbers = [row[0] for row in cursor.fetchall()]
        else:
            numbers = []
            for _ in range(count):
                cursor.execute("INSERT INTO patient_mrn_sequence DEFAULT VALUES")
                numbers.append(cursor.lastrowid)
    return [str(n).zfill(MRN_DIGITS) + luhn_check_digit(str(n).zfill(MRN_DIGITS)) for n in numbers]


@transaction.atomic
def patients_bulk_load(*, rows, actor=None, batch_size=1000):
    """Create many patients at once (demo data, imports): MRNs from the sequence, search
    keys set, history written through simple-history's bulk helper. No duplicate check.
    Return the created patients."""
    from simple_history.utils import bulk_create_with_history

    patients = []
    for mrn, fields in zip(mrn_block(len(rows)), rows, strict=True):
        patient = Patient(mrn=mrn, **fields)
        _set_search_keys(patient)
        patient.created_by = patient.updated_by = actor
        patients.append(patient)
    return bulk_create_with_history(
        patients,
        Patient,
        batch_size=batch_size,
        default_user=actor,
        default_change_reason="bulk load",
    )


def patient_merge_preview(duplicate):
    """Return [(model verbose name, count)] of the records a merge would move."""
    preview = []
    for model, field in _patient_references():
        count = model._base_manager.filter(**{field: duplicate}).count()
        if count:
            preview.append((str(model._meta.verbose_name_plural), count))
    return preview

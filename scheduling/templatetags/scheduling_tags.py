"""Template helpers of the scheduling pages: the rows of the arrivals list and of the
doctor's day.

The rows are built here rather than through a template included per row: a busy day is
60 rows a page, each with links, a state badge and its actions, and through the template
engine that was most of the page's time. URLs are reversed once per call, labels
translated once per call, and every value goes through html.escape (quotes included).
The markup is that of the templates it replaced; the views attach `actions` and
`reason_actions` (and, for the doctor's day, `reason_visible`) to each appointment.
"""

from html import escape

from django import template
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from patients.models import Patient
from scheduling.models import Appointment, AppointmentStatus

register = template.Library()

PLACEHOLDER = "00000000-0000-0000-0000-000000000000"


def _icon(name):
    return f'<i class="bi bi-{name}" aria-hidden="true"></i>'


def _urls(*names):
    """{name: url with PLACEHOLDER for the appointment's id}, each reversed once."""
    return {name: reverse(name, args=[PLACEHOLDER]) for name in names}


def _labels(field_choices):
    return {value: escape(str(label)) for value, label in field_choices}


class _Common:
    """What both kinds of row show, resolved once per call."""

    def __init__(self):
        self.tz = timezone.get_current_timezone()
        self.states = _labels(AppointmentStatus.choices)
        self.sexes = _labels(Patient._meta.get_field("sex").flatchoices)

    def times(self, appointment):
        start = appointment.start.astimezone(self.tz)
        end = appointment.end.astimezone(self.tz)
        return (
            f'<td class="text-nowrap"><time datetime="{start.isoformat()}" '
            f'class="fw-semibold">{start:%H:%M}</time><span class="d-block small '
            f'text-body-secondary">{end:%H:%M}</span></td>'
        )

    def patient_line(self, patient):
        sex = self.sexes.get(patient.sex, escape(str(patient.sex)))
        return (
            f'<span class="small text-body-secondary">{escape(patient.display_mrn)} · '
            f"{escape(patient.age_display)} · {sex}</span>"
        )

    def badge(self, appointment):
        status = appointment.status
        label = self.states.get(status, escape(status))
        return f'<span class="appt-status appt-status-{escape(status)}">{label}</span>'

    @staticmethod
    def place(appointment):
        room, clinic = appointment.room, appointment.clinic
        return (room.name if room is not None else "") or (
            clinic.name if clinic is not None else ""
        )

    @staticmethod
    def kind(appointment):
        kind = appointment.appointment_type
        return (
            f'<span class="type-dot" data-colour="{escape(kind.colour)}" '
            f'aria-hidden="true"></span>{escape(kind.name)}'
        )

    @staticmethod
    def error(context):
        if not context.get("row_error"):
            return ""
        return (
            '<span class="d-block small text-danger mt-1" role="alert">'
            f"{escape(str(context['row_error']))}</span>"
        )

    @staticmethod
    def reason_dropdown(*, toggle_class, toggle, url, field_id, label, submit_class, submit):
        """A dropdown with a required reason that posts with htmx (cancel, complete
        without an encounter); every argument is already escaped."""
        return (
            '<div class="dropdown d-inline-block">'
            f'<button class="btn btn-sm {toggle_class} dropdown-toggle" type="button" '
            'data-bs-toggle="dropdown" data-bs-auto-close="outside" aria-expanded="false">'
            f"{toggle}</button>"
            '<form class="dropdown-menu dropdown-menu-end p-3 cancel-dropdown" '
            f'hx-post="{url}">'
            f'<label class="form-label small" for="{field_id}">{label}</label>'
            '<input type="text" class="form-control form-control-sm mb-2" '
            f'id="{field_id}" name="reason" maxlength="255" required>'
            f'<button type="submit" class="btn btn-sm {submit_class} w-100">{submit}'
            "</button></form></div>"
        )

    def row(self, appointment, *, hx_vals, patient_cell, cells, message, buttons):
        """One `<tr>`: times, the patient, `cells` (already built), the state with
        `message`, the actions."""
        pk = escape(str(appointment.pk))
        return (
            f'<tr id="appt-{pk}" class="day-row appt-row-{escape(appointment.status)}" '
            f'hx-target="this" hx-swap="outerHTML" hx-vals=\'{hx_vals}\'>'
            f"{self.times(appointment)}"
            f'<th scope="row">{patient_cell}{self.patient_line(appointment.patient)}</th>'
            f"{cells}"
            f"<td>{self.badge(appointment)}{message}</td>"
            f'<td class="text-end"><div class="row-actions">{"".join(buttons)}</div></td>'
            "</tr>"
        )


def _as_list(appointments):
    return [appointments] if isinstance(appointments, Appointment) else appointments


@register.simple_tag(takes_context=True)
def day_rows(context, appointments):
    """Render the arrivals list's rows of `appointments` (a list or one appointment):
    check-in, no-show and cancel post with htmx and get the row back. Context:
    filter_clinic and filter_doctor (sent back with an action), row_error, row_done."""
    common = _Common()
    urls = _urls(
        "scheduling:appointment_detail",
        "scheduling:appointment_check_in",
        "scheduling:appointment_no_show",
        "scheduling:appointment_cancel",
    )
    clinic = getattr(context.get("filter_clinic"), "pk", "") or ""
    doctor = getattr(context.get("filter_doctor"), "pk", "") or ""
    # In a single-quoted attribute, as the template had it: ids are escaped, the JSON's
    # double quotes are not.
    hx_vals = (
        f'{{"row": "day", "clinic": "{escape(str(clinic))}", "doctor": "{escape(str(doctor))}"}}'
    )
    message = common.error(context)
    if not message and context.get("row_done"):
        message = (
            '<span class="d-block small text-success mt-1" role="status">'
            f"{_icon('check2')} {escape(gettext('Saved'))}</span>"
        )
    check_in = escape(gettext("Check in"))
    no_show = escape(gettext("No-show"))
    no_show_confirm = escape(gettext("Mark this patient as a no-show?"))
    cancel = escape(gettext("Cancel"))
    cancel_reason = escape(gettext("Reason for cancelling"))
    cancel_submit = escape(gettext("Cancel appointment"))
    html = []
    for appointment in _as_list(appointments):
        pk = escape(str(appointment.pk))
        patient = appointment.patient
        actions = appointment.actions
        buttons = []
        if "check-in" in actions:
            url = urls["scheduling:appointment_check_in"].replace(PLACEHOLDER, pk)
            buttons.append(
                f'<button type="button" class="btn btn-sm btn-primary" hx-post="{url}">'
                f"{_icon('person-check')} {check_in}</button>"
            )
        if "no-show" in actions:
            url = urls["scheduling:appointment_no_show"].replace(PLACEHOLDER, pk)
            buttons.append(
                f'<button type="button" class="btn btn-sm btn-outline-secondary" '
                f'hx-post="{url}" hx-confirm="{no_show_confirm}">{no_show}</button>'
            )
        if "cancel" in actions:
            url = urls["scheduling:appointment_cancel"].replace(PLACEHOLDER, pk)
            buttons.append(
                common.reason_dropdown(
                    toggle_class="btn-outline-danger",
                    toggle=cancel,
                    url=url,
                    field_id=f"cancel-reason-{pk}",
                    label=cancel_reason,
                    submit_class="btn-danger",
                    submit=cancel_submit,
                )
            )
        detail = urls["scheduling:appointment_detail"].replace(PLACEHOLDER, pk)
        html.append(
            common.row(
                appointment,
                hx_vals=hx_vals,
                patient_cell=f'<a class="d-block" href="{detail}">{escape(patient.full_name)}</a>',
                cells=(
                    f"<td>Dr {escape(appointment.doctor.get_full_name())}"
                    '<span class="d-block small text-body-secondary">'
                    f"{escape(common.place(appointment))}</span></td>"
                    f"<td>{common.kind(appointment)}</td>"
                ),
                message=message,
                buttons=buttons,
            )
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped


@register.simple_tag(takes_context=True)
def my_day_rows(context, appointments):
    """Render the doctor's day rows of `appointments` (a list or one appointment):
    "Start encounter" (a plain form to the clinical app, for those who may), check-in
    and complete post with htmx and get the row back. Context: can_start_encounter,
    row_error, csrf_token."""
    common = _Common()
    urls = _urls(
        "scheduling:appointment_detail",
        "scheduling:appointment_check_in",
        "scheduling:appointment_complete",
        "clinical:appointment_encounter_start",
    )
    patient_url = reverse("patients:patient_detail", args=[PLACEHOLDER])
    my_day_url = escape(reverse("scheduling:my_day"))
    can_start = context.get("can_start_encounter")
    token = context.get("csrf_token")
    csrf = (
        f'<input type="hidden" name="csrfmiddlewaretoken" value="{escape(str(token))}">'
        if token and str(token) != "NOTPROVIDED"
        else ""
    )
    message = common.error(context)
    reason_recorded = (
        '<span class="reason-recorded text-body-secondary fst-italic">'
        f"{escape(gettext('Reason recorded'))}</span>"
    )
    start_encounter = escape(gettext("Start encounter"))
    open_encounter = escape(gettext("Open encounter"))
    check_in = escape(gettext("Check in"))
    without = escape(gettext("Complete without encounter"))
    why = escape(gettext("Why without an encounter?"))
    complete = escape(gettext("Complete"))
    details = escape(gettext("Details"))
    html = []
    for appointment in _as_list(appointments):
        pk = escape(str(appointment.pk))
        patient = appointment.patient
        actions = appointment.actions
        buttons = []
        if can_start and appointment.is_in_encounter_window:
            url = urls["clinical:appointment_encounter_start"].replace(PLACEHOLDER, pk)
            if appointment.is_waiting:
                button = (
                    '<button type="submit" class="btn btn-sm btn-primary">'
                    f"{_icon('play-circle')} {start_encounter}</button>"
                )
            else:
                button = (
                    '<button type="submit" class="btn btn-sm btn-outline-primary">'
                    f"{_icon('journal-medical')} {open_encounter}</button>"
                )
            # The clinical view starts the encounter, or opens the one already running.
            buttons.append(
                f'<form method="post" action="{url}" class="d-inline" hx-boost="false">'
                f'{csrf}<input type="hidden" name="next" value="{my_day_url}">{button}</form>'
            )
        if "check-in" in actions:
            url = urls["scheduling:appointment_check_in"].replace(PLACEHOLDER, pk)
            buttons.append(
                f'<button type="button" class="btn btn-sm btn-outline-primary" '
                f'hx-post="{url}">{_icon("person-check")} {check_in}</button>'
            )
        complete_url = urls["scheduling:appointment_complete"].replace(PLACEHOLDER, pk)
        if "complete" in appointment.reason_actions:
            buttons.append(
                common.reason_dropdown(
                    toggle_class="btn-outline-success",
                    toggle=without,
                    url=complete_url,
                    field_id=f"complete-reason-{pk}",
                    label=why,
                    submit_class="btn-success",
                    submit=complete,
                )
            )
        elif "complete" in actions:
            buttons.append(
                f'<button type="button" class="btn btn-sm btn-success" hx-post="{complete_url}">'
                f"{_icon('check-circle')} {complete}</button>"
            )
        detail = urls["scheduling:appointment_detail"].replace(PLACEHOLDER, pk)
        buttons.append(f'<a class="btn btn-sm btn-link" href="{detail}">{details}</a>')
        reason = appointment.reason
        if not reason:
            reason_html = ""
        elif appointment.reason_visible:
            reason_html = escape(reason)
        else:
            reason_html = reason_recorded
        patient_link = patient_url.replace(PLACEHOLDER, escape(str(patient.pk)))
        html.append(
            common.row(
                appointment,
                hx_vals='{"row": "my_day"}',
                patient_cell=(
                    f'<a class="d-block" href="{patient_link}">{escape(patient.full_name)}</a>'
                ),
                cells=(
                    f"<td>{common.kind(appointment)}"
                    f'<span class="d-block small text-body-secondary">{reason_html}</span></td>'
                    f"<td>{escape(common.place(appointment) or '—')}</td>"
                ),
                message=message,
                buttons=buttons,
            )
        )
    return mark_safe("".join(html))  # noqa: S308 - every value above is escaped

"""Scheduling pages: the doctor and clinic calendars (FullCalendar) with their JSON
events and drag-to-reschedule, the booking form (free slots, next available, recurring
series), an appointment's page with its state changes, the receptionist's day list and
the doctor's day, doctors' schedules and exceptions, and the waitlist with its offers.

Each view declares its role permission; objects come through the selectors (unknown:
404). Every write goes through `scheduling.services`; their domain errors are shown as
they are. Receptionists see names, times and type; the free-text reason for the visit
only users with chart access read (`clinical_reason_visibility`), others "Reason
recorded".
"""

from datetime import timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse, reverse_lazy
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views import View
from django.views.generic import DetailView, ListView, TemplateView

from accounts.models import Specialty
from accounts.selectors import active_doctors
from ehr.core.exceptions import DomainError, DomainPermissionDenied
from ehr.core.permissions import RolePermissionRequiredMixin
from ehr.core.views import FormActionView, ServiceFormView, StaffViewMixin, add_service_error
from patients.selectors import (
    clinical_reason_visibility,
    patient_get,
    patient_list_for_user,
    patient_search,
)
from scheduling import forms, services
from scheduling.exceptions import PatientAlreadyBooked, SeriesConflicts
from scheduling.models import (
    RESCHEDULABLE_STATES,
    Appointment,
    AppointmentStatus,
    AppointmentType,
    Clinic,
    ConsultationRoom,
    DoctorSchedule,
    ScheduleException,
    WaitlistEntry,
    WaitlistOffer,
)
from scheduling.selectors import (
    EPOCH,
    ONE_MICROSECOND,
    Availability,
    EpochMicroseconds,
    appointment_day_counts,
    appointment_detail_list_for_user,
    appointment_get,
    appointment_list_for_user,
    appointment_rows,
    appointment_state_counts,
    calendar_doctor_ids,
    calendar_doctors,
    clinic_choices,
    doctor_choices,
    doctors_free_at,
    free_time,
    next_available,
    waitlist_entry_list_for_user,
    waitlist_offer_get,
    waitlist_offer_list_for_user,
)

Status = AppointmentStatus


class SchedulingViewMixin(StaffViewMixin, RolePermissionRequiredMixin):
    """Base of the scheduling pages: staff only, and the role gate."""


def _error_text(exc):
    return " ".join(str(m) for m in exc.messages)


# --- Appointment actions: which buttons an appointment shows --------------------------------

# action slug → (target state, role permission)
ACTIONS = {
    "confirm": (Status.CONFIRMED, "scheduling.change_appointment"),
    "accept": (Status.BOOKED, "scheduling.change_appointment"),
    "check-in": (Status.CHECKED_IN, "scheduling.check_in_appointment"),
    "no-show": (Status.NO_SHOW, "scheduling.check_in_appointment"),
    "complete": (Status.COMPLETED, "scheduling.change_appointment"),
    "cancel": (Status.CANCELLED, "scheduling.change_appointment"),
}


def allowed_actions(appointment, user, now=None):
    """Return the action slugs that the appointment allows now (its transition table and
    its own rules, `Appointment.allowed_transitions`) and `user`'s role permits."""
    allowed = set(appointment.allowed_transitions(now or timezone.now()))
    return [
        slug
        for slug, (status, perm) in ACTIONS.items()
        if status in allowed and user.has_perm(perm)
    ]


def annotate_actions(appointments, user, *, reasons=True):
    """Attach `actions` (slugs), `reason_actions` (those of them that must say why: the
    form asks for a reason) and, with `reasons`, `reason_visible` to each appointment of
    a list (lists that show no reason skip its query); return the list. The user's role
    permissions are asked once for the list, the appointment's rules once per row."""
    now = timezone.now()
    if reasons:
        clinical_reason_visibility(user, appointments, now=now)
    permitted = {status: slug for slug, (status, perm) in ACTIONS.items() if user.has_perm(perm)}
    for appointment in appointments:
        allowed = set(appointment.allowed_transitions(now))
        appointment.actions = [slug for status, slug in permitted.items() if status in allowed]
        appointment.reason_actions = [
            slug
            for slug in appointment.actions
            if appointment.reason_required_for(ACTIONS[slug][0])
        ]
    return appointments


# --- Calendars --------------------------------------------------------------------------------

CALENDAR_VIEWS = {
    "day": "timeGridDay",
    "week": "timeGridWeek",
    "month": "dayGridMonth",
}


def _local_iso():
    """Return a function that gives epoch microseconds as ISO 8601 in the current time
    zone (what `timezone.localtime(moment).isoformat()` gives), the zone looked up once."""
    tz = timezone.get_current_timezone()

    def iso(microseconds):
        return (EPOCH + microseconds * ONE_MICROSECOND).astimezone(tz).isoformat()

    return iso


class CalendarView(SchedulingViewMixin, TemplateView):
    """A doctor's, a clinic's or a specialty's calendar (`?doctor=`, `?clinic=` or
    `?specialty=`, ids): day, week and month. Bookable free slots are shaded; a click
    on a time lists the doctors free then, each with a "Book" link; appointments can be
    dragged to another time (the reschedule service decides). Small screens open on the
    day view (static/js/scheduling.js)."""

    permission_required = "scheduling.view_appointment"
    template_name = "scheduling/calendar.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        get = self.request.GET
        # The pickers' lists: ids and names only.
        doctors = list(active_doctors().only("id", "first_name", "last_name"))
        clinics = list(Clinic.objects.filter(is_active=True).only("id", "name"))
        specialties = list(Specialty.objects.order_by("name").only("id", "name"))
        doctor = next((d for d in doctors if str(d.pk) == get.get("doctor")), None)
        clinic = next((c for c in clinics if str(c.pk) == get.get("clinic")), None)
        specialty = next((s for s in specialties if str(s.pk) == get.get("specialty")), None)
        if doctor is not None:
            clinic = specialty = None
        elif clinic is not None:
            specialty = None
        if doctor is None and clinic is None and specialty is None:
            # A doctor opens on his own calendar (he is among the active doctors).
            doctor = next((d for d in doctors if d.pk == user.pk), None)
            if doctor is None and clinics:
                clinic = clinics[0]
            elif doctor is None and doctors:
                doctor = doctors[0]
        query = (
            {"doctor": doctor.pk}
            if doctor
            else {"clinic": clinic.pk}
            if clinic
            else {"specialty": specialty.pk}
            if specialty
            else {}
        )
        view = CALENDAR_VIEWS.get(get.get("view", ""), "timeGridWeek")
        initial_date = forms.parse_moment(get.get("date"))
        encoded = urlencode(query)
        context.update(
            doctors=doctors,
            clinics=clinics,
            specialties=specialties,
            doctor=doctor,
            clinic=clinic,
            specialty=specialty,
            events_url=f"{reverse('scheduling:calendar_events')}?{encoded}" if query else "",
            free_url=f"{reverse('scheduling:calendar_free')}?{encoded}" if query else "",
            initial_view=view,
            initial_date=initial_date.date().isoformat() if initial_date else "",
            time_zone=settings.TIME_ZONE,
            can_book=user.has_perm("scheduling.add_appointment"),
            can_move=user.has_perm("scheduling.change_appointment"),
            can_manage=doctor is not None and services.can_manage_schedule(user, doctor),
        )
        return context


class CalendarScopeMixin:
    """The calendar's doctor, clinic or specialty from the address (ids, through
    `CalendarFilterForm`): an unknown one is 404, none at all 400."""

    def calendar_scope(self, request):
        form = forms.CalendarFilterForm(request.GET)
        if not form.is_valid():
            raise Http404  # an unknown (or malformed) doctor, clinic or specialty
        return form.scope()


class CalendarEventsView(CalendarScopeMixin, SchedulingViewMixin, View):
    """The calendar's events as JSON (FullCalendar's `start`/`end` range, at most 62
    days): the appointments of a doctor, a clinic or a specialty, coloured by type, with
    a class per state; and their bookable free slots as background events, one per slot
    time with the number of doctors free then (`scheduling.selectors.free_time`)."""

    permission_required = "scheduling.view_appointment"
    MAX_RANGE = timedelta(days=62)

    def get(self, request):
        get = request.GET
        start, end = forms.parse_moment(get.get("start")), forms.parse_moment(get.get("end"))
        if start is None or end is None or end <= start or end - start > self.MAX_RANGE:
            return JsonResponse(
                {"error": _("Give a start and an end at most 62 days apart.")}, status=400
            )
        doctor, clinic, specialty = self.calendar_scope(request)
        if doctor is None and clinic is None and specialty is None:
            return JsonResponse(
                {"error": _("Choose a doctor, a clinic or a specialty.")}, status=400
            )
        # The scope's doctors as a subquery of the feed's queries, not a query of its own.
        doctor_ids = calendar_doctor_ids(doctor=doctor, clinic=clinic, specialty=specialty)
        user = request.user
        events = self.appointment_events(
            user,
            start,
            end,
            doctor=doctor,
            clinic=clinic,
            doctor_ids=doctor_ids if specialty is not None else None,
        )
        events.extend(
            self.free_time_events(doctor_ids, start, end, clinic=clinic, several=doctor is None)
        )
        return JsonResponse(events, safe=False)

    def appointment_events(self, user, start, end, *, doctor=None, clinic=None, doctor_ids=None):
        rows = appointment_list_for_user(user).filter(start__lt=end, end__gt=start)
        if doctor is not None:
            rows = rows.filter(doctor=doctor)
        if clinic is not None:
            rows = rows.filter(clinic=clinic)
        if doctor_ids is not None:
            rows = rows.filter(doctor_id__in=doctor_ids)
        rows = rows.order_by("start").values_list(
            "id",
            EpochMicroseconds("start"),
            EpochMicroseconds("end"),
            "status",
            "patient__first_name",
            "patient__last_name",
            "appointment_type__name",
            "appointment_type__colour",
            "doctor__last_name",
            "room__name",
        )
        # Reverse once; 2,000 events a week must not cost 4,000 URL resolutions. Labels,
        # time zone and times are resolved once too (times load as epoch integers).
        placeholder = "00000000-0000-0000-0000-000000000000"
        detail_url = reverse("scheduling:appointment_detail", args=[placeholder])
        move_url = reverse("scheduling:appointment_move", args=[placeholder])
        can_move = user.has_perm("scheduling.change_appointment")
        movable = {s.value for s in RESCHEDULABLE_STATES}
        labels = {value: str(label) for value, label in Status.choices}
        with_doctor = doctor is None
        events = []
        iso = _local_iso()
        for pk, a_start, a_end, status, first, last, type_name, colour, doc, room in rows:
            pk = str(pk)
            title = f"{last}, {first} · {type_name}"
            if with_doctor:
                title += f" · Dr {doc}"
            event = {
                "id": pk,
                "title": title,
                "start": iso(a_start),
                "end": iso(a_end),
                "color": colour,
                "className": f"appt appt-{status}",
                "url": detail_url.replace(placeholder, pk),
                "editable": can_move and status in movable,
                "extendedProps": {"status": labels[status], "room": room or ""},
            }
            if event["editable"]:
                event["extendedProps"]["moveUrl"] = move_url.replace(placeholder, pk)
            events.append(event)
        return events

    def free_time_events(self, doctor_ids, start, end, *, clinic=None, several=False):
        free = free_time(
            doctor_ids=doctor_ids,
            first_day=timezone.localdate(start),
            last_day=timezone.localdate(end - timedelta(seconds=1)),
            clinic_id=clinic.pk if clinic is not None else None,
        )
        tz = timezone.get_current_timezone()
        titles = {}  # "n free", translated once per number
        events = []
        for time in free:
            n = len(time.doctor_ids)
            title = ""
            if several:  # a clinic's or specialty's shading says how many doctors are free
                title = titles.get(n)
                if title is None:
                    title = titles[n] = ngettext("%(n)s free", "%(n)s free", n) % {"n": n}
            events.append(
                {
                    "start": time.start.astimezone(tz).isoformat(),
                    "end": time.end.astimezone(tz).isoformat(),
                    "display": "background",
                    "className": "free-slot",
                    "groupId": "free",
                    "title": title,
                    "extendedProps": {"freeSlot": True, "doctors": n},
                }
            )
        return events


class CalendarFreeDoctorsView(CalendarScopeMixin, SchedulingViewMixin, TemplateView):
    """The panel a click on a calendar's time opens (htmx, `?at=` an ISO time and the
    calendar's doctor, clinic or specialty): the doctors free then, each with the slot
    and, for those who book, a "Book" link with the doctor and the time filled in."""

    permission_required = "scheduling.view_appointment"
    template_name = "scheduling/partials/free_doctors.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        moment = forms.parse_moment(self.request.GET.get("at"))
        if moment is None:
            raise Http404
        doctor, clinic, specialty = self.calendar_scope(self.request)
        doctors = calendar_doctors(doctor=doctor, clinic=clinic, specialty=specialty)
        found = doctors_free_at(
            doctors=doctors, moment=moment, clinic_id=clinic.pk if clinic else None
        )
        rooms = ConsultationRoom.objects.in_bulk({slot.room_id for _d, slot in found} - {None})
        book_url = reverse("scheduling:appointment_create")
        user = self.request.user
        can_book = user.has_perm("scheduling.add_appointment")
        context.update(
            moment=moment,
            free=[
                {
                    "doctor": free_doctor,
                    "slot": slot,
                    "room": rooms.get(slot.room_id),
                    "book_url": (
                        f"{book_url}?"
                        + urlencode(
                            {
                                "doctor": free_doctor.pk,
                                "start": timezone.localtime(slot.start).isoformat(),
                            }
                        )
                    )
                    if can_book
                    else "",
                }
                for free_doctor, slot in found
            ],
        )
        return context


class AppointmentMoveView(SchedulingViewMixin, View):
    """A drag or resize on the calendar (POST `start`, `end`): the appointment is
    rescheduled by the service, or the refusal is answered with its message (JSON)."""

    permission_required = "scheduling.change_appointment"

    def post(self, request, pk):
        appointment = appointment_get(request.user, pk)
        form = forms.MoveForm(request.POST)
        if not form.is_valid():
            errors = [str(e) for field in form.errors.values() for e in field]
            return JsonResponse({"error": " ".join(errors)}, status=400)
        try:
            new = services.appointment_reschedule(
                appointment=appointment,
                start=form.cleaned_data["start"],
                end=form.cleaned_data["end"],
                actor=request.user,
                reason=_("Moved on the calendar"),
            )
        except DomainError as exc:
            return JsonResponse({"error": _error_text(exc)}, status=exc.status_code)
        when = timezone.localtime(new.start)
        return JsonResponse(
            {
                "id": str(new.pk),
                "url": new.get_absolute_url(),
                "message": _("Moved to %(when)s.") % {"when": when.strftime("%a %d %b %H:%M")},
            }
        )


# --- Booking ----------------------------------------------------------------------------------


NEXT_SLOTS = 8


def slot_context(*, doctor=None, specialty=None, day=None, appointment_type=None, selected=""):
    """Return what the free-slot list shows: the slots of a doctor (or of the doctors of
    a specialty, or of every doctor) on `day`, and the next free ones from that day."""
    day = day or timezone.localdate()
    minutes = appointment_type.default_duration if appointment_type else None
    doctors = [doctor] if doctor is not None else list(active_doctors(specialty))
    by_id = {d.pk: d for d in doctors}
    slots = []
    if doctors and day >= timezone.localdate():
        availability = Availability(list(by_id), day, day)
        for doctor_id in by_id:
            slots.extend(availability.free_slots(doctor_id, day, minutes=minutes))
        slots.sort(key=lambda s: (s.start, str(s.doctor_id)))
    # The earliest free slots from now, but not those of the day already listed.
    upcoming = [
        s
        for s in next_available(
            doctors=doctors, days=60, limit=NEXT_SLOTS + len(slots), minutes=minutes
        )
        if timezone.localdate(s.start) != day
    ][:NEXT_SLOTS]
    room_ids = {s.room_id for s in [*slots, *upcoming] if s.room_id}
    rooms = {r.pk: r for r in ConsultationRoom.objects.filter(pk__in=room_ids)}

    def rows(items):
        return [
            {
                "value": f"{s.doctor_id}|{timezone.localtime(s.start).isoformat()}",
                "start": s.start,
                "end": s.end,
                "doctor": by_id[s.doctor_id],
                "room": rooms.get(s.room_id),
            }
            for s in items
        ]

    return {
        "slot_day": day,
        "slots": rows(slots),
        "next_slots": rows(upcoming),
        "one_doctor": doctor is not None,
        "selected_slot": selected,
        "doctor_count": len(doctors),
    }


def _as_date(value):
    if value is None or hasattr(value, "isoformat"):
        return value
    moment = forms.parse_moment(value)
    return moment.date() if moment else None


def _slot_value(doctor, start):
    return f"{doctor.pk}|{timezone.localtime(start).isoformat()}" if doctor and start else ""


def _default_type():
    types = AppointmentType.objects.filter(is_active=True)
    return types.filter(code="consultation").first() or types.first()


class SlotListView(SchedulingViewMixin, View):
    """The free-slot list of the booking form (htmx): a doctor's or a specialty's slots on
    a date and the next available ones."""

    permission_required = "scheduling.add_appointment"

    def get(self, request):
        form = forms.SlotSearchForm(request.GET)
        data = form.cleaned_data if form.is_valid() else {}
        context = slot_context(
            doctor=data.get("doctor"),
            specialty=data.get("specialty"),
            day=data.get("date"),
            appointment_type=data.get("appointment_type"),
            selected=request.GET.get("slot", ""),
        )
        return render(request, "scheduling/partials/slot_list.html", context)


class PatientSearchView(SchedulingViewMixin, View):
    """The patient picker's results (htmx POST, so that no name travels in an address)."""

    permission_required = "patients.view_patient"

    def post(self, request):
        query = request.POST.get("patient_q", "").strip()[:200]
        patients = []
        if len(query) >= 2:
            patients = list(
                patient_search(
                    patient_list_for_user(request.user).filter(is_active=True), query
                ).order_by("last_name", "first_name", "mrn")[:10]
            )
        return render(
            request,
            "scheduling/partials/patient_results.html",
            {"patients": patients, "query": query, "too_short": len(query) < 2},
        )


class AppointmentCreateView(SchedulingViewMixin, ServiceFormView):
    """Book an appointment: pick a doctor or a specialty and a date, a free slot, the
    patient, type and reason. `?doctor=&start=` (from a calendar's free slot) and
    `?patient=` (from a chart) preselect. A warning that the patient is booked elsewhere
    asks for confirmation; a recurring series is previewed occurrence by occurrence
    before it is booked."""

    permission_required = "scheduling.add_appointment"
    template_name = "scheduling/appointment_form.html"
    form_class = forms.BookingForm

    def get_form_kwargs(self):
        user = self.request.user
        return {
            **super().get_form_kwargs(),
            "user": user,
            "can_override": services.can_override_availability(user),
        }

    def get_initial(self):
        get = self.request.GET
        initial = {"appointment_type": _default_type(), "interval": 1, "unit": "weeks"}
        # The address's ids through the form's fields: a malformed or unknown one is
        # ignored (the patient's is a 404: it comes from a chart).
        picked = forms.SlotSearchForm(
            {"doctor": get.get("doctor", ""), "specialty": get.get("specialty", "")}
        )
        picked.is_valid()
        doctor = picked.cleaned_data.get("doctor")
        if doctor:
            initial["doctor"] = doctor
        if picked.cleaned_data.get("specialty"):
            initial["specialty"] = picked.cleaned_data["specialty"]
        start = forms.parse_moment(get.get("start"))
        day = timezone.localdate(start) if start else _as_date(get.get("date"))
        initial["date"] = day or timezone.localdate()
        if get.get("patient"):
            initial["patient"] = patient_get(self.request.user, get["patient"])
        initial["slot"] = _slot_value(doctor, start)
        return initial

    def perform(self, form):
        data = form.cleaned_data
        if data.get("repeat"):
            return self.perform_series(form)
        try:
            return services.appointment_book(
                patient=data["patient"],
                doctor=data["doctor"],
                start=data["start"],
                appointment_type=data["appointment_type"],
                reason=data["reason"],
                notes=data["notes"],
                actor=self.request.user,
                override=data.get("override", False),
                allow_patient_overlap=data["allow_patient_overlap"],
            )
        except PatientAlreadyBooked as exc:
            # Not an error: the booker confirms (the form posts again with the flag).
            return self.render_to_response(self.get_context_data(form=form, overlap=exc))

    def perform_series(self, form):
        """Preview a series (step "preview") or book it (step "book_series")."""
        data = form.cleaned_data
        common = {
            "patient": data["patient"],
            "doctor": data["doctor"],
            "start": data["start"],
            "interval": data["interval"],
            "unit": data["unit"] or "weeks",
            "count": data.get("count"),
            "until": data.get("until"),
            "actor": self.request.user,
            "override": data.get("override", False),
        }
        status = 200
        try:
            if self.request.POST.get("step") == "book_series":
                _series, booked = services.series_book(
                    appointment_type=data["appointment_type"],
                    reason=data["reason"],
                    notes=data["notes"],
                    skip=data["skip"],
                    **common,
                )
                messages.success(
                    self.request,
                    _("%(n)s appointments booked for %(patient)s.")
                    % {"n": len(booked), "patient": data["patient"].full_name},
                )
                return redirect(booked[0] if booked else "scheduling:appointment_create")
            plan = services.series_plan(minutes=data["appointment_type"].default_duration, **common)
        except SeriesConflicts as exc:
            add_service_error(form, exc)
            plan, status = exc.occurrences, 400
        return self.render_to_response(
            self.get_context_data(
                form=form,
                plan=plan,
                plan_skip={o.index for o in plan if not o.ok},
                plan_bookable=any(o.ok for o in plan),
            ),
            status=status,
        )

    def get_success_message(self, form):
        appointment = self.result
        return _("%(patient)s is booked with Dr %(doctor)s on %(when)s.") % {
            "patient": appointment.patient.full_name,
            "doctor": appointment.doctor.get_full_name(),
            "when": timezone.localtime(appointment.start).strftime("%a %d %b %Y %H:%M"),
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        # What the form cleaned (or was given as initial objects), never the raw input: a
        # malformed or unknown id is the field's error, not a query on the raw text.
        values = getattr(form, "cleaned_data", {}) if form.is_bound else form.initial
        doctor = values.get("doctor")
        if form.is_bound and not form.data.get("doctor"):
            doctor = None  # "any doctor": clean() took the doctor from the slot; list all
        specialty = values.get("specialty")
        appointment_type = values.get("appointment_type")
        day = _as_date(values.get("date"))
        slot = values.get("slot")
        selected = _slot_value(*slot) if isinstance(slot, tuple) else (slot or "")
        context["patient"] = values.get("patient")
        context["slot_query"] = urlencode(
            {
                k: v
                for k, v in {
                    "doctor": doctor.pk if doctor else "",
                    "specialty": specialty.pk if specialty else "",
                    "date": day.isoformat() if day else "",
                    "appointment_type": appointment_type.pk if appointment_type else "",
                }.items()
                if v
            }
        )
        context.update(
            slot_context(
                doctor=doctor,
                specialty=specialty,
                day=day,
                appointment_type=appointment_type,
                selected=selected,
            )
        )
        return context


# --- One appointment --------------------------------------------------------------------------


class AppointmentDetailView(SchedulingViewMixin, DetailView):
    """An appointment: details, state history, the allowed state changes, reschedule,
    the original or replacement, and the other appointments of its series."""

    permission_required = "scheduling.view_appointment"
    template_name = "scheduling/appointment_detail.html"
    context_object_name = "appointment"

    def get_queryset(self):
        return appointment_detail_list_for_user(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        appointment = self.object
        annotate_actions([appointment], user)
        replacement = (
            Appointment.objects.filter(rescheduled_from=appointment)
            .select_related("doctor")
            .first()
        )
        original = None
        if appointment.rescheduled_from_id:
            original = (
                Appointment.objects.select_related("doctor")
                .filter(pk=appointment.rescheduled_from_id)
                .first()
            )
        siblings = []
        if appointment.series_id:
            siblings = list(
                Appointment.objects.filter(series_id=appointment.series_id)
                .exclude(pk=appointment.pk)
                .select_related("doctor")
                .order_by("start")
            )
        offers = []
        if user.has_perm("scheduling.view_waitlistoffer"):
            offers = list(
                appointment.waitlist_offers.filter(state=WaitlistOffer.State.OPEN)
                .select_related("entry__patient")
                .order_by("-entry__priority")
            )
        context.update(
            patient=appointment.patient,
            history=appointment.status_changes.select_related("by").order_by("at"),
            replacement=replacement,
            original=original,
            siblings=siblings,
            offers=offers,
            can_reschedule=(
                user.has_perm("scheduling.change_appointment") and appointment.is_reschedulable
            ),
            # The clinical app lets only the appointment's doctor start its encounter.
            can_start_encounter=(
                appointment.is_waiting
                and appointment.doctor_id == user.pk
                and user.has_perm("clinical.add_encounter")
            ),
        )
        return context


class AppointmentSlipView(SchedulingViewMixin, DetailView):
    """The printable slip of an appointment for the patient: who, with whom, where, when
    and what to bring (the type's own preparation after the usual list). Open to whoever
    may open the appointment (the same selector); the clinical reason is not on it."""

    permission_required = "scheduling.view_appointment"
    template_name = "scheduling/appointment_slip.html"
    context_object_name = "appointment"

    def get_queryset(self):
        return appointment_detail_list_for_user(self.request.user).select_related(
            "clinic__hospital", "room__clinic__hospital"
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        appointment = self.object
        clinic = appointment.clinic or (appointment.room.clinic if appointment.room else None)
        context.update(
            patient=appointment.patient,
            clinic=clinic,
            hospital=clinic.hospital if clinic else None,
        )
        return context


ROW_TEMPLATES = {
    "day": "scheduling/partials/day_row.html",
    "my_day": "scheduling/partials/my_day_row.html",
}


class AppointmentActionView(SchedulingViewMixin, FormActionView):
    """A state change (POST, the kernel's `FormActionView`): confirm, accept a request,
    check in, no-show, complete or cancel. A reason travels with it (the appointment's
    rules say when one is required: cancelling, completing a checked-in visit). htmx
    gets the list row back with the outcome (and the day's counts out of band); a plain
    form goes back to the appointment's page with the outcome as a message."""

    action = None
    form_class = forms.StatusChangeForm

    def get_permission_required(self):
        if self.action not in ACTIONS:
            raise Http404
        return (ACTIONS[self.action][1],)

    def get_appointment(self):
        if not hasattr(self, "appointment"):
            self.appointment = appointment_get(self.request.user, self.kwargs["pk"])
        return self.appointment

    def perform(self, form):
        appointment = services.appointment_transition(
            appointment=self.get_appointment(),
            status=ACTIONS[self.action][0],
            actor=self.request.user,
            reason=form.cleaned_data["reason"],
        )
        if self.row() is not None:
            return self.render_row(done=self.done_message(appointment))
        return appointment

    def get_success_message(self, form):
        return self.done_message(self.result)

    def get_success_url(self):
        return self.get_appointment().get_absolute_url()

    def render_to_response(self, context, **response_kwargs):
        # The service refused: htmx shows the refusal in the row, a plain form as a message.
        if self.row() is not None and response_kwargs.get("status") != 403:
            form = context["form"]
            return self.render_row(
                error=" ".join(str(m) for errors in form.errors.values() for m in errors)
            )
        return super().render_to_response(context, **response_kwargs)

    @staticmethod
    def done_message(appointment):
        return _("%(patient)s: %(state)s.") % {
            "patient": appointment.patient.full_name,
            "state": appointment.get_status_display().lower(),
        }

    def row(self):
        """Return the list row htmx asked back ("day", "my_day"), or None."""
        row = self.request.POST.get("row", "")
        return row if self.request.htmx and row in ROW_TEMPLATES else None

    def render_row(self, *, done=None, error=None):
        user, row = self.request.user, self.row()
        appointment = appointment_get(user, self.kwargs["pk"])
        annotate_actions([appointment], user)
        context = {
            "appointment": appointment,
            "row_error": error,
            "row_done": done,
            "can_start_encounter": user.has_perm("clinical.add_encounter"),
        }
        if row == "day":
            # The day list's filters, through its form: a bad id is no filter.
            filters = forms.DayFilterForm(self.request.POST).values()
            clinic, doctor = filters["clinic"], filters["doctor"]
            context.update(
                counts=appointment_state_counts(
                    timezone.localdate(appointment.start), clinic=clinic, doctor=doctor
                ),
                oob_counts=True,
                filter_clinic=clinic,
                filter_doctor=doctor,
            )
        return render(self.request, ROW_TEMPLATES[row], context)


class AppointmentRescheduleView(SchedulingViewMixin, ServiceFormView):
    """Move an appointment to another free slot of its doctor (the original is kept,
    cancelled as "rescheduled", and linked to the new one)."""

    permission_required = "scheduling.change_appointment"
    template_name = "scheduling/appointment_reschedule.html"
    form_class = forms.RescheduleForm

    def dispatch(self, request, *args, **kwargs):
        self.appointment = None
        return super().dispatch(request, *args, **kwargs)

    def get_appointment(self):
        if self.appointment is None:
            self.appointment = appointment_get(self.request.user, self.kwargs["pk"])
        return self.appointment

    def get(self, request, *args, **kwargs):
        appointment = self.get_appointment()
        if not appointment.is_reschedulable:
            messages.error(request, _("This appointment can no longer be rescheduled."))
            return redirect(appointment)
        if request.htmx:
            return render(
                request, "scheduling/partials/slot_list.html", self.slot_context(self.day(), "")
            )
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.get_appointment()
        return super().post(request, *args, **kwargs)

    def day(self, form=None):
        """The date whose slots are listed: the posted form's (or the address's), else
        the appointment's own."""
        if form is not None and form.is_bound:
            day = getattr(form, "cleaned_data", {}).get("date")
        else:
            day = _as_date(self.request.GET.get("date"))
        return day or timezone.localdate(self.get_appointment().start)

    def get_form_kwargs(self):
        return {
            **super().get_form_kwargs(),
            "can_override": services.can_override_availability(self.request.user),
        }

    def get_initial(self):
        return {"date": self.day()}

    def perform(self, form):
        data = form.cleaned_data
        return services.appointment_reschedule(
            appointment=self.get_appointment(),
            start=data["start"],
            actor=self.request.user,
            override=data.get("override", False),
            reason=data.get("reason", ""),
        )

    def get_success_message(self, form):
        return _("The appointment is moved to %(when)s.") % {
            "when": timezone.localtime(self.result.start).strftime("%a %d %b %Y %H:%M")
        }

    def slot_context(self, day, selected):
        appointment = self.get_appointment()
        doctor = appointment.doctor
        slots = []
        if day >= timezone.localdate():
            availability = Availability([doctor.pk], day, day, exclude_appointment=appointment)
            slots = availability.free_slots(doctor.pk, day, minutes=appointment.duration_minutes)
        rooms = {
            r.pk: r for r in ConsultationRoom.objects.filter(pk__in={s.room_id for s in slots})
        }
        return {
            "slot_day": day,
            "slots": [
                {
                    "value": f"{doctor.pk}|{timezone.localtime(s.start).isoformat()}",
                    "start": s.start,
                    "end": s.end,
                    "doctor": doctor,
                    "room": rooms.get(s.room_id),
                }
                for s in slots
            ],
            "next_slots": [],
            "one_doctor": True,
            "selected_slot": selected,
            "doctor_count": 1,
        }

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        appointment = self.get_appointment()
        context.update(
            appointment=appointment,
            patient=appointment.patient,
            slot_url=reverse("scheduling:appointment_reschedule", args=[appointment.pk]),
            **self.slot_context(self.day(form), form.data.get("slot", "") if form.is_bound else ""),
        )
        return context


# --- Day lists --------------------------------------------------------------------------------


class DayListView(SchedulingViewMixin, TemplateView):
    """The receptionist's day: the arrivals of a date (filters clinic and doctor, ids),
    with check-in, no-show and cancel on each row (htmx) and the counts per state."""

    permission_required = "scheduling.view_appointment"
    template_name = "scheduling/day_list.html"
    # A busy clinic day runs to hundreds of arrivals: a page holds a couple of hours.
    paginate_by = 60

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        form = forms.DayFilterForm(self.request.GET)
        values = form.values()
        day, clinic, doctor = values["date"], values["clinic"], values["doctor"]
        is_today = day == timezone.localdate()
        # One query for the counts per state, the pager's count and (today) how many
        # appointments have ended: the page of now.
        summary = appointment_day_counts(
            day, clinic=clinic, doctor=doctor, ended_by=timezone.now() if is_today else None
        )
        paginator = KnownCountPaginator(
            appointment_rows(day=day, clinic=clinic, doctor=doctor),
            self.paginate_by,
            count=summary["total"],
        )
        page_of_now = summary["ended"] // self.paginate_by + 1 if is_today else 1
        page_obj = paginator.get_page(self.request.GET.get("page") or page_of_now)
        appointments = annotate_actions(list(page_obj.object_list), user, reasons=False)
        context.update(
            page_obj=page_obj,
            filter_form=form,
            clinic_choices=_choices(clinic_choices(), clinic, _("All clinics")),
            doctor_choices=_choices(doctor_choices(), doctor, _("All doctors")),
            day=day,
            previous_day=day - timedelta(days=1),
            next_day=day + timedelta(days=1),
            is_today=is_today,
            appointments=appointments,
            counts=summary["counts"],
            filter_clinic=clinic,
            filter_doctor=doctor,
            can_book=user.has_perm("scheduling.add_appointment"),
        )
        return context


class KnownCountPaginator(Paginator):
    """A paginator whose count is known already (from the page's counts query)."""

    def __init__(self, object_list, per_page, *, count, **kwargs):
        super().__init__(object_list, per_page, **kwargs)
        self.count = count


def _choices(options, selected, empty_label):
    """Return [(value, label, selected)] for a filter's <select>, the empty choice first."""
    chosen = str(selected.pk) if selected is not None else None
    return [("", empty_label, False)] + [
        (str(pk), label, str(pk) == chosen) for pk, label in options
    ]


class MyDayView(SchedulingViewMixin, TemplateView):
    """The doctor's day: their appointments of a date (today by default) by time, with
    the state, check-in, "Start encounter" for checked-in patients, and complete."""

    permission_required = "scheduling.view_appointment"
    template_name = "scheduling/my_day.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        parsed = forms.parse_moment(self.request.GET.get("date"))
        day = parsed.date() if parsed else timezone.localdate()
        appointments = annotate_actions(list(appointment_rows(doctor=user, day=day)), user)
        context.update(
            day=day,
            previous_day=day - timedelta(days=1),
            next_day=day + timedelta(days=1),
            is_today=day == timezone.localdate(),
            appointments=appointments,
            waiting=sum(1 for a in appointments if a.is_waiting),
            remaining=sum(1 for a in appointments if a.holds_time and not a.is_closed),
            can_start_encounter=user.has_perm("clinical.add_encounter"),
        )
        return context


# --- Doctors' schedules -----------------------------------------------------------------------


class DoctorListView(SchedulingViewMixin, ListView):
    """The doctors, with links to their schedules and calendars."""

    permission_required = "scheduling.view_doctorschedule"
    template_name = "scheduling/doctor_list.html"
    context_object_name = "doctors"
    paginate_by = 50

    def get_queryset(self):
        return active_doctors().prefetch_related("doctor_profile__specialties")


class ScheduleScopeMixin(SchedulingViewMixin):
    """Pages about one doctor's schedule (the active doctor of the address's `doctor`,
    else 404); editing needs `can_manage_schedule` (doctors their own, receptionists and
    administrators anyone's): 403 otherwise."""

    edits = True

    def dispatch(self, request, *args, **kwargs):
        self.doctor = None
        return super().dispatch(request, *args, **kwargs)

    def get_doctor(self):
        if self.doctor is None:
            self.doctor = get_object_or_404(active_doctors(), pk=self.kwargs["doctor"])
            if self.edits and not services.can_manage_schedule(self.request.user, self.doctor):
                raise PermissionDenied
        return self.doctor

    def schedule_url(self):
        return reverse("scheduling:doctor_schedule", args=[self.get_doctor().pk])

    def get_success_url(self):
        return self.schedule_url()

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context.update(doctor=self.get_doctor(), back_url=self.schedule_url())
        return context


class DoctorScheduleView(ScheduleScopeMixin, DetailView):
    """A doctor's weekly sessions and their exceptions (leave, blocked time, extra
    sessions) from today on, with add, edit and delete for those who may."""

    permission_required = "scheduling.view_doctorschedule"
    template_name = "scheduling/doctor_schedule.html"
    edits = False
    pk_url_kwarg = "doctor"
    context_object_name = "doctor"

    def get_queryset(self):
        return active_doctors()

    def get_doctor(self):
        return self.object

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        doctor = self.get_doctor()
        user = self.request.user
        today = timezone.localdate()
        sessions = (
            DoctorSchedule.objects.filter(doctor=doctor)
            .select_related("clinic", "room")
            .order_by("weekday", "start_time", "effective_from")
        )
        exceptions = (
            ScheduleException.objects.filter(doctor=doctor, ends_at__gte=timezone.now())
            .select_related("clinic", "room")
            .order_by("starts_at")
        )
        context.update(
            sessions=[(s, s.effective_to is not None and s.effective_to < today) for s in sessions],
            exceptions=exceptions,
            can_manage=services.can_manage_schedule(user, doctor),
            is_own=user.pk == doctor.pk,
        )
        return context


class DoctorScheduleFormView(ScheduleScopeMixin, ServiceFormView):
    """Add (no `pk`) or change a weekly session."""

    template_name = "scheduling/doctorschedule_form.html"
    form_class = forms.DoctorScheduleForm
    success_message = gettext_lazy("The weekly session is saved.")

    def has_permission(self):
        self.permission_required = (
            "scheduling.change_doctorschedule"
            if "pk" in self.kwargs
            else "scheduling.add_doctorschedule"
        )
        return super().has_permission()

    def get_schedule(self):
        if "pk" not in self.kwargs:
            return None
        if not hasattr(self, "schedule"):
            self.schedule = get_object_or_404(
                DoctorSchedule, pk=self.kwargs["pk"], doctor=self.get_doctor()
            )
        return self.schedule

    def get(self, request, *args, **kwargs):
        self.get_doctor()  # 404 or 403 before the form
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.get_doctor()
        return super().post(request, *args, **kwargs)

    def get_initial(self):
        schedule = self.get_schedule()
        return forms.DoctorScheduleForm.initial_from(schedule) if schedule else {}

    def perform(self, form):
        schedule = self.get_schedule()
        if schedule is None:
            return services.schedule_create(
                doctor=self.get_doctor(), actor=self.request.user, **form.cleaned_data
            )
        return services.schedule_update(
            schedule=schedule, actor=self.request.user, **form.cleaned_data
        )

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["schedule"] = self.get_schedule()
        return context


class DoctorScheduleDeleteView(ScheduleScopeMixin, View):
    permission_required = "scheduling.delete_doctorschedule"

    def post(self, request, doctor, pk):
        schedule = get_object_or_404(DoctorSchedule, pk=pk, doctor=self.get_doctor())
        try:
            services.schedule_delete(schedule=schedule, actor=request.user)
        except DomainPermissionDenied:
            raise PermissionDenied from None
        messages.success(request, _("The weekly session is removed."))
        return redirect(self.schedule_url())


class ScheduleExceptionCreateView(ScheduleScopeMixin, ServiceFormView):
    """Add leave, blocked time or an extra session; after leave or blocked time, show
    the booked appointments that now fall in it."""

    permission_required = "scheduling.add_scheduleexception"
    template_name = "scheduling/scheduleexception_form.html"
    form_class = forms.ScheduleExceptionForm

    def get(self, request, *args, **kwargs):
        self.get_doctor()  # 404 or 403 before the form
        return super().get(request, *args, **kwargs)

    def post(self, request, *args, **kwargs):
        self.get_doctor()
        return super().post(request, *args, **kwargs)

    def get_initial(self):
        kind = self.request.GET.get("kind")
        return {"kind": kind} if kind in ScheduleException.Kind.values else {}

    def perform(self, form):
        exception, affected = services.schedule_exception_add(
            doctor=self.get_doctor(), actor=self.request.user, **form.cleaned_data
        )
        messages.success(
            self.request, _("%(kind)s added.") % {"kind": exception.get_kind_display()}
        )
        if not affected:
            return redirect(self.schedule_url())
        return render(
            self.request,
            "scheduling/scheduleexception_affected.html",
            {
                "doctor": self.get_doctor(),
                "exception": exception,
                "affected": annotate_actions(affected, self.request.user),
                "back_url": self.schedule_url(),
            },
        )


class ScheduleExceptionDeleteView(ScheduleScopeMixin, View):
    permission_required = "scheduling.delete_scheduleexception"

    def post(self, request, doctor, pk):
        exception = get_object_or_404(ScheduleException, pk=pk, doctor=self.get_doctor())
        try:
            services.schedule_exception_remove(exception=exception, actor=request.user)
        except DomainPermissionDenied:
            raise PermissionDenied from None
        messages.success(request, _("The exception is removed."))
        return redirect(self.schedule_url())


# --- Waitlist ---------------------------------------------------------------------------------


class WaitlistView(SchedulingViewMixin, ListView):
    """The waitlist: waiting entries (by default) by priority and age, filtered by state
    and priority; open offers of freed slots above it."""

    permission_required = "scheduling.view_waitlistentry"
    template_name = "scheduling/waitlist.html"
    context_object_name = "entries"
    paginate_by = 25

    def get_filter_form(self):
        if not hasattr(self, "_filter_form"):
            data = self.request.GET.copy()
            data.setdefault("state", WaitlistEntry.State.WAITING)
            self._filter_form = forms.WaitlistFilterForm(data)
            self._filter_form.is_valid()
        return self._filter_form

    def get_queryset(self):
        form = self.get_filter_form()
        values = form.cleaned_data if not form.errors else {"state": WaitlistEntry.State.WAITING}
        entries = waitlist_entry_list_for_user(self.request.user)
        if values.get("state"):
            entries = entries.filter(state=values["state"])
        if values.get("priority"):
            entries = entries.filter(priority=values["priority"])
        return entries.order_by("-priority", "created_at")

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        offers = []
        if user.has_perm("scheduling.view_waitlistoffer"):
            offers = list(
                WaitlistOffer.objects.filter(
                    state=WaitlistOffer.State.OPEN, start__gt=timezone.now()
                )
                .select_related("entry__patient", "doctor")
                .order_by("start")[:20]
            )
        context["entries"] = clinical_reason_visibility(user, context["entries"])
        context.update(
            filter_form=self.get_filter_form(),
            offers=offers,
            can_add=user.has_perm("scheduling.add_waitlistentry"),
            can_book=user.has_perm("scheduling.add_appointment"),
            can_remove=user.has_perm("scheduling.delete_waitlistentry"),
        )
        return context


class WaitlistEntryCreateView(SchedulingViewMixin, ServiceFormView):
    """Put a patient on the waitlist (`?patient=` preselects)."""

    permission_required = "scheduling.add_waitlistentry"
    template_name = "scheduling/waitlistentry_form.html"
    form_class = forms.WaitlistEntryForm
    success_url = reverse_lazy("scheduling:waitlist")

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_initial(self):
        initial = {"appointment_type": _default_type()}
        if self.request.GET.get("patient"):
            initial["patient"] = patient_get(self.request.user, self.request.GET["patient"])
        return initial

    def perform(self, form):
        return services.waitlist_add(actor=self.request.user, **form.cleaned_data)

    def get_success_message(self, form):
        return _("%(patient)s is on the waitlist.") % {"patient": self.result.patient.full_name}

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        form = context["form"]
        # The patient the form holds (cleaned, never the raw id), for the picker.
        values = getattr(form, "cleaned_data", {}) if form.is_bound else form.initial
        context["patient"] = values.get("patient")
        return context


class WaitlistEntryRemoveView(SchedulingViewMixin, View):
    permission_required = "scheduling.delete_waitlistentry"

    def post(self, request, pk):
        entry = get_object_or_404(waitlist_entry_list_for_user(request.user), pk=pk)
        try:
            services.waitlist_remove(entry=entry, actor=request.user)
            messages.success(
                request,
                _("%(patient)s is off the waitlist.") % {"patient": entry.patient.full_name},
            )
        except DomainError as exc:
            messages.error(request, _error_text(exc))
        return redirect("scheduling:waitlist")


class WaitlistOfferView(SchedulingViewMixin, DetailView):
    """A freed slot offered to a waitlisted patient (linked from the receptionists'
    notification): book it in one click; the slot's other open offers beside it."""

    permission_required = "scheduling.view_waitlistoffer"
    template_name = "scheduling/waitlist_offer.html"
    context_object_name = "offer"

    def get_queryset(self):
        return waitlist_offer_list_for_user(self.request.user)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        offer = self.object
        others = (
            WaitlistOffer.objects.filter(
                freed_by_id=offer.freed_by_id, state=WaitlistOffer.State.OPEN
            )
            .exclude(pk=offer.pk)
            .select_related("entry__patient", "entry__appointment_type")
            .order_by("-entry__priority", "entry__created_at")
        )
        clinical_reason_visibility(self.request.user, [offer.entry])
        context.update(
            entry=offer.entry,
            patient=offer.entry.patient,
            others=others,
            is_open=offer.is_open,
            can_book=self.request.user.has_perm("scheduling.change_waitlistoffer"),
        )
        return context


class WaitlistOfferBookView(SchedulingViewMixin, View):
    """Book the offered slot for the waitlisted patient (POST, one click)."""

    permission_required = "scheduling.change_waitlistoffer"

    def post(self, request, pk):
        offer = waitlist_offer_get(request.user, pk)
        try:
            appointment = services.waitlist_offer_book(offer=offer, actor=request.user)
        except DomainError as exc:
            messages.error(request, _error_text(exc))
            return redirect(offer)
        messages.success(
            request,
            _("%(patient)s is booked from the waitlist.")
            % {"patient": appointment.patient.full_name},
        )
        return redirect(appointment)

"""Reads of inpatient ADT: what a user may see, the bed board, the request queue and the
census. Every list and detail view gets its rows here.

The bed board and the census run a fixed number of queries whatever the size of the
wards: the board two (rooms; beds with their current stays, patients and doctors), the
census three (beds by ward and state; the bed stays and the discharges of the window,
counted here).
"""

import re
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.db.models import (
    Case,
    CharField,
    Count,
    F,
    FilteredRelation,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    UUIDField,
    Value,
    When,
    Window,
)
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from clinical import selectors as clinical_selectors
from clinical.models import (
    SEVERE_ALLERGY,
    Allergy,
    AllergyClinicalStatus,
    AllergyStatus,
    Condition,
)
from inpatient.models import (
    Admission,
    AdmissionRequest,
    Bed,
    BedStay,
    Priority,
    Ward,
    WardRoom,
    effective_status,
)
from patients.models import Patient, Sex
from patients.selectors import patient_list_for_user, patient_search

CENSUS_DAYS = 30


# --- Scope ----------------------------------------------------------------------------------


def _patient_scope(user, queryset, field="patient"):
    """Limit `queryset` to rows about patients `user` may see (patient_list_for_user)."""
    patients = patient_list_for_user(user)
    if patients.query.is_empty():
        return queryset.none()
    if not patients.query.where:  # every patient: no need for a sub-query
        return queryset
    return queryset.filter(**{f"{field}__in": patients})


def ward_list_for_user(user):
    """Return the wards `user` may see (staff with the role permission: all of them)."""
    if not user.is_authenticated or not user.has_perm("inpatient.view_ward"):
        return Ward.objects.none()
    return Ward.objects.select_related("hospital").order_by("name")


def bed_list_for_user(user):
    """Return the beds `user` may see on the board."""
    if not user.is_authenticated or not user.has_perm("inpatient.view_bed"):
        return Bed.objects.none()
    return Bed.objects.select_related("room__ward", "room__room_class")


def bed_get(user, pk):
    """Return bed `pk` if `user` may see it, else raise Http404."""
    return _get(bed_list_for_user(user), pk)


def admission_list_for_user(user):
    """Return the admissions `user` may see: with the role permission, those of the
    patients whose demographics the user may see."""
    if not user.is_authenticated or not user.has_perm("inpatient.view_admission"):
        return Admission.objects.none()
    return _patient_scope(user, Admission.objects.all())


def admission_get(user, pk):
    """Return admission `pk` if `user` may see it, else raise Http404."""
    return _get(
        admission_list_for_user(user).select_related(
            "patient",
            "attending_doctor",
            "admitting_doctor",
            "discharged_by",
            "discharge_ordered_by",
        ),
        pk,
    )


def admission_request_list_for_user(user):
    """Return the admission requests `user` may see."""
    if not user.is_authenticated or not user.has_perm("inpatient.view_admissionrequest"):
        return AdmissionRequest.objects.none()
    return _patient_scope(user, AdmissionRequest.objects.all())


def admission_request_get(user, pk):
    """Return admission request `pk` if `user` may see it, else raise Http404."""
    return _get(
        admission_request_list_for_user(user).select_related(
            "patient", "requested_by", "ward_preference"
        ),
        pk,
    )


def _get(queryset, pk):
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValidationError, ValueError, TypeError):
        raise Http404 from None


# --- Derived values -------------------------------------------------------------------------


def effective_status_expression(now):
    """Return an SQL expression of a bed's status as it counts now (an expired
    reservation counts as available)."""
    return Case(
        When(
            status=Bed.Status.RESERVED,
            reserved_until__lte=now,
            then=Value(Bed.Status.AVAILABLE),
        ),
        default=F("status"),
    )


@lru_cache(maxsize=4096)  # room and bed numbers repeat from ward to ward and board to board
def natural_key(text):
    """Return a sort key that puts "2" before "10" (room and bed numbers)."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.lower())
        for part in re.split(r"(\d+)", text or "")
        if part
    )


PRIORITY_RANK = Case(
    When(priority=Priority.EMERGENCY, then=Value(0)),
    When(priority=Priority.URGENT, then=Value(1)),
    default=Value(2),
    output_field=IntegerField(),
)


# --- The bed board --------------------------------------------------------------------------
#
# The board reads plain rows (`values()`), not model instances: at 500 beds the model
# instances of beds, stays, admissions, patients and doctors cost more than the queries.
# Each tile's display values are worked out here, once, so the template stays cheap.

SEX_LABELS = dict(Sex.choices)
STATUS_LABELS = dict(Bed.Status.choices)
BED_DETAIL_URL = "/inpatient/beds/{}/"  # the tests check it against the URLconf

_BED_ROW = (
    "id",
    "room_id",
    "number",
    "status",
    "status_changed_at",
    "reserved_until",
    "blocked_reason",
    "isolation",
)
_STAY_ROW = {
    "admission_status": F("admission__status"),
    "first_name": F("admission__patient__first_name"),
    "last_name": F("admission__patient__last_name"),
    "date_of_birth": F("admission__patient__date_of_birth"),
    "sex": F("admission__patient__sex"),
    "is_deceased": F("admission__patient__is_deceased"),
    "deceased_on": F("admission__patient__deceased_on"),
    "doctor": F("admission__attending_doctor__last_name"),
}


@dataclass
class BedTile:
    """One bed on the board: its (effective) state and the lines its tile shows."""

    id: str
    number: str
    status: str
    isolation: bool
    lines: list
    reservation_expired: bool = False
    days_in_bed: int | None = None
    discharge_ordered: bool = False

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]

    @property
    def url(self):
        return BED_DETAIL_URL.format(self.id)

    @property
    def css(self):
        classes = f"state-{self.status}"
        if self.isolation:
            classes += " has-isolation"
        if self.discharge_ordered:
            classes += " has-discharge-order"
        return classes


@dataclass
class RoomRow:
    number: str
    room_class: str
    tiles: list = field(default_factory=list)


@dataclass
class WardBlock:
    ward: Ward
    rooms: list = field(default_factory=list)


@dataclass
class BedBoard:
    """The board of one ward (or of all): rooms and beds in order, counts by state."""

    wards: list
    counts: dict
    total: int
    shown: int

    @property
    def legend(self):
        """Return (state, label, count) for every state, in the table's order."""
        return [(value, label, self.counts[value]) for value, label in Bed.Status.choices]


class _PatientAge:
    """What `Patient.age_display` reads, without building a whole Patient per bed."""

    __slots__ = ("date_of_birth", "deceased_on", "is_deceased")
    age = Patient.age
    age_display = Patient.age_display

    def __init__(self, date_of_birth, is_deceased, deceased_on):
        self.date_of_birth = date_of_birth
        self.is_deceased = is_deceased
        self.deceased_on = deceased_on


class _Words:
    """The board's translated words, looked up once per board rather than per bed."""

    def __init__(self):
        self.free = gettext("free")
        self.ran_out = gettext("reservation ran out")
        self.until = gettext("until %(time)s")
        self.since = gettext("since %(time)s")
        self.under_a_day = gettext("in bed < 1 day")
        self.discharge_ordered = gettext("discharge ordered")
        self.sexes = {value: str(label) for value, label in Sex.choices}
        self.states = {value: str(label) for value, label in Bed.Status.choices}
        self._days = {}

    def days(self, n):
        if n not in self._days:
            self._days[n] = (
                ngettext("%(n)d day in bed", "%(n)d days in bed", n) % {"n": n}
                if n
                else self.under_a_day
            )
        return self._days[n]


def _bed_note(bed, status, expired, words):
    if status == Bed.Status.BLOCKED:
        return bed["blocked_reason"]
    if status == Bed.Status.RESERVED:
        until = timezone.localtime(bed["reserved_until"]).strftime("%H:%M")
        return words.until % {"time": until}
    if status == Bed.Status.CLEANING:
        since = timezone.localtime(bed["status_changed_at"]).strftime("%H:%M")
        return words.since % {"time": since}
    return words.ran_out if expired else words.free


def _board_tile(bed, stay, now, words):
    status = effective_status(bed["status"], bed["reserved_until"], now)
    expired = bed["status"] == Bed.Status.RESERVED and status == Bed.Status.AVAILABLE
    tile = BedTile(
        id=str(bed["id"]),
        number=bed["number"],
        status=status,
        isolation=bed["isolation"],
        lines=[],
        reservation_expired=expired,
    )
    if stay is None:
        tile.lines.append(("bed-note", _bed_note(bed, status, expired, words)))
        return tile
    tile.days_in_bed = (now - stay["started_at"]) // timedelta(days=1)
    tile.discharge_ordered = stay["admission_status"] == Admission.Status.DISCHARGE_ORDERED
    age = _PatientAge(stay["date_of_birth"], stay["is_deceased"], stay["deceased_on"]).age_display
    days = words.days(tile.days_in_bed)
    doctor = f"Dr {stay['doctor']}"
    if tile.discharge_ordered:
        doctor += " · " + words.discharge_ordered
    tile.lines = [
        ("bed-patient", f"{stay['last_name']}, {stay['first_name']}"),
        ("bed-facts", f"{age} · {words.sexes.get(stay['sex'], '')} · {days}"),
        ("bed-doctor", doctor),
    ]
    return tile


def _board_beds(beds):
    """Return the rows of `beds` (a queryset), each with the values of its current stay
    (None on a free bed): the current stay is joined, a bed has at most one
    (`bedstay_one_current_occupant_per_bed`)."""
    current = {key: F(f"current__{value.name}") for key, value in _STAY_ROW.items()}
    return beds.annotate(
        current=FilteredRelation("stays", condition=Q(stays__ended_at__isnull=True))
    ).values(*_BED_ROW, started_at=F("current__started_at"), **current)


def _board_rows(beds, now):
    """Yield (bed row, tile) for `beds` (rows of `_board_beds`)."""
    words = _Words()
    for bed in beds:
        yield bed, _board_tile(bed, bed if bed["started_at"] else None, now, words)


def bed_board(*, wards, status=None, now=None):
    """Return the board of `wards` (a list): every room with its beds, each with its
    current patient and attending doctor, in two queries whatever the size. `status`
    shows only beds in that (effective) state; the counts cover every bed."""
    now = now or timezone.now()
    ward_ids = [w.pk for w in wards]
    rooms = sorted(
        WardRoom.objects.filter(ward_id__in=ward_ids).values(
            "id", "ward_id", "number", class_name=F("room_class__name")
        ),
        key=lambda r: natural_key(r["number"]),
    )
    beds = sorted(
        _board_beds(Bed.objects.filter(room__ward_id__in=ward_ids)),
        key=lambda b: natural_key(b["number"]),
    )
    rows = {r["id"]: RoomRow(number=r["number"], room_class=r["class_name"]) for r in rooms}
    counts = dict.fromkeys(Bed.Status.values, 0)
    beds_per_room = dict.fromkeys(rows, 0)
    total = shown = 0
    for bed, tile in _board_rows(beds, now):
        counts[tile.status] += 1
        total += 1
        beds_per_room[bed["room_id"]] += 1
        if status is None or tile.status == status:
            rows[bed["room_id"]].tiles.append(tile)
            shown += 1
    blocks = {w.pk: WardBlock(ward=w) for w in wards}
    for room in rooms:
        row = rows[room["id"]]
        if row.tiles or (status is None and not beds_per_room[room["id"]]):
            blocks[room["ward_id"]].rooms.append(row)
    return BedBoard(wards=[blocks[w.pk] for w in wards], counts=counts, total=total, shown=shown)


def bed_board_tile(pk, now=None):
    """Return the board tile of one bed (swapped in after an action on it)."""
    now = now or timezone.now()
    beds = _board_beds(Bed.objects.filter(pk=pk))
    return next((tile for _bed, tile in _board_rows(beds, now)), None)


@dataclass
class BedDetail:
    """One bed with its whole rows: the bed panel (state, patient, actions)."""

    bed: Bed
    status: str  # effective status
    stay: BedStay | None = None
    reservation_expired: bool = False
    days_in_bed: int | None = None

    @property
    def id(self):
        return str(self.bed.pk)

    @property
    def admission(self):
        return self.stay.admission if self.stay else None

    @property
    def patient(self):
        return self.stay.admission.patient if self.stay else None

    @property
    def status_label(self):
        return STATUS_LABELS[self.status]


def bed_detail(user, pk, now=None):
    """Return bed `pk` with its current stay, admission, patient and doctor, if `user`
    may see it; else raise Http404."""
    now = now or timezone.now()
    current = BedStay.objects.filter(ended_at__isnull=True).select_related(
        "admission__patient", "admission__attending_doctor"
    )
    bed = _get(
        bed_list_for_user(user).prefetch_related(
            Prefetch("stays", queryset=current, to_attr="current_stays")
        ),
        pk,
    )
    stay = bed.current_stays[0] if bed.current_stays else None
    return BedDetail(
        bed=bed,
        status=bed.current_status(now),
        stay=stay,
        reservation_expired=bed.reservation_expired(now),
        days_in_bed=stay.days_in_bed(now) if stay else None,
    )


def admissible_beds(*, exclude=None, now=None):
    """Return the beds a patient can be put in now (available, or reserved), by ward."""
    now = now or timezone.now()
    beds = (
        Bed.objects.filter(status__in=[Bed.Status.AVAILABLE, Bed.Status.RESERVED])
        .exclude(pk__in=BedStay.objects.filter(ended_at__isnull=True).values("bed_id"))
        .select_related("room__ward", "room__room_class")
    )
    if exclude is not None:
        beds = beds.exclude(pk=exclude)
    return sorted(
        beds,
        key=lambda b: (b.room.ward.name, natural_key(b.room.number), natural_key(b.number)),
    )


@dataclass
class BedOption:
    """One bed in the picker: the bed and, if it cannot take the patient, why not."""

    bed: Bed
    misfit: object = None  # a BedMisfit, or None when the bed fits

    @property
    def fits(self):
        return self.misfit is None


@dataclass
class PickerRoom:
    room: WardRoom
    options: list = field(default_factory=list)


@dataclass
class PickerWard:
    ward: Ward
    rooms: list = field(default_factory=list)

    @property
    def fitting(self):
        """Return how many beds of the ward fit."""
        return sum(o.fits for r in self.rooms for o in r.options)


def bed_picker(*, patient=None, preferred_ward=None, admission=None, now=None):
    """Return the beds to choose from when admitting `patient` (or moving `admission`'s
    patient): every bed, grouped by ward and room, the preferred ward first, each with
    `Bed.misfit` (the rule the services enforce) saying why it does not fit. Without a
    patient the sex rule is left to the service. Two queries whatever the size."""
    now = now or timezone.now()
    if admission is not None:
        patient = admission.patient
    beds = Bed.objects.select_related("room__ward", "room__room_class")
    stays = list(
        BedStay.objects.filter(ended_at__isnull=True).values(
            "bed_id", "admission_id", room_id=F("bed__room_id"), isolation=F("bed__isolation")
        )
    )
    occupied = {s["bed_id"] for s in stays}
    isolated = {}  # room -> beds in it holding a patient in isolation (other than ours)
    for stay in stays:
        if stay["isolation"] and (admission is None or stay["admission_id"] != admission.pk):
            isolated.setdefault(stay["room_id"], set()).add(stay["bed_id"])
    sex = patient.sex if patient is not None else None
    wards, rooms = {}, {}
    for bed in beds:
        room = bed.room
        if room.pk not in rooms:
            rooms[room.pk] = PickerRoom(room=room)
            wards.setdefault(room.ward_id, PickerWard(ward=room.ward)).rooms.append(rooms[room.pk])
        misfit = bed.misfit(
            sex=sex,
            now=now,
            occupied=bed.pk in occupied,
            isolated_roommate=bool(isolated.get(room.pk, set()) - {bed.pk}),
        )
        rooms[room.pk].options.append(BedOption(bed, misfit))
    for block in wards.values():
        block.rooms.sort(key=lambda r: natural_key(r.room.number))
        for row in block.rooms:
            row.options.sort(key=lambda o: natural_key(o.bed.number))
    preferred = preferred_ward.pk if preferred_ward is not None else None
    return sorted(wards.values(), key=lambda w: (w.ward.pk != preferred, w.ward.name))


def current_stay_of(admission):
    """Return the admission's current bed stay (with bed, room and ward), or None."""
    return admission.stays.filter(ended_at__isnull=True).select_related("bed__room__ward").first()


@dataclass
class DischargeSummary:
    """What the printed discharge summary shows: the admission, its bed stays, the
    diagnoses recorded during the stay and the doctor's discharge-summary note."""

    admission: Admission
    stays: list
    diagnoses: list
    note: object  # the chart's discharge-summary note (clinical.ClinicalNote) or None


def discharge_summary(admission):
    """Return the discharge summary of `admission` (four queries). Callers check chart
    access first: everything in it is clinical content."""
    stays = list(admission.stays.select_related("bed__room__ward").order_by("started_at"))
    diagnoses = list(
        Condition.objects.filter(encounter__admission=admission, entered_in_error=False)
        .select_related("code")
        .order_by("-is_primary", "created_at")
    )
    return DischargeSummary(
        admission=admission,
        stays=stays,
        diagnoses=diagnoses,
        note=clinical_selectors.discharge_summary_of(admission),
    )


PATIENT_SEARCH_LIMIT = 10


def patient_search_results(user, query, *, pk=None):
    """Return up to ten active patients `user` may see (`patient_list_for_user`)
    matching `query` (`patients.selectors.patient_search`; at least two characters), or
    the one with id `pk`. Empty for a short query or an unknown id."""
    patients = patient_list_for_user(user).filter(is_active=True)
    if pk:
        try:
            return list(patients.filter(pk=pk))
        except (ValidationError, ValueError):
            return []
    if pk is not None or len(query) < 2:
        return []
    return list(
        patient_search(patients, query).order_by("last_name", "first_name", "mrn")[
            :PATIENT_SEARCH_LIMIT
        ]
    )


# --- Request queue, lists ---------------------------------------------------------------------


def admission_request_queue(
    user, *, status=AdmissionRequest.Status.PENDING, priority=None, ward=None
):
    """Return the requests the queue shows: most urgent first, then oldest first."""
    queryset = admission_request_list_for_user(user).select_related(
        "patient", "requested_by", "ward_preference", "admission"
    )
    if status:
        queryset = queryset.filter(status=status)
    if priority:
        queryset = queryset.filter(priority=priority)
    if ward is not None:
        queryset = queryset.filter(ward_preference=ward)
    return queryset.annotate(priority_rank=PRIORITY_RANK).order_by("priority_rank", "created_at")


def admissions_with_location(queryset):
    """Annotate each admission with the ward and bed of its current (or last) stay."""
    last = BedStay.objects.filter(admission=OuterRef("pk")).order_by("-started_at")
    return queryset.annotate(
        ward_id=Subquery(last.values("bed__room__ward_id")[:1], output_field=UUIDField()),
        ward_name=Subquery(last.values("bed__room__ward__name")[:1]),
        bed_id=Subquery(last.values("bed_id")[:1], output_field=UUIDField()),
        room_number=Subquery(last.values("bed__room__number")[:1]),
        bed_number=Subquery(last.values("bed__number")[:1]),
    )


def admission_history(patient):
    """Return the patient's admissions, newest first, each with its bed stays."""
    stays = BedStay.objects.select_related("bed__room__ward").order_by("started_at")
    return list(
        Admission.objects.filter(patient=patient)
        .select_related("attending_doctor", "admitting_doctor")
        .prefetch_related(Prefetch("stays", queryset=stays))
        .order_by("-admitted_at")
    )


# --- The census -------------------------------------------------------------------------------


STATES = [s.value for s in Bed.Status]


def ward_occupancy(*, wards=None, now=None):
    """Return one dict per ward: ward, name, total and a count per (effective) state,
    which add up to total, plus the occupancy in percent. One GROUP BY query (ward and
    state), counted up here: a handful of rows per ward."""
    now = now or timezone.now()
    queryset = wards if wards is not None else Ward.objects.all()
    rows = (
        queryset.order_by("name", "id")
        .values_list("id", "name", "ward_type", "rooms__beds__status")
        .annotate(
            n=Count("rooms__beds"),
            # A reservation that ran out counts as available (effective_status).
            expired=Count("rooms__beds", filter=Q(rooms__beds__reserved_until__lte=now)),
        )
    )
    result = {}
    for pk, name, ward_type, status, n, expired in rows:
        row = result.get(pk)
        if row is None:
            row = result[pk] = {"ward": pk, "name": name, "ward_type": ward_type, "total": 0}
            row.update(dict.fromkeys(STATES, 0))
        if not n:
            continue
        row["total"] += n
        if status == Bed.Status.RESERVED:
            row[Bed.Status.RESERVED] += n - expired
            row[Bed.Status.AVAILABLE] += expired
        else:
            row[status] += n
    for row in result.values():
        row["occupancy"] = _percent(row["occupied"], row["total"])
    return list(result.values())


def _percent(part, whole):
    return round(100 * part / whole, 1) if whole else 0.0


@dataclass
class CensusDay:
    day: object
    midnight: datetime
    occupied_at_midnight: int
    occupancy: float
    admissions: int = 0
    discharges: int = 0
    transfers: int = 0


@dataclass
class Census:
    """Occupancy now per ward, and the last `days` days: occupancy at midnight (from the
    bed stays), admissions, discharges and transfers per day, average length of stay."""

    now: datetime
    wards: list
    totals: dict
    days: list
    average_length_of_stay: timedelta | None
    discharged_count: int
    ward: Ward | None = None


def _midnight(day, tz):
    return timezone.make_aware(datetime.combine(day, time.min), tz)


def census(*, ward=None, days=CENSUS_DAYS, now=None):
    """Return the census: occupancy now of every ward (or of `ward`), and per day over the
    last `days` days (today included) the patients in bed at midnight (bed stays with
    started_at <= midnight < ended_at, open stays counting as not ended), admissions,
    discharges and transfers, with the average length of stay of the discharges."""
    now = now or timezone.now()
    tz = timezone.get_current_timezone()
    today = timezone.localdate(now, tz)
    day_list = [today - timedelta(days=n) for n in range(days - 1, -1, -1)]
    midnights = [_midnight(d, tz) for d in day_list]
    window_start, window_end = midnights[0], _midnight(today + timedelta(days=1), tz)

    wards = ward_occupancy(wards=Ward.objects.filter(pk=ward.pk) if ward else None, now=now)
    totals = {"total": sum(w["total"] for w in wards)}
    for state in STATES:
        totals[state] = sum(w[state] for w in wards)
    totals["occupancy"] = _percent(totals["occupied"], totals["total"])

    # One query for the bed stays that touch the window, counted here: building one
    # conditional COUNT per midnight cost more than running the query.
    stays = BedStay.objects.order_by()
    if ward is not None:
        stays = stays.filter(bed__room__ward=ward)
    touching = stays.filter(
        Q(started_at__lt=window_end),
        Q(ended_at__isnull=True) | Q(ended_at__gt=window_start) | Q(started_at__gte=window_start),
    ).values_list("started_at", "ended_at", "reason")
    in_bed = [0] * len(midnights)
    admissions, transfers = {}, {}
    for started_at, ended_at, reason in touching:
        # Patients in bed at midnight m: started_at <= m < ended_at (open: not ended).
        first = bisect_left(midnights, started_at)
        last = len(midnights) if ended_at is None else bisect_left(midnights, ended_at)
        for i in range(first, last):
            in_bed[i] += 1
        if started_at >= window_start:
            day = timezone.localtime(started_at, tz).date()
            if reason == BedStay.Reason.ADMISSION:
                admissions[day] = admissions.get(day, 0) + 1
            elif reason == BedStay.Reason.TRANSFER:
                transfers[day] = transfers.get(day, 0) + 1

    discharged = Admission.objects.discharged().order_by()
    if ward is not None:
        discharged = discharged.filter(
            stays__bed__room__ward=ward, stays__ended_at=F("discharged_at")
        )
    discharges, lengths = {}, []
    for discharged_at, admitted_at in discharged.filter(
        discharged_at__gte=window_start, discharged_at__lt=window_end
    ).values_list("discharged_at", "admitted_at"):
        day = timezone.localtime(discharged_at, tz).date()
        discharges[day] = discharges.get(day, 0) + 1
        lengths.append(discharged_at - admitted_at)
    average = sum(lengths, timedelta()) / len(lengths) if lengths else None
    los = {"n": len(lengths)}

    rows = []
    for i, (day, midnight) in enumerate(zip(day_list, midnights, strict=True)):
        count = in_bed[i]
        rows.append(
            CensusDay(
                day=day,
                midnight=midnight,
                occupied_at_midnight=count,
                occupancy=_percent(count, totals["total"]),
                admissions=admissions.get(day, 0),
                discharges=discharges.get(day, 0),
                transfers=transfers.get(day, 0),
            )
        )
    return Census(
        now=now,
        wards=wards,
        totals=totals,
        days=rows,
        average_length_of_stay=average,
        discharged_count=los["n"],
        ward=ward,
    )


# --- Home panels ------------------------------------------------------------------------------


@dataclass
class QueueItem:
    """One pending request on the home panel."""

    pk: object
    patient: str
    priority: str
    priority_label: str
    ward: str
    created_at: datetime


def queue_summary(user, limit=5):
    """Return the pending requests (most urgent first) and the beds waiting for
    housekeeping, for the home panel: two queries (the requests with their total, the
    beds by state)."""
    rows = list(
        admission_request_queue(user)
        .select_related(None)
        .annotate(pending=Window(Count("pk")))
        .values_list(
            "pk",
            "patient__first_name",
            "patient__middle_name",
            "patient__last_name",
            "priority",
            "ward_preference__name",
            "created_at",
            "pending",
        )[:limit]
    )
    counts = Bed.objects.aggregate(
        cleaning=Count("pk", filter=Q(status=Bed.Status.CLEANING)),
        blocked=Count("pk", filter=Q(status=Bed.Status.BLOCKED)),
    )
    priorities = {value: str(label) for value, label in Priority.choices}
    requests = [
        QueueItem(
            pk=pk,
            patient=" ".join(name for name in (first, middle, last) if name),
            priority=priority,
            priority_label=priorities.get(priority, priority),
            ward=ward or "",
            created_at=created_at,
        )
        for pk, first, middle, last, priority, ward, created_at, _pending in rows
    ]
    return {
        "requests": requests,
        "pending": rows[0][-1] if rows else 0,
        "cleaning": counts["cleaning"],
        "blocked": counts["blocked"],
    }


@dataclass
class InpatientRow:
    """One open admission on the doctor's home panel, with where the patient lies."""

    pk: object
    patient: str
    ward_name: str
    room_number: str
    bed_number: str
    discharge_ordered: bool

    def get_absolute_url(self):
        return ADMISSION_DETAIL_URL.format(self.pk)


ADMISSION_DETAIL_URL = "/inpatient/admissions/{}/"  # the tests check it against the URLconf


def inpatients_of_doctor(user, limit=10):
    """Return the open admissions `user` attends, with where each patient lies (the
    current bed stay: an open admission has exactly one), and how many there are: one
    query."""
    rows = list(
        admission_list_for_user(user)
        .filter(attending_doctor=user)
        .open()
        .annotate(
            current=FilteredRelation("stays", condition=Q(stays__ended_at__isnull=True)),
            total=Window(Count("pk")),
        )
        .order_by("admitted_at")
        .values_list(
            "pk",
            "patient__first_name",
            "patient__middle_name",
            "patient__last_name",
            "current__bed__room__ward__name",
            "current__bed__room__number",
            "current__bed__number",
            "status",
            "total",
        )[:limit]
    )
    admissions = [
        InpatientRow(
            pk=pk,
            patient=" ".join(name for name in (first, middle, last) if name),
            ward_name=ward or "",
            room_number=room or "",
            bed_number=bed or "",
            discharge_ordered=status == Admission.Status.DISCHARGE_ORDERED,
        )
        for pk, first, middle, last, ward, room, bed, status, _total in rows
    ]
    return {"admissions": admissions, "count": rows[0][-1] if rows else 0}


# --- A nurse's ward now -----------------------------------------------------------------------
#
# "My ward" is the wards a nurse is assigned to (`WardNurse`, kept by administrators): the
# same assignment that gives her chart access to the patients lying in them (care-team
# reason "ward"), so the panel shows clinical facts only about patients whose charts she
# may open. Each patient's row carries the facts of the registered ward columns: allergies
# now; due medications and observations are columns their modules register when they
# exist (`ward_column_register`), each one query for the whole ward.


@dataclass(frozen=True)
class WardColumn:
    """One kind of fact on the rows of a nurse's ward: `facts(patient_ids)` returns
    {patient id: [WardFact, ...]} in one query whatever the number of patients."""

    key: str
    label: str
    facts: object  # callable(list of patient ids) -> dict
    order: int = 100


@dataclass(frozen=True)
class WardFact:
    text: str
    alert: bool = False  # shown as a warning (a severe allergy, an overdue dose)


WARD_COLUMNS: dict[str, WardColumn] = {}


def ward_column_register(column):
    """Add `column` to the rows of the nurses' ward panel (a key registered twice is
    replaced)."""
    WARD_COLUMNS[column.key] = column
    return column


def allergy_facts(patient_ids):
    """Return each patient's active allergies (severe ones flagged), "no known
    allergies", or "allergies not recorded": one query (the allergies, and the patients
    whose record says none are known)."""
    facts = {pk: [] for pk in patient_ids}
    allergies = Allergy.objects.filter(
        patient_id__in=patient_ids, status=AllergyClinicalStatus.ACTIVE
    ).values_list("patient_id", "allergen", "severity")
    none_known = AllergyStatus.objects.filter(
        patient_id__in=patient_ids, no_known_allergies=True
    ).values_list("patient_id", Value(""), Value(None, output_field=CharField()))
    rows = allergies.order_by().union(none_known.order_by(), all=True).order_by("allergen")
    nka = set()
    for patient_id, allergen, severity in rows:
        if severity is None:
            nka.add(patient_id)
        else:
            facts[patient_id].append(WardFact(allergen, alert=severity in SEVERE_ALLERGY))
    no_known, not_recorded = gettext("no known allergies"), gettext("not recorded")
    for pk, found in facts.items():
        if not found:
            known = pk in nka
            found.append(WardFact(no_known if known else not_recorded, alert=not known))
    return facts


@dataclass
class WardPatient:
    admission_id: object
    patient_id: object
    name: str
    age_sex: str
    bed: str
    discharge_ordered: bool
    facts: list = field(default_factory=list)  # [(WardColumn, [WardFact])], column order


@dataclass
class WardNow:
    ward: Ward
    counts: dict
    patients: list = field(default_factory=list)

    @property
    def discharge_ordered(self):
        return sum(p.discharge_ordered for p in self.patients)


def ward_now(user, now=None):
    """Return the wards `user` works on now (`WardNurse`), each with its beds by state,
    the patients lying in it (bed, discharge ordered) and the facts of the registered
    ward columns. A fixed number of queries whatever the number of wards and patients:
    wards, bed counts, current stays, and each column's own."""
    now = now or timezone.now()
    # The wards and their bed counts in one query; the Ward rows carry what the panel
    # shows (id, name, type).
    counts = {
        row["ward"]: row
        for row in ward_occupancy(wards=Ward.objects.filter(nurse_assignments__user=user), now=now)
    }
    if not counts:
        return {"wards": [], "columns": []}
    wards = [
        Ward(id=pk, name=row["name"], ward_type=row["ward_type"]) for pk, row in counts.items()
    ]
    stays = BedStay.objects.filter(ended_at__isnull=True, bed__room__ward__in=list(counts)).values(
        "admission_id",
        ward_id=F("bed__room__ward_id"),
        room=F("bed__room__number"),
        bed_number=F("bed__number"),
        patient_id=F("admission__patient_id"),
        **{k: v for k, v in _STAY_ROW.items() if k != "doctor"},
    )
    words = _Words()
    blocks = {w.pk: WardNow(ward=w, counts=counts.get(w.pk, {})) for w in wards}
    rows = sorted(stays, key=lambda s: (natural_key(s["room"]), natural_key(s["bed_number"])))
    for stay in rows:
        age = _PatientAge(stay["date_of_birth"], stay["is_deceased"], stay["deceased_on"])
        blocks[stay["ward_id"]].patients.append(
            WardPatient(
                admission_id=stay["admission_id"],
                patient_id=stay["patient_id"],
                name=f"{stay['last_name']}, {stay['first_name']}",
                age_sex=f"{age.age_display} · {words.sexes.get(stay['sex'], '')}",
                bed=f"{stay['room']}-{stay['bed_number']}",
                discharge_ordered=stay["admission_status"] == Admission.Status.DISCHARGE_ORDERED,
            )
        )
    columns = sorted(WARD_COLUMNS.values(), key=lambda c: (c.order, c.key))
    patient_ids = [s["patient_id"] for s in rows]
    if patient_ids:
        for column in columns:
            facts = column.facts(patient_ids)
            for block in blocks.values():
                for patient in block.patients:
                    patient.facts.append((column, facts.get(patient.patient_id, [])))
    return {"wards": list(blocks.values()), "columns": columns}

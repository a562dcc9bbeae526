"""Demo wards, rooms and beds, and a month of admissions, transfers and discharges so the
census has history: four wards (medical, ICU, maternity, paediatric), 70 beds in every
state, about fifteen patients in bed now, two requests waiting in the queue.
nurse@example.org works on the medical ward.

Children (under 16) lie only on the paediatric ward (or, as mothers, on maternity), and
adults never on the paediatric ward; every bed is chosen with `Bed.misfit`, the rule the
staff's bed picker shows.

The month is simulated in time order through the same services the staff use, with past
timestamps, so bed stays, bed state changes and care-team grants are exactly what real
use would have left behind.
"""

import heapq
import itertools
import random
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from accounts.models import User
from ehr.core.models import Hospital
from inpatient import services
from inpatient.models import (
    Admission,
    AdmissionRequest,
    Bed,
    BedStay,
    Disposition,
    Priority,
    RoomClass,
    SexRestriction,
    Ward,
    WardRoom,
    WardType,
)
from inpatient.selectors import current_stay_of
from patients.models import Patient, Sex

DAYS = 30
TARGET_ADMITTED = 12
CHILD_UNDER = 16  # years: a patient younger than this is a child (paediatric ward)
ARRIVALS_PER_DAY = 3.0

ROOM_CLASSES = {
    "Standard": ("Four-bed room with a shared bathroom.", 4, "250.00"),
    "Semi-private": ("Two-bed room with its own bathroom.", 2, "420.00"),
    "Private": ("Single room with its own bathroom.", 1, "780.00"),
    "Intensive care": ("Single ICU bay with monitoring and ventilator.", 1, "2400.00"),
}

# name, type, floor, sex restriction, [(room class, [room numbers])], share of arrivals
WARDS = [
    (
        "Medical Ward 3 North",
        WardType.GENERAL,
        "3",
        "",
        [
            ("Standard", ["301", "302", "303", "304", "305", "306"]),
            ("Private", ["310", "311", "312", "313"]),
        ],
        0.5,
    ),
    (
        "Intensive Care Unit",
        WardType.ICU,
        "2",
        "",
        [("Intensive care", [str(n) for n in range(201, 211)])],
        0.15,
    ),
    (
        "Maternity Ward 4 East",
        WardType.MATERNITY,
        "4",
        SexRestriction.FEMALE,
        [
            ("Semi-private", [str(n) for n in range(401, 409)]),
            ("Private", ["410", "411", "412", "413"]),
        ],
        0.2,
    ),
    (
        "Children's Ward 5 West",
        WardType.PAEDIATRIC,
        "5",
        "",
        [
            ("Semi-private", ["501", "502", "503", "504"]),
            ("Private", ["510", "511", "512", "513"]),
        ],
        0.15,
    ),
]

REASONS = {
    WardType.GENERAL: [
        "Community-acquired pneumonia, needs IV antibiotics",
        "Exacerbation of COPD",
        "Decompensated heart failure",
        "Cellulitis of the lower leg",
        "Uncontrolled type 2 diabetes with hyperglycaemia",
        "Syncope, for observation and telemetry",
        "Acute kidney injury",
        "Upper GI bleed, for endoscopy",
    ],
    WardType.ICU: [
        "Septic shock",
        "Respiratory failure, needs ventilation",
        "Post-operative monitoring after major surgery",
        "Diabetic ketoacidosis",
        "Acute myocardial infarction",
    ],
    WardType.MATERNITY: [
        "Spontaneous labour at term",
        "Planned caesarean section",
        "Pre-eclampsia, for monitoring",
        "Induction of labour, post-dates",
        "Postpartum haemorrhage observation",
    ],
    WardType.PAEDIATRIC: [
        "Bronchiolitis, needs oxygen and feeding support",
        "Acute asthma not settling with inhaled treatment",
        "Gastroenteritis with dehydration, for IV fluids",
        "Febrile convulsion, for observation",
        "Appendicectomy, post-operative care",
    ],
}
SUMMARIES = [
    "Treated as planned and improved steadily. Observations normal for 24 hours before "
    "discharge. Medicines reconciled; follow-up with the family doctor in one week.",
    "Responded well to treatment. Mobilising independently, eating and drinking. Discharge "
    "letter sent; outpatient review in two weeks.",
    "Uncomplicated course. Patient and family given written advice and the ward's number.",
]
TRANSFER_REASONS = {
    WardType.ICU: "Step-down from intensive care",
    WardType.GENERAL: "Moved to a single room for rest",
    WardType.MATERNITY: "Moved closer to the midwives' station",
    WardType.PAEDIATRIC: "Moved to a single room with a parent bed",
}


@dataclass
class _Plan:
    admission: Admission
    ward: Ward


def _master_data(hospital, actor, since):
    classes = {}
    for name, (description, beds, rate) in ROOM_CLASSES.items():
        classes[name], _created = RoomClass.objects.get_or_create(
            name=name,
            defaults={"description": description, "beds_per_room": beds, "daily_rate": rate},
        )
    wards = []
    for name, ward_type, floor, restriction, rooms, share in WARDS:
        ward, _created = Ward.objects.get_or_create(
            hospital=hospital,
            name=name,
            defaults={"ward_type": ward_type, "floor": floor, "sex_restriction": restriction},
        )
        for class_name, numbers in rooms:
            for number in numbers:
                if not WardRoom.objects.filter(ward=ward, number=number).exists():
                    room = services.ward_room_create(
                        ward=ward, room_class=classes[class_name], number=number, actor=actor
                    )
                    # The demo beds stood there before the simulated month began.
                    for bed in room.beds.all():
                        bed.status_changed_at = since
                        bed.save(update_fields=["status_changed_at"])
        wards.append((ward, share))
    return wards


def _patient_pools(rng, today):
    pool = list(
        Patient.objects.filter(
            additional_data__demo=True, is_active=True, is_deceased=False
        ).order_by("mrn")
    )
    pool = [p for p in pool if p.user_id is None]  # keep the portal patients' records quiet
    rng.shuffle(pool)
    # Adults already at the start of the simulated month, children still today: nobody
    # who turned 16 in between, so every admission keeps to the ward's age rule.
    start = today - timedelta(days=DAYS + 5)
    adults = [p for p in pool if p.age(start) >= CHILD_UNDER]
    pools = {
        "adults": adults,
        "children": [p for p in pool if p.age(today) < CHILD_UNDER],
        "women": [p for p in adults if p.sex == Sex.FEMALE and p.age(today) <= 46],
    }
    return pools


def _pool_for(ward, pools):
    """Children go to the paediatric ward only; mothers to maternity; adults elsewhere."""
    if ward.ward_type == WardType.PAEDIATRIC:
        return pools["children"]
    if ward.sex_restriction == SexRestriction.FEMALE:
        return pools["women"]
    return pools["adults"]


def _free_bed(ward, rng, at, sex=None):
    """Return a bed of `ward` that fits a patient of `sex` at `at` (`Bed.misfit`)."""
    beds = list(Bed.objects.filter(room__ward=ward).select_related("room__ward"))
    isolated = set(
        BedStay.objects.filter(
            ended_at__isnull=True, bed__room__ward=ward, bed__isolation=True
        ).values_list("bed__room_id", "bed_id")
    )
    fitting = [
        b
        for b in beds
        if b.misfit(
            sex=sex,
            now=at,
            isolated_roommate=any(room == b.room_id and bed != b.pk for room, bed in isolated),
        )
        is None
    ]
    return rng.choice(fitting) if fitting else None


def _after(bed, at, now):
    """Return `at`, moved after the bed's last change of state (history stays in order)."""
    return min(max(at, bed.status_changed_at + timedelta(minutes=10)), now)


def _simulate(wards, doctors, nurse, rng, now):
    """Run a month of arrivals, transfers, discharges and cleaning in time order."""
    today = timezone.localdate(now)
    pools = _patient_pools(rng, today)
    used = set()
    events, counter = [], itertools.count()

    def push(at, kind, payload):
        heapq.heappush(events, (at, next(counter), kind, payload))

    t = now - timedelta(days=DAYS + 5)
    while True:
        t += timedelta(days=rng.expovariate(ARRIVALS_PER_DAY))
        if t >= now - timedelta(hours=3):
            break
        push(t, "admit", None)

    ward_list = [w for w, _share in wards]
    shares = [share for _w, share in wards]
    by_type = {w.ward_type: w for w in ward_list}
    stats = {"admitted": 0, "transferred": 0, "discharged": 0}

    def next_patient(ward):
        for patient in _pool_for(ward, pools):
            if patient.pk not in used:
                used.add(patient.pk)
                return patient
        return None

    while events:
        at, _n, kind, payload = heapq.heappop(events)
        if at >= now:
            break
        if kind == "admit":
            ward = rng.choices(ward_list, weights=shares)[0]
            patient = next_patient(ward)
            bed = _free_bed(ward, rng, at, patient.sex) if patient else None
            if bed is None:
                if patient is not None:
                    used.discard(patient.pk)
                continue
            doctor = rng.choice(doctors)
            admission = services.admission_create(
                bed=bed,
                patient=patient,
                attending_doctor=doctor,
                actor=nurse,  # the bed manager admits; the doctor is not self-assigned
                reason=rng.choice(REASONS.get(ward.ward_type, REASONS[WardType.GENERAL])),
                expected_discharge=timezone.localdate(at) + timedelta(days=rng.randint(2, 6)),
                admitted_at=at,
            )
            stats["admitted"] += 1
            stay_days = (
                rng.uniform(1.0, 7.5)
                if ward.ward_type != WardType.MATERNITY
                else rng.uniform(1.0, 3.5)
            )
            leave = at + timedelta(days=stay_days)
            if ward.ward_type == WardType.ICU and WardType.GENERAL in by_type:
                push(
                    at + timedelta(days=stay_days * 0.4),
                    "transfer",
                    _Plan(admission, by_type[WardType.GENERAL]),
                )
            elif rng.random() < 0.15:
                push(at + timedelta(days=stay_days * 0.5), "transfer", _Plan(admission, ward))
            push(leave - timedelta(hours=rng.uniform(2, 6)), "order", admission)
            push(leave, "discharge", admission)
        elif kind == "transfer":
            admission = Admission.objects.get(pk=payload.admission.pk)
            if not admission.is_open:
                continue
            current = current_stay_of(admission)
            bed = _free_bed(payload.ward, rng, at, admission.patient.sex)
            if bed is None or bed.pk == current.bed_id:
                continue
            services.admission_transfer(
                admission=admission,
                bed=bed,
                actor=nurse,
                reason=TRANSFER_REASONS.get(current.bed.room.ward.ward_type, "Bed management"),
                at=at,
            )
            stats["transferred"] += 1
            push(at + timedelta(hours=rng.uniform(0.5, 3)), "clean", current.bed)
        elif kind == "order":
            admission = Admission.objects.get(pk=payload.pk)
            if admission.status == Admission.Status.ADMITTED:
                services.admission_order_discharge(
                    admission=admission, actor=admission.attending_doctor, at=at
                )
        elif kind == "discharge":
            admission = Admission.objects.get(pk=payload.pk)
            stay = current_stay_of(admission)
            icu = stay.bed.room.ward.ward_type == WardType.ICU
            disposition = rng.choices(
                [
                    Disposition.HOME,
                    Disposition.TRANSFER_FACILITY,
                    Disposition.AGAINST_MEDICAL_ADVICE,
                    Disposition.DECEASED,
                ],
                weights=[80, 10, 4, 6 if icu else 0],
            )[0]
            services.admission_discharge(
                admission=admission,
                disposition=disposition,
                summary=rng.choice(SUMMARIES),
                actor=admission.attending_doctor,
                discharged_at=at,
            )
            stats["discharged"] += 1
            push(at + timedelta(hours=rng.uniform(0.5, 3)), "clean", stay.bed)
        elif kind == "clean":
            bed = Bed.objects.get(pk=payload.pk)
            if bed.status == Bed.Status.CLEANING:
                services.bed_mark_clean(bed=bed, actor=nurse, at=at)
    return stats, pools, used


def _by_type(wards):
    return {w.ward_type: w for w, _share in wards}


def _top_up(wards, doctors, nurse, rng, now, pools, used):
    """Make sure about fifteen patients lie in bed now, a few of them in the ICU, on the
    maternity ward and on the children's ward."""
    by_type = _by_type(wards)
    medical, icu = by_type[WardType.GENERAL], by_type[WardType.ICU]
    maternity, children = by_type[WardType.MATERNITY], by_type[WardType.PAEDIATRIC]
    open_admissions = Admission.objects.open()

    def in_ward(ward):
        return open_admissions.filter(
            stays__ended_at__isnull=True, stays__bed__room__ward=ward
        ).count()

    wanted = [(icu, 3), (maternity, 3), (children, 3), (medical, TARGET_ADMITTED - 6)]
    for ward, minimum in wanted:
        while in_ward(ward) < minimum:
            patient = next((p for p in _pool_for(ward, pools) if p.pk not in used), None)
            bed = _free_bed(ward, rng, now, patient.sex) if patient else None
            if bed is None or patient is None:
                break
            used.add(patient.pk)
            doctor = rng.choice(doctors)
            services.admission_create(
                bed=bed,
                patient=patient,
                attending_doctor=doctor,
                actor=nurse,
                admitted_at=_after(bed, now - timedelta(hours=rng.uniform(3, 40)), now),
                reason=rng.choice(REASONS.get(ward.ward_type, REASONS[WardType.GENERAL])),
            )


def _beds_in_every_state(wards, nurse, rng, now):
    """Block, reserve and leave for cleaning a few beds, as a real board would show."""
    by_type = _by_type(wards)
    medical, icu, maternity = (
        by_type[t] for t in (WardType.GENERAL, WardType.ICU, WardType.MATERNITY)
    )
    if not Bed.objects.filter(status=Bed.Status.BLOCKED).exists():
        for ward, reason in ((medical, "Maintenance"), (maternity, "Broken equipment")):
            bed = _free_bed(ward, rng, now)
            if bed:
                at = _after(bed, now - timedelta(hours=rng.uniform(5, 30)), now)
                services.bed_block(bed=bed, reason=reason, actor=nurse, at=at)
    if not Bed.objects.filter(status=Bed.Status.RESERVED).exists():
        for ward, hours, note in (
            (icu, 3, "Post-op patient from theatre 2"),
            (maternity, 6, "Planned caesarean this afternoon"),
        ):
            bed = _free_bed(ward, rng, now)
            if bed:
                services.bed_reserve(
                    bed=bed, actor=nurse, until=now + timedelta(hours=hours), reason=note
                )
    if Bed.objects.filter(status=Bed.Status.CLEANING).count() < 2:
        # Two patients went home this morning; housekeeping has not been round yet.
        # One the doctor discharged himself; the other he ordered with the summary and
        # the ward nurse completed.
        leaving = list(Admission.objects.open().order_by("admitted_at")[:2])
        for n, admission in enumerate(leaving):
            if n == 0:
                services.admission_discharge(
                    admission=admission,
                    disposition=Disposition.HOME,
                    summary=SUMMARIES[0],
                    actor=admission.attending_doctor,
                    discharged_at=now - timedelta(minutes=40),
                )
                continue
            if admission.status == Admission.Status.ADMITTED:
                services.admission_order_discharge(
                    admission=admission,
                    actor=admission.attending_doctor,
                    summary=SUMMARIES[1],
                    at=now - timedelta(hours=2),
                )
            services.admission_discharge_complete(
                admission=Admission.objects.get(pk=admission.pk),
                disposition=Disposition.HOME,
                actor=nurse,
                discharged_at=now - timedelta(minutes=40),
            )
    if not Admission.objects.filter(status=Admission.Status.DISCHARGE_ORDERED).exists():
        # Ward rounds this morning: two patients may go home once the paperwork is done.
        ready = Admission.objects.filter(
            status=Admission.Status.ADMITTED, admitted_at__lt=now - timedelta(days=2)
        ).order_by("admitted_at")[:2]
        for admission in ready:
            services.admission_order_discharge(
                admission=admission,
                actor=admission.attending_doctor,
                at=now - timedelta(minutes=rng.uniform(20, 90)),
            )
    if Bed.objects.filter(room__ward=medical, isolation=True).count() == 0:
        bed = Bed.objects.filter(room__ward=medical, room__number="310").first()
        if bed:
            services.bed_set_isolation(bed=bed, isolation=True, actor=nurse)


def _pending_requests(wards, doctors, rng, pools, used):
    by_type = _by_type(wards)
    wanted = [
        (
            by_type[WardType.GENERAL],
            Priority.URGENT,
            "Worsening shortness of breath; for IV diuretics",
        ),
        (
            by_type[WardType.MATERNITY],
            Priority.ROUTINE,
            "Planned induction of labour tomorrow morning",
        ),
    ]
    created = 0
    for ward, priority, reason in wanted:
        patient = next((p for p in _pool_for(ward, pools) if p.pk not in used), None)
        if patient is None:
            continue
        used.add(patient.pk)
        services.admission_request_create(
            patient=patient,
            reason=reason,
            priority=priority,
            ward_preference=ward,
            actor=rng.choice(doctors),
        )
        created += 1
    return created


def seed_inpatient(*, password, stdout=None, options=None):
    """Create the demo wards, beds and a month of admissions (idempotent: the history is
    simulated once)."""
    hospital = Hospital.objects.order_by("created_at").first()
    doctors = list(User.objects.filter(email__in=["doctor@example.org", "doctor2@example.org"]))
    nurse = User.objects.filter(email="nurse@example.org").first()
    if hospital is None or not doctors or nurse is None:
        return "skipped: the hospital and demo accounts come first"
    now = timezone.now()
    wards = _master_data(hospital, actor=None, since=now - timedelta(days=DAYS + 10))
    services.ward_nurse_assign(ward=wards[0][0], user=nurse, actor=None)
    beds = Bed.objects.count()
    if Admission.objects.exists():
        return f"{len(wards)} wards, {beds} beds (history already there)"
    rng = random.Random(40)  # noqa: S311 - demo data, reproducible on purpose
    stats, pools, used = _simulate(wards, doctors, nurse, rng, now)
    _top_up(wards, doctors, nurse, rng, now, pools, used)
    _beds_in_every_state(wards, nurse, rng, now)
    if not AdmissionRequest.objects.filter(status=AdmissionRequest.Status.PENDING).exists():
        _pending_requests(wards, doctors, rng, pools, used)
    in_bed = Admission.objects.open().count()
    return (
        f"{len(wards)} wards, {beds} beds; {stats['admitted']} admissions, "
        f"{stats['transferred']} transfers, {stats['discharged']} discharges over {DAYS} days; "
        f"{in_bed} patients in bed now"
    )

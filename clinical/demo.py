"""Demo clinical records for the patients on the demo doctor's care team (the first 25
demo patients, see patients/demo.py), for John Smith (patient@example.org's record) and
for the patients the inpatient demo admitted under that doctor:
18 months of encounters, vital-sign series with trends, signed and draft notes (SOAP
progress notes worded for the reason of each visit, nursing notes, an addendum, one
note entered in error, admission notes of the inpatients' encounters, and an earlier
stay for pneumonia with its admission note and discharge summary; see
clinical/demo_notes.py), a problem list of one problem per condition (chronic problems,
a resolved one) with each visit's diagnosis linked to its problem when it is one, real
ICD-10-CM codes, allergies (John Smith: a severe penicillin allergy), "no known
allergies" or nothing asked yet, surgical, family and social history.

Past records are written in bulk with their real dates (through simple-history's
bulk helper); today's encounters, drafts and allergies go through the services, so
their rules (care-team grant, object permissions) apply. The appointment the scheduling
demo left in progress today gets its encounter, started from the appointment. Patients
that already have encounters are left alone, so the seeder can run again.
"""

import random
from datetime import datetime, time, timedelta
from decimal import Decimal

from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts.models import User
from clinical import demo_notes, services
from clinical.icd10 import catalogue_entry
from clinical.models import (
    AlcoholUse,
    AllergyCategory,
    AllergySeverity,
    ClinicalNote,
    ClinicalStatus,
    Condition,
    ConditionCategory,
    DiagnosisCode,
    Encounter,
    EncounterClass,
    EncounterStatus,
    EncounterStatusChange,
    FamilyRelationship,
    NoteStatus,
    NoteType,
    SmokingStatus,
    VitalSigns,
    body_mass_index,
)
from clinical.selectors import open_admission_of
from patients.models import Patient
from patients.selectors import patients_on_care_team_of
from patients.services import care_team_add
from scheduling.models import Appointment, AppointmentStatus

DEMO = {"demo": True}
TEAM_SIZE = 25
MORE_PATIENTS = 100
JOHN_PORTAL_EMAIL = "patient@example.org"  # John Smith's portal account (patients demo)

# Chronic problems of the demo patients (ICD-10-CM; titles come from the catalogue).
PROFILES = [
    ["I10", "E78.5"],
    ["E11.9", "I10", "E66.9"],
    ["J45.909"],
    ["J44.9", "I10"],
    ["E03.9", "F41.1"],
    ["K21.9", "M54.50"],
    ["M17.11", "M81.0"],
    ["I48.91", "I25.10", "E78.5"],
    ["F32.A", "G43.909"],
    ["N18.30", "E11.9", "I10"],
]
PAST_PROBLEMS = ["J18.9", "N39.0", "S93.401A", "B34.9"]
# Reasons for a visit: ICD-10-CM code and the chief complaint that goes with it.
VISIT_REASONS = {
    "J06.9": "Cough and sore throat for three days",
    "R07.9": "Chest discomfort on exertion",
    "M54.50": "Low back pain after lifting",
    "K58.9": "Crampy abdominal pain and bloating",
    "E55.9": "Tiredness, review of blood results",
}
# Problems of the younger patients (no osteoporosis at 22).
YOUNG_PROFILES = [["J45.909"], ["G43.909", "F41.1"], ["K21.9", "M54.50"], ["E03.9"], []]
ALLERGENS = [
    ("Sulfonamides", AllergyCategory.DRUG, AllergySeverity.MODERATE, "Rash"),
    ("Ibuprofen", AllergyCategory.DRUG, AllergySeverity.MILD, "Stomach upset"),
    ("Latex", AllergyCategory.ENVIRONMENT, AllergySeverity.MODERATE, "Contact dermatitis"),
    ("Shellfish", AllergyCategory.FOOD, AllergySeverity.SEVERE, "Lip swelling, wheeze"),
    ("Grass pollen", AllergyCategory.ENVIRONMENT, AllergySeverity.MILD, "Hay fever"),
    ("Codeine", AllergyCategory.DRUG, AllergySeverity.MODERATE, "Vomiting"),
]
SURGERY = [
    ("Appendectomy", "Laparoscopic, uncomplicated."),
    ("Cholecystectomy", "For gallstones."),
    ("Right knee arthroscopy", "Meniscus repair."),
    ("Caesarean section", ""),
    ("Tonsillectomy", "In childhood."),
    ("Inguinal hernia repair", "Mesh, left side."),
]
FAMILY = [
    (FamilyRelationship.FATHER, "Myocardial infarction", 58),
    (FamilyRelationship.MOTHER, "Type 2 diabetes", 52),
    (FamilyRelationship.MOTHER, "Breast cancer", 61),
    (FamilyRelationship.BROTHER, "Asthma", 6),
    (FamilyRelationship.GRANDFATHER, "Stroke", 70),
    (FamilyRelationship.SISTER, "Hypothyroidism", 35),
]
LIVING = [
    "Lives with partner",
    "Lives alone, second floor with a lift",
    "Lives with family",
    "Lives alone, daughter visits daily",
]


def _ensure_codes(codes):
    """Create the DiagnosisCode rows among `codes` that are missing (titles from the
    ICD-10-CM release), when `load_icd10` has not loaded the whole catalogue."""
    missing = set(codes) - set(
        DiagnosisCode.objects.filter(code__in=codes).values_list("code", flat=True)
    )
    if not missing:
        return
    rows = {code: catalogue_entry(code) for code in sorted(missing)}
    bulk_create_with_history(
        [
            DiagnosisCode(code=code, title=title, is_billable=leaf, chapter=chapter)
            for code, (title, leaf, chapter) in rows.items()
        ],
        DiagnosisCode,
        default_change_reason="ICD-10-CM codes of the demo data",
    )


def _stamp(obj, user):
    obj.created_by = obj.updated_by = user
    return obj


class _Plan:
    """The records of the demo patients, collected and written in bulk per author."""

    def __init__(self):
        self.rows = {}

    def add(self, obj, author):
        self.rows.setdefault((type(obj), author.pk if author else None), (author, []))[1].append(
            _stamp(obj, author)
        )
        return obj

    def write(self):
        order = [Encounter, EncounterStatusChange, VitalSigns, ClinicalNote, Condition]
        for model in order:
            for (kind, _pk), (author, objs) in list(self.rows.items()):
                if kind is model and objs:
                    bulk_create_with_history(
                        objs,
                        model,
                        batch_size=500,
                        default_user=author,
                        default_change_reason="demo data",
                    )


def _vitals_series(rng, patient, when_list, recorder, encounter_at, profile):
    """Return vital signs at `when_list`, with trends fitting the patient's problems."""
    age = patient.age()
    child = age < 16
    hypertensive = "I10" in profile
    height = (
        Decimal(str(round(75 + age * 6.2 + rng.uniform(-5, 5), 1)))
        if child
        else Decimal(str(round(rng.uniform(155, 190), 1)))
    )
    weight = (
        Decimal(str(round(9 + age * 3.1 + rng.uniform(-2, 2), 1)))
        if child
        else Decimal(str(round(rng.uniform(58, 105), 1)))
    )
    rows = []
    count = len(when_list)
    for index, when in enumerate(when_list):
        progress = index / max(count - 1, 1)
        if hypertensive:  # improving on treatment
            systolic = int(165 - 30 * progress + rng.randint(-6, 6))
            diastolic = int(98 - 14 * progress + rng.randint(-4, 4))
        else:
            systolic = rng.randint(108, 134)
            diastolic = rng.randint(66, 84)
        fever = rng.random() < 0.12
        vitals = VitalSigns(
            patient=patient,
            encounter=encounter_at.get(when),
            recorded_at=when,
            recorded_by=recorder,
            systolic_bp=systolic if not child else rng.randint(95, 115),
            diastolic_bp=diastolic if not child else rng.randint(55, 72),
            heart_rate=rng.randint(78, 118)
            if child
            else rng.randint(58, 96) + (14 if fever else 0),
            respiratory_rate=rng.randint(18, 26)
            if child
            else rng.randint(12, 19) + (3 if fever else 0),
            temperature_c=Decimal(str(round(rng.uniform(38.1, 39.2), 1)))
            if fever
            else Decimal(str(round(rng.uniform(36.3, 37.3), 1))),
            spo2=rng.randint(90, 95) if "J44.9" in profile else rng.randint(95, 100),
            weight_kg=(weight - Decimal(str(round(4 * progress, 1))))
            if "E66.9" in profile
            else weight + Decimal(str(round(rng.uniform(-0.8, 0.8), 1))),
            height_cm=height if index in (0, count - 1) else None,
            pain_score=rng.choice([0, 0, 0, 1, 2, 3, 5]),
        )
        vitals.bmi = body_mass_index(vitals.weight_kg, height)
        rows.append(vitals)
    return rows


def _seed_patient(plan, rng, patient, index, doctor, nurse, titles, now):
    """Collect 18 months of records of one patient in `plan`; return the problem codes.
    `nurse` (None when no nurse is on the care team) records vitals and nursing notes."""
    recorder = nurse or doctor
    profile = PROFILES[index % len(PROFILES)]
    if patient.age() < 16:
        profile = ["J45.909"] if index % 2 else []
    elif patient.age() < 45:
        profile = YOUNG_PROFILES[index % len(YOUNG_PROFILES)]
    # The reason of each visit: a follow-up of the main problem, or something new.
    reasons = list(VISIT_REASONS)
    visit_codes = [
        profile[0] if profile and k % 2 == 0 else reasons[(index + k) % len(reasons)]
        for k in range(6)
    ]
    # Six finished encounters over 18 months, the latest about three months ago.
    starts = [
        now - timedelta(days=540 - k * 90 + rng.randint(-8, 8), hours=rng.randint(0, 6))
        for k in range(6)
    ]
    starts = [
        s.replace(hour=9 + rng.randint(0, 7), minute=rng.choice([0, 15, 30, 45])) for s in starts
    ]
    encounters = []
    for k, start in enumerate(starts):
        encounter = plan.add(
            Encounter(
                patient=patient,
                encounter_class=EncounterClass.TELEPHONE if k == 3 else EncounterClass.OUTPATIENT,
                doctor=doctor,
                status=EncounterStatus.FINISHED,
                started_at=start,
                ended_at=start + timedelta(minutes=rng.choice([15, 20, 30])),
                chief_complaint=VISIT_REASONS.get(visit_codes[k])
                or f"Follow-up: {titles[visit_codes[k]].lower()}",
                created_at=start,
                additional_data=DEMO,
            ),
            doctor,
        )
        encounters.append(encounter)
        # Its status changes, as `transition_to` writes them: started, then finished.
        for old, new, at in (
            ("", EncounterStatus.IN_PROGRESS, encounter.started_at),
            (EncounterStatus.IN_PROGRESS, EncounterStatus.FINISHED, encounter.ended_at),
        ):
            plan.add(
                EncounterStatusChange(
                    encounter=encounter,
                    from_status=old,
                    to_status=new,
                    at=at,
                    by=doctor,
                    created_at=at,
                    additional_data=DEMO,
                ),
                doctor,
            )

    # Vital signs: at each visit (not by telephone) and at nurse checks in between.
    when_list = sorted(
        [
            e.started_at + timedelta(minutes=5)
            for e in encounters
            if e.encounter_class != EncounterClass.TELEPHONE
        ]
        + [e.started_at + timedelta(days=45) for e in encounters]
        + [now - timedelta(days=20)]
    )
    encounter_at = {e.started_at + timedelta(minutes=5): e for e in encounters}
    vitals_of = {}
    series = _vitals_series(rng, patient, when_list, recorder, encounter_at, profile)
    for vitals in series:
        plan.add(vitals, recorder)
        if vitals.encounter is not None:
            vitals_of[vitals.encounter.pk] = vitals

    # The problem list, one problem per condition: the chronic problems (with onset
    # before the records start) and a resolved past problem. Each visit's primary
    # diagnosis links its problem when it is one; an acute one stays a diagnosis of its
    # encounter only (not added to the problem list).
    problems = {}
    for code in profile:
        problems[code] = plan.add(
            Condition(
                patient=patient,
                code_id=code,
                clinical_status=ClinicalStatus.ACTIVE,
                category=ConditionCategory.PROBLEM_LIST_ITEM,
                onset=(now - timedelta(days=rng.randint(800, 4000))).date(),
            ),
            doctor,
        )
    past = PAST_PROBLEMS[index % len(PAST_PROBLEMS)]
    onset = (now - timedelta(days=rng.randint(900, 2000))).date()
    resolved_on = onset + timedelta(days=rng.randint(14, 30))
    problems[past] = plan.add(
        Condition(
            patient=patient,
            code_id=past,
            clinical_status=ClinicalStatus.RESOLVED,
            category=ConditionCategory.PROBLEM_LIST_ITEM,
            onset=onset,
            resolved_on=resolved_on,
        ),
        doctor,
    )
    if past == "J18.9" and patient.age() >= 16:
        _pneumonia_stay(plan, rng, patient, doctor, problems[past], titles)
    for k, encounter in enumerate(encounters):
        code = visit_codes[k]
        plan.add(
            Condition(
                patient=patient,
                code_id=code,
                clinical_status=ClinicalStatus.ACTIVE
                if code in profile
                else ClinicalStatus.RESOLVED,
                category=ConditionCategory.ENCOUNTER_DIAGNOSIS,
                encounter=encounter,
                is_primary=True,
                onset=encounter.started_at.date(),
                resolved_on=None if code in profile else encounter.started_at.date(),
                problem=problems.get(code),
            ),
            doctor,
        )

    # A signed progress note per encounter, worded for its reason and its vital signs.
    notes = []
    for k, (encounter, code) in enumerate(zip(encounters, visit_codes, strict=True)):
        signed_at = encounter.ended_at + timedelta(minutes=rng.randint(5, 90))
        notes.append(
            plan.add(
                ClinicalNote(
                    patient=patient,
                    encounter=encounter,
                    author=doctor,
                    note_type=NoteType.PROGRESS,
                    status=NoteStatus.SIGNED,
                    signed_by=doctor,
                    signed_at=signed_at,
                    created_at=encounter.started_at + timedelta(minutes=10),
                    additional_data=DEMO,
                    **demo_notes.progress_note(
                        rng,
                        code,
                        titles[code],
                        vitals_of.get(encounter.pk),
                        stage=k / (len(encounters) - 1),
                        telephone=encounter.encounter_class == EncounterClass.TELEPHONE,
                    ),
                ),
                doctor,
            )
        )
    if nurse:
        when = now - timedelta(days=20)
        plan.add(
            ClinicalNote(
                patient=patient,
                author=nurse,
                note_type=NoteType.NURSING,
                status=NoteStatus.SIGNED,
                signed_by=nurse,
                signed_at=when + timedelta(minutes=3),
                created_at=when,
                additional_data=DEMO,
                **demo_notes.nursing_note(rng, series[-1] if series else None),
            ),
            nurse,
        )
    if index == 1:  # an addendum completing a signed note
        original = notes[-1]
        plan.add(
            ClinicalNote(
                patient=patient,
                encounter=original.encounter,
                author=doctor,
                note_type=NoteType.PROGRESS,
                status=NoteStatus.SIGNED,
                signed_by=doctor,
                signed_at=original.signed_at + timedelta(days=2),
                created_at=original.signed_at + timedelta(days=2),
                amends=original,
                additional_data=DEMO,
                text="Addendum: HbA1c came back at 7.9 %. Metformin increased; the patient "
                "was told by telephone.",
            ),
            doctor,
        )
    if index == 2:  # a note written in the wrong chart, withdrawn
        when = now - timedelta(days=60)
        plan.add(
            ClinicalNote(
                patient=patient,
                author=doctor,
                note_type=NoteType.CONSULTATION,
                status=NoteStatus.SIGNED,
                signed_by=doctor,
                signed_at=when,
                created_at=when,
                entered_in_error=True,
                entered_in_error_at=when + timedelta(hours=1),
                entered_in_error_by=doctor,
                entered_in_error_reason="Written in the wrong patient's chart.",
                additional_data=DEMO,
                text="Consultation: asked to see about a soft systolic murmur heard at a "
                "routine check. Asymptomatic, exercise tolerance good. Grade 2/6 ejection "
                "murmur at the left sternal edge, not radiating; normal second heart "
                "sound. Likely innocent flow murmur; echocardiogram suggested to confirm.",
            ),
            doctor,
        )
    return profile


def _pneumonia_stay(plan, rng, patient, doctor, problem, titles):
    """Collect an earlier inpatient stay for pneumonia (the resolved past problem): the
    encounter, its diagnosis linked to the problem, the admission note and the signed
    discharge summary. It predates the ward records, so it has no admission row."""
    admitted = timezone.make_aware(datetime.combine(problem.onset, time(0))) + timedelta(
        hours=rng.randint(10, 20)
    )
    discharged = admitted + timedelta(days=rng.randint(3, 6), hours=rng.randint(-4, 4))
    encounter = plan.add(
        Encounter(
            patient=patient,
            encounter_class=EncounterClass.INPATIENT,
            doctor=doctor,
            status=EncounterStatus.FINISHED,
            started_at=admitted,
            ended_at=discharged,
            chief_complaint="Cough, fever and breathlessness",
            created_at=admitted,
            additional_data=DEMO,
        ),
        doctor,
    )
    for old, new, at in (
        ("", EncounterStatus.IN_PROGRESS, admitted),
        (EncounterStatus.IN_PROGRESS, EncounterStatus.FINISHED, discharged),
    ):
        plan.add(
            EncounterStatusChange(
                encounter=encounter,
                from_status=old,
                to_status=new,
                at=at,
                by=doctor,
                created_at=at,
                additional_data=DEMO,
            ),
            doctor,
        )
    plan.add(
        Condition(
            patient=patient,
            code_id=problem.code_id,
            clinical_status=ClinicalStatus.RESOLVED,
            category=ConditionCategory.ENCOUNTER_DIAGNOSIS,
            encounter=encounter,
            is_primary=True,
            onset=problem.onset,
            resolved_on=problem.resolved_on,
            problem=problem,
        ),
        doctor,
    )
    for note_type, at, content in (
        (
            NoteType.ADMISSION,
            admitted + timedelta(hours=1),
            demo_notes.pneumonia_admission_note(rng, None),
        ),
        (
            NoteType.DISCHARGE_SUMMARY,
            discharged,
            demo_notes.pneumonia_discharge_summary(rng, admitted, discharged),
        ),
    ):
        plan.add(
            ClinicalNote(
                patient=patient,
                encounter=encounter,
                author=doctor,
                note_type=note_type,
                status=NoteStatus.SIGNED,
                signed_by=doctor,
                signed_at=at + timedelta(minutes=20),
                created_at=at,
                additional_data=DEMO,
                **content,
            ),
            doctor,
        )


def _seed_today(rng, patient, index, doctor, nurse, *, is_john=False):
    """Today's work, through the services: an encounter in progress for some, a draft
    note, allergies or the allergy assessment, and the histories."""
    admission = open_admission_of(patient)
    if admission is not None:
        encounter = services.encounter_start_from_admission(admission=admission, actor=doctor)
        services.note_create(
            patient=patient,
            actor=doctor,
            encounter=encounter,
            note_type=NoteType.ADMISSION,
            sign=True,
            **demo_notes.admission_note(rng, admission.reason),
        )
    elif is_john or index < 3:
        encounter = services.encounter_start(
            patient=patient,
            actor=doctor,
            encounter_class=EncounterClass.OUTPATIENT,
            chief_complaint="Review of blood pressure and medicines"
            if not is_john
            else "Sore throat and fever for two days",
        )
        services.note_create(
            patient=patient,
            actor=doctor,
            encounter=encounter,
            **(
                demo_notes.sore_throat_draft()
                if is_john
                else demo_notes.draft_review(rng, encounter.chief_complaint)
            ),
        )
    if is_john:
        services.allergy_record(
            patient=patient,
            actor=doctor,
            allergen="Penicillin",
            category=AllergyCategory.DRUG,
            severity=AllergySeverity.SEVERE,
            reaction="Anaphylaxis (2015): throat swelling, low blood pressure",
        )
        services.allergy_record(
            patient=patient,
            actor=nurse or doctor,
            allergen="Peanuts",
            category=AllergyCategory.FOOD,
            severity=AllergySeverity.MODERATE,
            reaction="Hives",
        )
    elif index % 5 in (0, 3):
        for allergen, category, severity, reaction in rng.sample(ALLERGENS, rng.randint(1, 2)):
            services.allergy_record(
                patient=patient,
                actor=doctor,
                allergen=allergen,
                category=category,
                severity=severity,
                reaction=reaction,
            )
    elif index % 5 in (1, 4):
        services.allergy_status_set_none_known(patient=patient, actor=nurse or doctor)
    # index % 5 == 2: allergies not asked yet (shown as such in the banner).

    if patient.age() >= 16:
        for procedure, notes in rng.sample(SURGERY, rng.randint(0, 2)):
            services.surgical_history_create(
                patient=patient,
                actor=doctor,
                procedure=procedure,
                notes=notes,
                performed_on=(timezone.now() - timedelta(days=rng.randint(1500, 9000))).date(),
            )
    for relationship, condition, age in rng.sample(FAMILY, rng.randint(1, 3)):
        services.family_history_create(
            patient=patient,
            actor=doctor,
            relationship=relationship,
            condition=condition,
            age_at_onset=age,
        )
    adult = patient.age() >= 16
    services.social_history_update(
        patient=patient,
        actor=nurse or doctor,
        smoking_status=rng.choice(
            [SmokingStatus.NEVER, SmokingStatus.FORMER, SmokingStatus.CURRENT]
        )
        if adult
        else SmokingStatus.NEVER,
        alcohol=rng.choice([AlcoholUse.NONE, AlcoholUse.OCCASIONAL, AlcoholUse.MODERATE])
        if adult
        else AlcoholUse.NONE,
        occupation=patient.occupation,
        living_situation=rng.choice(LIVING) if adult else "Lives with parents",
    )


def seed_clinical(*, password, stdout=None, options=None):
    """Create the demo clinical records (see the module docstring)."""
    doctor = User.objects.filter(email="doctor@example.org").first()
    nurse = User.objects.filter(email="nurse@example.org").first()
    if doctor is None:
        return "skipped: no demo doctor"
    team = list(Patient.objects.filter(additional_data__demo=True).order_by("mrn")[:TEAM_SIZE])
    # The patients demo links John Smith's record to this portal account.
    john = Patient.objects.filter(user__email=JOHN_PORTAL_EMAIL).first()
    patients = [(p, i, False) for i, p in enumerate(team)]
    if john is not None and john not in team:
        patients.append((john, len(team), True))
    # Patients the inpatient demo put on the doctor's care team (admissions) get a chart
    # too, so every patient under "My patients" has one.
    listed = {p.pk for p, _i, _j in patients}
    for extra in patients_on_care_team_of(doctor).order_by("mrn")[:MORE_PATIENTS]:
        if extra.pk not in listed:
            patients.append((extra, len(patients), False))
    todo = [(p, i, j) for p, i, j in patients if not Encounter.objects.filter(patient=p).exists()]
    if not todo:
        _visit_under_way(doctor)
        return f"already there ({len(patients)} patients with clinical records)"

    codes = (
        {c for profile in [*PROFILES, *YOUNG_PROFILES] for c in profile}
        | set(PAST_PROBLEMS)
        | set(VISIT_REASONS)
    )
    _ensure_codes(codes)
    titles = dict(DiagnosisCode.objects.filter(code__in=codes).values_list("code", "title"))
    now = timezone.now()
    plan = _Plan()
    for patient, index, is_john in todo:
        # The demo doctor (and nurse) look after these patients; John Smith's care team
        # is set up here, as an appointment would.
        care_team_add(patient=patient, user=doctor, actor=None)
        if nurse and (is_john or index % 2 == 0):
            care_team_add(patient=patient, user=nurse, actor=None)
        rng = random.Random(f"clinical-{patient.mrn}")  # noqa: S311 - demo data
        has_nurse = nurse is not None and (is_john or index % 2 == 0)
        _seed_patient(plan, rng, patient, index, doctor, nurse if has_nurse else None, titles, now)
    plan.write()
    for patient, index, is_john in todo:
        rng = random.Random(f"clinical-today-{patient.mrn}")  # noqa: S311 - demo data
        has_nurse = nurse is not None and (is_john or index % 2 == 0)
        _seed_today(rng, patient, index, doctor, nurse if has_nurse else None, is_john=is_john)
    _visit_under_way(doctor)
    return (
        f"{len(todo)} patients: {Encounter.objects.count()} encounters, "
        f"{VitalSigns.objects.count()} vital-sign sets, {ClinicalNote.objects.count()} notes"
    )


def _visit_under_way(doctor):
    """The scheduling demo leaves one of the doctor's appointments in progress today:
    that visit is the encounter under way, started from the appointment."""
    appointment = (
        Appointment.objects.filter(
            doctor=doctor, status=AppointmentStatus.IN_PROGRESS, encounters__isnull=True
        )
        .order_by("start")
        .first()
    )
    if appointment is not None:
        services.encounter_start_for_appointment(
            appointment=appointment, actor=doctor, at=appointment.started_at
        )

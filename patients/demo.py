"""Demo patients: realistic names and addresses (seeded Faker), some care teams, and the
two portal accounts linked to their records."""

import random
from datetime import date, timedelta

from faker import Faker

from accounts.models import User
from patients.models import MaritalStatus, Patient, PatientIdentifier, Sex
from patients.services import care_team_add, patients_bulk_load

DEMO_MARK = "demo"
LANGUAGES = ["English", "English", "English", "Spanish", "French", "Arabic", "Vietnamese"]
PAYERS = ["Blue Shield", "Medicaid", "Aetna", "United Health", ""]  # Medicare: 65 and over
MEDICARE_AGE = 65

PORTAL_PATIENTS = {
    "patient@example.org": {
        "first_name": "John",
        "last_name": "Smith",
        "date_of_birth": date(1980, 2, 3),
        "sex": Sex.MALE,
        "phone": "+12025550108",
        "email": "patient@example.org",
        "sms_messages": True,  # the demo patient who gets reminders by text too
    },
    "patient2@example.org": {
        "first_name": "Maria",
        "last_name": "Garcia",
        "date_of_birth": date(1992, 7, 19),
        "sex": Sex.FEMALE,
        "phone": "+12025550109",
        "email": "patient2@example.org",
    },
}


# Sex as a register records it: about even, "other" and "unknown" rare (each well under
# 1 %), as in national registers.
SEX_SHARES = [(Sex.FEMALE, 0.507), (Sex.MALE, 0.488), (Sex.OTHER, 0.003), (Sex.UNKNOWN, 0.002)]
# Names worn by every sex, for the records whose sex is "other" or "unknown".
UNISEX_NAMES = ["Alex", "Jordan", "Taylor", "Morgan", "Casey", "Riley", "Jamie", "Avery", "Quinn"]
# Ages of a general hospital's patients, in years: (youngest, oldest, share). Children are
# a sixth of them, and older people come more often than their share of the population.
AGE_BANDS = [(0, 4, 0.06), (5, 17, 0.10), (18, 39, 0.22), (40, 64, 0.33), (65, 79, 0.20)]
AGE_BANDS.append((80, 99, 1 - sum(share for _lo, _hi, share in AGE_BANDS)))
ADULT_AGE = 18
RETIREMENT_AGE = 67


def _pick(rng, shares):
    point, total = rng.random(), 0.0
    for value, share in shares:
        total += share
        if point < total:
            return value
    return shares[-1][0]


def _first_name(fake, rng, sex):
    if sex == Sex.FEMALE:
        return fake.first_name_female()
    if sex == Sex.MALE:
        return fake.first_name_male()
    return rng.choice(UNISEX_NAMES)


def _date_of_birth(rng, today):
    low, high = _pick(rng, [((lo, hi), share) for lo, hi, share in AGE_BANDS])
    # A day within the age band: born between (high + 1) years and `low` years ago.
    earliest = today - timedelta(days=round((high + 1) * 365.25) - 1)
    latest = today - timedelta(days=round(low * 365.25))
    return earliest + timedelta(days=rng.randint(0, (latest - earliest).days))


def _life_details(fake, rng, age):
    """Occupation, marital status and email that fit the age."""
    if age < ADULT_AGE:
        return {
            "occupation": "Student" if age >= 5 else "",
            "marital_status": MaritalStatus.SINGLE if age >= 16 else "",
            "email": "",  # a child's contact is a parent's: in the emergency contacts
        }
    return {
        "occupation": "Retired" if age >= RETIREMENT_AGE else fake.job()[:100],
        "marital_status": rng.choice(
            [s for s in MaritalStatus.values if s != MaritalStatus.UNKNOWN]
        ),
        "email": fake.email() if rng.random() < 0.7 else "",
    }


def _fake_rows(count, seed):
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    today = date.today()
    rows = []
    for _ in range(count):
        sex = _pick(rng, SEX_SHARES)
        dob = _date_of_birth(rng, today)
        age = today.year - dob.year - ((today.month, today.day) < (dob.month, dob.day))
        rows.append(
            {
                "first_name": _first_name(fake, rng, sex),
                "middle_name": _first_name(fake, rng, sex) if rng.random() < 0.3 else "",
                "last_name": fake.last_name(),
                "date_of_birth": dob,
                "sex": sex,
                "phone": f"+1202555{rng.randint(0, 9999):04d}",
                "address_line": fake.street_address(),
                "city": fake.city(),
                "region": fake.state_abbr(),
                "postal_code": fake.postcode(),
                "country": "United States",
                "preferred_language": rng.choice(LANGUAGES),
                "insurance_payer": "Medicare" if age >= MEDICARE_AGE else rng.choice(PAYERS),
                "insurance_policy_number": fake.bothify("??#######").upper(),
                "additional_data": {DEMO_MARK: True},
                **_life_details(fake, rng, age),
            }
        )
    return rows


def seed_patients(*, password, stdout=None, options=None):
    """Create demo patients up to `--patients` (default 300), link the portal accounts,
    and put the demo doctors and nurse on some care teams."""
    wanted = (options or {}).get("patients") or 300
    existing = Patient.objects.filter(additional_data__demo=True).count()
    created = []
    if existing < wanted:
        rows = _fake_rows(wanted - existing, seed=existing + 1)
        created = patients_bulk_load(rows=rows)
        identifiers = [
            PatientIdentifier(patient=p, type="national_id", value=f"NID-{p.mrn}")
            for p in created[::3]
        ]
        from simple_history.utils import bulk_create_with_history

        bulk_create_with_history(identifiers, PatientIdentifier, batch_size=1000)

    for email, fields in PORTAL_PATIENTS.items():
        user = User.objects.filter(email=email).first()
        patient = Patient.objects.filter(
            first_name=fields["first_name"],
            last_name=fields["last_name"],
            date_of_birth=fields["date_of_birth"],
        ).first()
        if patient is None:
            patient = patients_bulk_load(
                rows=[
                    {
                        **fields,
                        "address_line": "12 Elm Street",
                        "city": "Springfield",
                        "region": "IL",
                        "postal_code": "62701",
                        "country": "United States",
                        "additional_data": {DEMO_MARK: True},
                    }
                ]
            )[0]
        if (user and patient.user_id != user.pk) or (
            fields.get("sms_messages") and not patient.sms_messages
        ):
            patient.user = user or patient.user
            patient.sms_messages = patient.sms_messages or fields.get("sms_messages", False)
            patient.save()

    doctor = User.objects.filter(email="doctor@example.org").first()
    nurse = User.objects.filter(email="nurse@example.org").first()
    team = list(Patient.objects.filter(additional_data__demo=True).order_by("mrn")[:25])
    for i, patient in enumerate(team):
        if doctor:
            care_team_add(patient=patient, user=doctor, actor=None)
        if nurse and i % 2 == 0:
            care_team_add(patient=patient, user=nurse, actor=None)
    total = Patient.objects.count()
    return f"{total} patients ({len(created)} new), {len(team)} on the demo care teams"

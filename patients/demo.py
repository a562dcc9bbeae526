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
PAYERS = ["Blue Shield", "Medicare", "Medicaid", "Aetna", "United Health", ""]

PORTAL_PATIENTS = {
    "patient@example.org": {
        "first_name": "John",
        "last_name": "Smith",
        "date_of_birth": date(1980, 2, 3),
        "sex": Sex.MALE,
        "phone": "+12025550108",
        "email": "patient@example.org",
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


def _fake_rows(count, seed):
    fake = Faker("en_US")
    fake.seed_instance(seed)
    rng = random.Random(seed)  # noqa: S311 - demo data, reproducible on purpose
    today = date.today()
    rows = []
    for _ in range(count):
        sex = rng.choice([Sex.FEMALE, Sex.MALE, Sex.FEMALE, Sex.MALE, Sex.OTHER])
        first = fake.first_name_female() if sex == Sex.FEMALE else fake.first_name_male()
        dob = today - timedelta(days=rng.randint(0, 95 * 365))
        rows.append(
            {
                "first_name": first,
                "middle_name": fake.first_name() if rng.random() < 0.3 else "",
                "last_name": fake.last_name(),
                "date_of_birth": dob,
                "sex": sex,
                "phone": f"+1202555{rng.randint(0, 9999):04d}",
                "email": fake.email() if rng.random() < 0.7 else "",
                "address_line": fake.street_address(),
                "city": fake.city(),
                "region": fake.state_abbr(),
                "postal_code": fake.postcode(),
                "country": "United States",
                "preferred_language": rng.choice(LANGUAGES),
                "marital_status": rng.choice(MaritalStatus.values),
                "occupation": fake.job()[:100] if dob.year < today.year - 18 else "Student",
                "insurance_payer": rng.choice(PAYERS),
                "insurance_policy_number": fake.bothify("??#######").upper(),
                "additional_data": {DEMO_MARK: True},
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
        if user and patient.user_id != user.pk:
            patient.user = user
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

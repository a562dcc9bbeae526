"""Demo accounts: one or two per role, all with the password given to seed_demo."""

from accounts import roles
from accounts.models import DoctorProfile, DoctorSpecialty, Specialty, User
from accounts.services import user_create, user_set_roles

SPECIALTIES = [
    ("Cardiology", "cardiology"),
    ("Family medicine", "family-medicine"),
    ("General surgery", "general-surgery"),
    ("Internal medicine", "internal-medicine"),
    ("Obstetrics and gynaecology", "obstetrics-gynaecology"),
    ("Paediatrics", "paediatrics"),
    ("Orthopaedics", "orthopaedics"),
    ("Emergency medicine", "emergency-medicine"),
]

# (email, first name, last name, role, phone)
ACCOUNTS = [
    ("admin@example.org", "Amara", "Okafor", roles.ADMINISTRATOR, "+12025550101"),
    ("doctor@example.org", "Gregory", "House", roles.DOCTOR, "+12025550102"),
    ("doctor2@example.org", "Meredith", "Grey", roles.DOCTOR, "+12025550103"),
    ("nurse@example.org", "Carla", "Espinosa", roles.NURSE, "+12025550104"),
    ("reception@example.org", "Pam", "Beesly", roles.RECEPTIONIST, "+12025550105"),
    ("lab@example.org", "Luis", "Pasteur", roles.LAB_TECHNICIAN, "+12025550106"),
    # A second technician: results are verified by someone other than who entered them.
    ("lab2@example.org", "Rosalind", "Franklin", roles.LAB_TECHNICIAN, "+12025550110"),
    ("pharmacy@example.org", "Priya", "Raman", roles.PHARMACIST, "+12025550107"),
    ("patient@example.org", "John", "Smith", roles.PATIENT, "+12025550108"),
    ("patient2@example.org", "Maria", "Garcia", roles.PATIENT, "+12025550109"),
]

# Staff who get texts in the demo (critical results and security always reach staff by
# every channel they have): their mobile numbers.
MOBILES = {"doctor@example.org": "+12025550102", "nurse@example.org": "+12025550104"}

DOCTORS = {
    "doctor@example.org": (
        "MD-100234",
        "MD, Internal medicine board certified",
        ["internal-medicine", "cardiology"],
    ),
    "doctor2@example.org": ("MD-100871", "MD, FACS", ["general-surgery", "emergency-medicine"]),
}


def seed_accounts(*, password, stdout=None, options=None):
    """Create (or refresh) the demo accounts, specialties and doctor profiles."""
    for name, code in SPECIALTIES:
        Specialty.objects.get_or_create(code=code, defaults={"name": name})

    created = 0
    for email, first, last, role, phone in ACCOUNTS:
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            user_create(
                email=email,
                password=password,
                first_name=first,
                last_name=last,
                phone=phone,
                role_names=[role],
            )
            created += 1
        else:
            user.set_password(password)
            user.is_active = True
            user.save()
            user.mark_email_verified()
            user_set_roles(user=user, role_names=[role])

    for user in User.objects.filter(email__in=list(MOBILES), mobile_phone=""):
        user.mobile_phone = MOBILES[user.email]
        user.save(update_fields=["mobile_phone"])

    for email, (licence, qualifications, codes) in DOCTORS.items():
        user = User.objects.get(email__iexact=email)
        profile, _ = DoctorProfile.objects.get_or_create(
            user=user, defaults={"license_number": licence, "qualifications": qualifications}
        )
        for code in codes:
            DoctorSpecialty.objects.get_or_create(
                doctor=profile, specialty=Specialty.objects.get(code=code)
            )
    return f"{len(ACCOUNTS)} accounts ({created} new), {len(SPECIALTIES)} specialties"

"""Demo data of the laboratory: the catalogue; orders in every state for the demo
doctor's patients, including a critical potassium not yet acknowledged, a corrected
result, a rejected specimen and a stat order past its target; a month of verified
results with trends; a generated DICOM study, a PNG and a PDF document."""

import io
import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image, ImageDraw
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from ehr.core import pdf
from laboratory import services
from laboratory.catalogue import catalogue_load
from laboratory.documents import document_upload
from laboratory.models import LabOrder, LabTest
from patients.models import Patient
from patients.selectors import patients_on_care_team_of

User = get_user_model()
BMP_BASE = {"NA": 139, "K": 4.2, "CL": 102, "CO2": 25, "BUN": 14, "CREA": 0.9, "GLU": 95}
BMP_BASE |= {"CA": 9.4}
CBC_BASE = {"WBC": 7.1, "RBC": 4.8, "HGB": 14.1, "HCT": 42, "MCV": 88, "MCH": 29}
CBC_BASE |= {"MCHC": 33.5, "RDW": 13.0, "PLT": 250}


def _values(order, base, rng, **override):
    values = {}
    for line in order.results.select_related("test"):
        code = line.test.code
        value = override.get(code, base.get(code, 1))
        if code not in override and isinstance(value, int | float):
            value = value * rng.uniform(0.93, 1.07)
        values[line.pk] = f"{value:.{line.test.decimals}f}"
    return values


def _run(order, *, nurse, tech, checker, at, base, rng, until="verified", **override):
    """Move `order` from ordered to `until`, `at` the order time, minutes apart."""
    if until == "ordered":
        return order
    specimen = services.lab_order_collect(order=order, actor=nurse, at=at + timedelta(minutes=20))
    if until == "collected":
        return order
    services.lab_order_receive(
        accession_number=specimen.accession_number, actor=tech, at=at + timedelta(minutes=45)
    )
    if until == "received":
        return order
    values = _values(order, base, rng, **override)
    if until == "in_progress":
        first = next(iter(values))
        values = {first: values[first]}
    services.lab_results_enter(
        order=order, actor=tech, values=values, at=at + timedelta(minutes=80)
    )
    if until in ("in_progress", "resulted"):
        return order
    services.lab_order_verify(order=order, actor=checker, at=at + timedelta(minutes=95))
    return order


def _dicom(patient):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = f"{patient.last_name}^{patient.first_name}"
    ds.Modality = "CT"
    ds.StudyDate = timezone.localdate().strftime("%Y%m%d")
    ds.BodyPartExamined = "CHEST"
    ds.SeriesDescription = "CT chest without contrast"
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _png():
    image = Image.new("L", (256, 256), 10)
    draw = ImageDraw.Draw(image)
    draw.ellipse((40, 30, 216, 230), outline=200, width=6)
    draw.line((128, 30, 128, 230), fill=160, width=4)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def seed_laboratory(*, password, stdout=None, options=None):
    """Create the laboratory's demo data (idempotent: nothing when orders exist)."""
    counts = catalogue_load()
    doctor = User.objects.filter(email="doctor@example.org").first()
    nurse = User.objects.filter(email="nurse@example.org").first()
    tech = User.objects.filter(email="lab@example.org").first()
    checker = User.objects.filter(email="lab2@example.org").first()
    if not all((doctor, nurse, tech, checker)):
        return "catalogue only: demo staff missing"
    patients = list(patients_on_care_team_of(doctor).order_by("mrn")[:8])
    if len(patients) < 4:
        patients = list(Patient.objects.filter(additional_data__demo=True).order_by("mrn")[:8])
    if len(patients) < 4:
        return "catalogue only: not enough demo patients"
    if LabOrder.objects.filter(patient__in=patients).exists():
        return f"already there (catalogue: {counts['created']} created)"
    tests = {t.code: t for t in LabTest.objects.filter(code__in=["BMP", "CBC", "LIPID", "K", "UA"])}
    now = timezone.now()
    rng = random.Random("laboratory-demo")  # noqa: S311 - demo data
    first, second, third, fourth = patients[:4]
    kw = {"nurse": nurse, "tech": tech, "checker": checker, "rng": rng}

    def order(patient, code, at, priority="routine"):
        return services.lab_order_create(
            patient=patient, actor=doctor, tests=[tests[code]], priority=priority, at=at
        )

    # A month of weekly chemistry and blood counts with a rising creatinine (trends).
    for week in range(4, 0, -1):
        at = now - timedelta(days=7 * week, hours=3)
        _run(order(first, "BMP", at), at=at, base=BMP_BASE, CREA=0.9 + 0.15 * (4 - week), **kw)
        _run(order(first, "CBC", at), at=at, base=CBC_BASE, **kw)
    # Today's stat BMP: potassium 6.8, verified, not acknowledged (banner, home panel).
    at = now - timedelta(minutes=110)
    _run(order(first, "BMP", at, "stat"), at=at, base=BMP_BASE, K=6.8, **kw)
    # A corrected haemoglobin.
    at = now - timedelta(days=2)
    cbc = _run(order(second, "CBC", at), at=at, base=CBC_BASE, HGB=8.1, **kw)
    services.lab_result_correct(
        result=cbc.results.get(test__code="HGB"),
        actor=checker,
        value="13.1",
        reason="Transcription error: 8.1 typed for 13.1",
        at=at + timedelta(hours=2),
    )
    # A rejected specimen waiting for a new collection.
    at = now - timedelta(hours=5)
    rejected = _run(
        order(second, "BMP", at, "urgent"), at=at, base=BMP_BASE, until="received", **kw
    )
    services.lab_order_reject(
        order=rejected, actor=tech, reason="haemolysed", at=at + timedelta(hours=1)
    )
    # A stat order past its target (received, not resulted).
    at = now - timedelta(hours=2)
    _run(order(third, "K", at, "stat"), at=at, base=BMP_BASE, until="received", **kw)
    # Orders in the other states.
    at = now - timedelta(hours=1)
    order(third, "LIPID", at)
    _run(order(fourth, "CBC", at, "urgent"), at=at, base=CBC_BASE, until="collected", **kw)
    _run(order(fourth, "BMP", at), at=at, base=BMP_BASE, until="in_progress", **kw)
    lipids = {"CHOL": 230, "HDL": 38, "LDL": 150, "TRIG": 210}
    earlier = at - timedelta(hours=3)
    _run(order(fourth, "LIPID", earlier), at=earlier, base=lipids, until="resulted", **kw)
    cancelled = order(third, "UA", now - timedelta(days=1))
    services.lab_order_cancel(order=cancelled, actor=doctor, reason="Ordered twice")
    # Documents and images: a reported CT with its DICOM file, a film, a letter.
    study = services.imaging_order_create(
        patient=first,
        actor=doctor,
        modality="ct",
        body_part="Chest",
        clinical_question="Pleuritic chest pain, raised D-dimer: pulmonary embolism?",
        priority="urgent",
    )
    services.imaging_order_perform(order=study, actor=tech)
    services.imaging_report_sign(
        order=study,
        actor=doctor,
        report="CT pulmonary angiogram: no filling defect. Lungs clear. No effusion.",
    )
    services.imaging_order_create(
        patient=second,
        actor=doctor,
        modality="ultrasound",
        body_part="Abdomen",
        clinical_question="Right upper quadrant pain: gallstones?",
    )
    document_upload(
        patient=first,
        actor=doctor,
        upload=SimpleUploadedFile("ct-chest.dcm", _dicom(first)),
        category="ct",
        remark="CT chest: no pulmonary embolism.",
        imaging_order=study,
    )
    document_upload(
        patient=first,
        actor=doctor,
        upload=SimpleUploadedFile("chest-xray.png", _png()),
        category="xray",
        remark="AP chest film, portable.",
    )
    letter = pdf.document(
        "Referral letter",
        [pdf.text(f"Referral of {second.full_name} to cardiology for palpitations.")],
    )
    document_upload(
        patient=second,
        actor=doctor,
        upload=SimpleUploadedFile("referral.pdf", letter),
        category="referral",
        remark="From the family doctor.",
    )
    total = LabOrder.objects.filter(patient__in=patients).count()
    return f"{total} lab orders, 3 documents, catalogue {counts['created']} rows created"

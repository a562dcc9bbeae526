import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

from ehr.core import parameters
from laboratory.documents import FileTooLarge, UnsupportedFile, document_upload
from patients.models import ChartAccess
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def png_bytes():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buffer, "PNG")
    return buffer.getvalue()


def dicom_bytes(name="Doe^Jane"):
    meta = FileMetaDataset()
    meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    meta.MediaStorageSOPInstanceUID = generate_uid()
    meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds = Dataset()
    ds.file_meta = meta
    ds.SOPClassUID = SecondaryCaptureImageStorage
    ds.SOPInstanceUID = meta.MediaStorageSOPInstanceUID
    ds.PatientName = name
    ds.Modality = "CT"
    ds.StudyDate = "20260110"
    ds.BodyPartExamined = "CHEST"
    ds.SeriesDescription = "Chest without contrast"
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


@pytest.fixture
def patient(doctor, nurse):
    return on_care_team(PatientFactory(first_name="Jane", last_name="Doe"), doctor, nurse)


def upload(name, data, content_type="image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("report.png", b"<!doctype html><html><script>alert(1)</script></html>"),
        ("scan.png", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'),
        ("x.jpg", b"#!/bin/sh\nrm -rf /\n"),
        ("empty.pdf", b""),
    ],
)
def test_html_svg_and_scripts_renamed_as_images_are_refused(patient, doctor, name, data):
    with pytest.raises(UnsupportedFile):
        document_upload(patient=patient, actor=doctor, upload=upload(name, data), category="other")


def test_the_type_is_read_from_the_content_not_the_name(patient, doctor):
    document = document_upload(
        patient=patient, actor=doctor, upload=upload("scan.pdf", png_bytes()), category="xray"
    )
    assert document.content_type == "image/png"
    assert document.file.name.endswith(".png") and "scan" not in document.file.name


def test_files_over_the_size_parameter_are_refused(patient, doctor, monkeypatch):
    real_get = parameters.get
    monkeypatch.setattr(
        parameters, "get", lambda key: 0 if key == "upload_max_mb" else real_get(key)
    )
    with pytest.raises(FileTooLarge):
        document_upload(
            patient=patient, actor=doctor, upload=upload("a.png", png_bytes()), category="xray"
        )


def test_dicom_metadata_is_read_and_a_name_mismatch_is_a_warning(patient, doctor):
    document = document_upload(
        patient=patient,
        actor=doctor,
        upload=upload("study.bin", dicom_bytes(), "application/octet-stream"),
        category="ct",
    )
    assert document.content_type == "application/dicom"
    assert document.dicom["modality"] == "CT" and document.dicom["body_part"] == "CHEST"
    assert document.warning == ""
    other = document_upload(
        patient=patient,
        actor=doctor,
        upload=upload("study.dcm", dicom_bytes("Roe^Richard"), "application/dicom"),
        category="ct",
    )
    assert "does not match" in other.warning


def test_upload_page_and_download_after_the_chart_check(
    patient, doctor, signed_in, make_user, receptionist
):
    client = signed_in(doctor)
    response = client.post(
        reverse("laboratory:document_upload", args=[patient.pk]),
        {"file": upload("evil.png", b"<html><script>x</script></html>"), "category": "xray"},
    )
    assert response.status_code == 400 and "Upload a PNG" in response.content.decode()
    response = client.post(
        reverse("laboratory:document_upload", args=[patient.pk]),
        {"file": upload("ct.dcm", dicom_bytes()), "category": "ct", "remark": "Nodule RUL"},
    )
    assert response.status_code == 302
    document = patient.documents.get()
    tab = client.get(reverse("patients:patient_chart", args=[patient.pk, "documents"]))
    assert "CHEST" in tab.content.decode() and "Nodule RUL" in tab.content.decode()
    response = client.get(reverse("laboratory:document_file", args=[document.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/dicom"
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert b"".join(response.streaming_content)[128:132] == b"DICM"
    assert ChartAccess.objects.filter(
        user=doctor, patient=patient, part="documents:download"
    ).exists()
    outsider = make_user("Doctor")
    response = signed_in(outsider).get(reverse("laboratory:document_file", args=[document.pk]))
    assert response.status_code == 403
    response = signed_in(receptionist).get(reverse("laboratory:document_file", args=[document.pk]))
    assert response.status_code == 403


def test_api_upload_and_file(patient, doctor, signed_in, make_user):
    client = signed_in(doctor)
    response = client.post(
        f"/api/v1/patients/{patient.pk}/documents",
        {"file": upload("x.png", png_bytes()), "category": "xray", "remark": "AP chest"},
    )
    assert response.status_code == 201, response.content
    document_id = response.json()["id"]
    response = client.get(f"/api/v1/documents/{document_id}/file")
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    response = client.post(
        f"/api/v1/patients/{patient.pk}/documents",
        {"file": upload("x.png", b"<svg></svg>"), "category": "xray"},
    )
    assert response.status_code == 400 and "file" in response.json()
    outsider = make_user("Doctor")
    response = signed_in(outsider).get(f"/api/v1/documents/{document_id}/file")
    assert response.status_code == 403


def test_imaging_order_report_signed_once_and_final(patient, doctor, nurse, signed_in):
    from ehr.core.exceptions import DomainPermissionDenied, InvalidTransition
    from laboratory import services
    from laboratory.exceptions import ReportRequired

    client = signed_in(doctor)
    response = client.post(
        reverse("laboratory:imagingorder_create", args=[patient.pk]),
        {
            "modality": "ct",
            "body_part": "Chest",
            "clinical_question": "PE?",
            "priority": "urgent",
        },
    )
    assert response.status_code == 302
    study = patient.imaging_orders.get()
    with pytest.raises(InvalidTransition):
        services.imaging_report_sign(order=study, actor=doctor, report="No PE.")
    signed_in(nurse).post(reverse("laboratory:imagingorder_perform", args=[study.pk]))
    study.refresh_from_db()
    assert study.status == "performed"
    with pytest.raises(DomainPermissionDenied):
        services.imaging_report_sign(order=study, actor=nurse, report="No PE.")
    with pytest.raises(ReportRequired):
        services.imaging_report_sign(order=study, actor=doctor, report=" ")
    client = signed_in(doctor)
    response = client.post(
        reverse("laboratory:imaging_report", args=[study.pk]), {"report": "No PE. Clear lungs."}
    )
    assert response.status_code == 302
    study.refresh_from_db()
    assert (study.status, study.signed_by, study.report) == (
        "reported", doctor, "No PE. Clear lungs.",
    )  # fmt: skip
    with pytest.raises(InvalidTransition):
        services.imaging_report_sign(order=study, actor=doctor, report="Changed")
    tab = client.get(reverse("patients:patient_chart", args=[patient.pk, "documents"]))
    assert "No PE. Clear lungs." in tab.content.decode()

"""Uploads of patient documents and images: the type read from the content (filetype,
and the DICOM preamble's "DICM"), the size limit, DICOM metadata (pydicom), storage under
a generated name."""

import hashlib
import io

import filetype
import pydicom
from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse
from django.utils.translation import gettext as _

from ehr.core import parameters
from ehr.core.exceptions import FieldDomainError
from laboratory.models import DocumentCategory, PatientDocument

ACCEPTED = {
    "image/png",
    "image/jpeg",
    "image/gif",
    "image/bmp",
    "image/tiff",
    "application/pdf",
}
DICOM = "application/dicom"
EXTENSIONS = {
    "image/png": "png",
    "image/jpeg": "jpg",
    "image/gif": "gif",
    "image/bmp": "bmp",
    "image/tiff": "tif",
    "application/pdf": "pdf",
    DICOM: "dcm",
}


class UnsupportedFile(FieldDomainError):
    """The file's content is none of the accepted types (whatever its name says)."""

    field = "file"
    default_message = _("Upload a PNG, JPEG, GIF, BMP, TIFF, PDF or DICOM file.")
    default_code = "unsupported_file"


class FileTooLarge(FieldDomainError):
    """The file is larger than the `upload_max_mb` parameter."""

    field = "file"
    default_code = "file_too_large"


def sniff(head):
    """Return the accepted content type of a file starting with `head` (its first bytes),
    or None. DICOM Part-10 files carry "DICM" after a 128-byte preamble."""
    if len(head) >= 132 and head[128:132] == b"DICM":
        return DICOM
    kind = filetype.guess(head)
    if kind is not None and kind.mime in ACCEPTED:
        return kind.mime
    return None


def dicom_metadata(data, patient):
    """Return (metadata dict, warning) of a DICOM file: modality, study date, body part,
    series description, and a warning when the patient name inside differs."""
    try:
        ds = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
    except Exception:  # any unreadable file is refused the same way
        raise UnsupportedFile(_("This DICOM file cannot be read.")) from None
    meta = {
        "modality": str(ds.get("Modality", "") or ""),
        "study_date": str(ds.get("StudyDate", "") or ""),
        "body_part": str(ds.get("BodyPartExamined", "") or ""),
        "series_description": str(ds.get("SeriesDescription", "") or ""),
        "patient_name": str(ds.get("PatientName", "") or ""),
    }
    warning = ""
    name = ds.get("PatientName")
    if name:
        family = (getattr(name, "family_name", "") or str(name)).strip().lower()
        given = (getattr(name, "given_name", "") or "").strip().lower()
        if family != patient.last_name.strip().lower() or (
            given and given != patient.first_name.strip().lower()
        ):
            warning = _(
                "The patient name in the DICOM file (%(name)s) does not match this patient."
            ) % {"name": str(name).replace("^", " ")}
    return meta, warning


@transaction.atomic
def document_upload(*, patient, actor, upload, category, remark="", imaging_order=None):
    """Store an uploaded file for `patient` after checking its size and its type by
    content; return the PatientDocument. A renamed HTML, SVG or script is refused."""
    patient.ensure_active(allow_deceased=True)
    if imaging_order is not None and imaging_order.patient_id != patient.pk:
        raise FieldDomainError(_("The study is another patient's."), field="imaging_order")
    if category not in DocumentCategory.values:
        raise FieldDomainError(_("Choose a category."), field="category")
    limit_mb = parameters.get("upload_max_mb")
    if upload.size > limit_mb * 1024 * 1024:
        raise FileTooLarge(_("The file is larger than %(mb)s MB.") % {"mb": limit_mb})
    data = upload.read()
    if len(data) != upload.size or not data:
        raise UnsupportedFile(_("The file is empty or incomplete."))
    content_type = sniff(data[:8192])
    if content_type is None:
        raise UnsupportedFile()
    meta, warning = ({}, "")
    if content_type == DICOM:
        meta, warning = dicom_metadata(data, patient)
    document = PatientDocument(
        patient=patient,
        category=category,
        remark=remark,
        original_name=(upload.name or "")[:255],
        content_type=content_type,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        dicom=meta,
        warning=warning,
        imaging_order=imaging_order,
    )
    document.stamp(actor)
    # The name passed is ours; `_document_path` makes the stored one from it.
    document.file.save(f"upload.{EXTENSIONS[content_type]}", ContentFile(data), save=False)
    document.save()
    return document


def document_response(document):
    """Return the HTTP response serving `document`'s file: its content type from the
    upload check, never sniffed by the browser, inline for images and PDFs, as an
    attachment otherwise, under a name made here."""
    response = FileResponse(document.file.open("rb"), content_type=document.content_type)
    disposition = "inline" if (document.is_image or document.is_pdf) else "attachment"
    name = f"{document.category}-{document.uploaded_at:%Y%m%d}.{EXTENSIONS[document.content_type]}"
    response["Content-Disposition"] = f'{disposition}; filename="{name}"'
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response

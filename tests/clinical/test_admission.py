"""Encounters of inpatient admissions: started from the admission (its attending doctor,
class inpatient, linked), once per running stay, never after the discharge."""

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from clinical import services
from clinical.exceptions import AdmissionClosed
from clinical.models import Encounter
from patients.selectors import chart_access_for
from tests.factories.inpatient import BedFactory, admit

pytestmark = pytest.mark.django_db


@pytest.fixture
def admission(patient, doctor):
    return admit(patient, BedFactory(), doctor, reason="Community-acquired pneumonia")


def test_an_encounter_starts_from_an_admission_with_its_attending_doctor(
    admission, doctor, nurse, make_user
):
    attending = admission.attending_doctor
    encounter = services.encounter_start_from_admission(admission=admission, actor=nurse)
    assert encounter.admission == admission and encounter.patient == admission.patient
    assert encounter.encounter_class == "inpatient" and encounter.doctor == attending
    assert encounter.chief_complaint == "Community-acquired pneumonia"
    assert chart_access_for(attending, admission.patient).allowed
    again = services.encounter_start_from_admission(admission=admission, actor=doctor)
    assert again == encounter
    assert Encounter.objects.filter(admission=admission).count() == 1


def test_a_discharged_admission_takes_no_encounter(admission, doctor):
    from inpatient import services as inpatient_services

    inpatient_services.admission_discharge(
        admission=admission, disposition="home", summary="Recovered", actor=doctor
    )
    admission.refresh_from_db()
    with pytest.raises(AdmissionClosed):
        services.encounter_start_from_admission(admission=admission, actor=doctor)


def test_the_encounter_of_an_admission_is_an_inpatient_one(admission, doctor):
    encounter = services.encounter_start(patient=admission.patient, actor=doctor)
    encounter.admission = admission
    with pytest.raises(IntegrityError), transaction.atomic():
        encounter.save()


def test_the_start_page_offers_the_current_admission(signed_in, doctor, admission):
    client = signed_in(doctor)
    url = reverse("clinical:encounter_create", args=[admission.patient.pk])
    assert b"current admission" in client.get(url).content
    client.post(
        url,
        {
            "from_admission": "on",
            "encounter_class": "outpatient",
            "doctor": doctor.pk,
            "chief_complaint": "",
        },
    )
    encounter = Encounter.objects.get()
    assert encounter.admission == admission and encounter.encounter_class == "inpatient"

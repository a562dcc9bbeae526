"""Clinical pages: who may open them (care team, break-the-glass, roles), the forms with
their field errors (nothing typed is lost), and the flows a doctor and a nurse go
through: encounter, vitals, note, sign, addendum, diagnosis search, allergies."""

import uuid

import pytest
from django.urls import reverse

from clinical import services
from clinical.models import (
    Allergy,
    ClinicalNote,
    Condition,
    Encounter,
    FamilyHistory,
    SocialHistory,
    SurgicalHistory,
    VitalSigns,
)
from patients.models import BANNER, AccessReason, CareRelationship, ChartAccess
from patients.services import break_glass_open
from tests.factories.patients import on_care_team
from tests.matrix import Page, assert_persona_access, assert_staff_only, page_ids, persona_cases

pytestmark = pytest.mark.django_db


@pytest.fixture
def chart_records(patient, doctor):
    """One record of each kind in `patient`'s chart, by `doctor`."""
    encounter = services.encounter_start(patient=patient, actor=doctor)
    note = services.note_create(patient=patient, actor=doctor, text="Signed", sign=True)
    condition = services.condition_create(patient=patient, actor=doctor, code="I10")
    allergy = services.allergy_record(patient=patient, actor=doctor, allergen="Latex")
    surgery = services.surgical_history_create(
        patient=patient, actor=doctor, procedure="Appendectomy"
    )
    family = services.family_history_create(
        patient=patient, actor=doctor, relationship="mother", condition="Asthma"
    )
    return {
        "encounter": encounter,
        "note": note,
        "condition": condition,
        "allergy": allergy,
        "surgery": surgery,
        "family": family,
    }


def page_urls(patient, records):
    """Every clinical page (GET) of `patient`'s chart."""
    scene = {"patient": patient, **records}
    return [page.url(scene) for page in PAGES if page.method == "get"]


def post_urls(patient, records):
    scene = {"patient": patient, **records}
    return [page.url(scene) for page in PAGES if page.method == "post"]


def _on_patient(name):
    return lambda scene: reverse(f"clinical:{name}", args=[scene["patient"].pk])


def _on_record(name, record):
    return lambda scene: reverse(f"clinical:{name}", args=[scene[record].pk])


CLINICIANS = frozenset({"doctor", "nurse"})
DOCTORS = frozenset({"doctor"})

# Who opens each page: the care team's doctor and nurse by their roles' permissions; the
# other roles hold no clinical permission (403). Actions (POST) answer with a redirect.
PAGES = [
    Page("encounter start", _on_patient("encounter_create"), DOCTORS),
    Page("vitals", _on_patient("vitalsigns_create"), CLINICIANS),
    Page("note", _on_patient("note_create"), CLINICIANS),
    Page("diagnosis", _on_patient("condition_create"), DOCTORS),
    Page("allergy", _on_patient("allergy_create"), CLINICIANS),
    Page("surgical history", _on_patient("surgicalhistory_create"), CLINICIANS),
    Page("family history", _on_patient("familyhistory_create"), CLINICIANS),
    Page("social history", _on_patient("socialhistory_update"), CLINICIANS),
    Page("encounter", _on_record("encounter_detail", "encounter"), CLINICIANS),
    Page("encounter cancel", _on_record("encounter_cancel", "encounter"), DOCTORS),
    Page("note detail", _on_record("note_detail", "note"), CLINICIANS),
    Page("addendum", _on_record("note_addendum_create", "note"), CLINICIANS),
    Page("note in error", _on_record("note_entered_in_error", "note"), CLINICIANS),
    Page("diagnosis update", _on_record("condition_update", "condition"), DOCTORS),
    Page("diagnosis in error", _on_record("condition_entered_in_error", "condition"), DOCTORS),
    Page("allergy update", _on_record("allergy_update", "allergy"), CLINICIANS),
    Page("allergy in error", _on_record("allergy_entered_in_error", "allergy"), CLINICIANS),
    Page("surgery in error", _on_record("surgicalhistory_entered_in_error", "surgery"), CLINICIANS),
    Page("family in error", _on_record("familyhistory_entered_in_error", "family"), CLINICIANS),
    Page(
        "encounter finish",
        _on_record("encounter_finish", "encounter"),
        DOCTORS,
        method="post",
        ok=302,
    ),
    Page("note sign", _on_record("note_sign", "note"), CLINICIANS, method="post", ok=302),
    Page(
        "diagnosis resolve",
        _on_record("condition_resolve", "condition"),
        DOCTORS,
        method="post",
        ok=302,
    ),
    Page(
        "add diagnosis to problem list",
        _on_record("diagnosis_add_to_problem_list", "condition"),
        DOCTORS,
        method="post",
        ok=302,
    ),
    Page(
        "no known allergies",
        _on_patient("allergystatus_none_known"),
        CLINICIANS,
        method="post",
        ok=302,
    ),
]


@pytest.fixture
def scene(patient, chart_records):
    return {"patient": patient, **chart_records}


# --- Access ---------------------------------------------------------------------------------


@pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
def test_each_page_is_open_to_its_roles_only(request, signed_in, scene, page, persona):
    assert_persona_access(request, signed_in, page, persona, scene)


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_strangers_sign_in_and_patients_go_to_the_portal(
    client, signed_in, portal_patient, page, scene
):
    assert_staff_only(client, signed_in, portal_patient, page, scene)


def test_a_doctor_outside_the_care_team_gets_403_on_every_page_until_breaking_the_glass(
    signed_in, doctor, patient, chart_records, make_user
):
    outsider = make_user("Doctor")
    client = signed_in(outsider)
    for url in page_urls(patient, chart_records):
        response = client.get(url)
        assert response.status_code == 403, url
        assert "patients/chart_denied.html" in [t.name for t in response.templates]
        assert b"Break the glass" in response.content
    for url in post_urls(patient, chart_records):
        assert client.post(url).status_code == 403, url
    # Only the banner's allergies were read (tests/patients/test_banner_allergies.py).
    assert not ChartAccess.objects.filter(user=outsider).exclude(grant_reason=BANNER).exists()
    assert Encounter.objects.get().status == "in_progress"  # nothing changed

    access = break_glass_open(
        patient=patient, user=outsider, reason="emergency_care", details="Cardiac arrest"
    )
    for url in page_urls(patient, chart_records):
        assert client.get(url).status_code == 200, url
    entries = ChartAccess.objects.filter(user=outsider, patient=patient).exclude(
        grant_reason=BANNER
    )
    assert entries.count() == len(page_urls(patient, chart_records))
    assert set(entries.values_list("break_glass", flat=True)) == {access.pk}
    response = client.get(reverse("clinical:note_detail", args=[chart_records["note"].pk]))
    assert b"Break-the-glass access until" in response.content


def test_a_receptionist_sees_no_clinical_chart_tab(signed_in, receptionist, patient):
    client = signed_in(receptionist)
    chart = client.get(reverse("patients:patient_chart", args=[patient.pk, "demographics"]))
    assert chart.status_code == 200
    assert b"/chart/vitals/" not in chart.content
    for tab in ("summary", "vitals", "notes", "problems", "allergies", "medical-history"):
        url = reverse("patients:patient_chart", args=[patient.pk, tab])
        assert client.get(url).status_code == 404, tab


def test_unknown_records_and_other_authors_drafts_are_404(signed_in, doctor, nurse, patient):
    draft = services.note_create(patient=patient, actor=nurse, note_type="nursing", text="x")
    client = signed_in(doctor)
    assert client.get(reverse("clinical:note_detail", args=[draft.pk])).status_code == 404
    assert client.get(reverse("clinical:note_update", args=[draft.pk])).status_code == 404
    for name in (
        "clinical:encounter_detail",
        "clinical:note_detail",
        "clinical:condition_update",
        "clinical:allergy_update",
    ):
        assert client.get(reverse(name, args=[uuid.uuid4()])).status_code == 404
    assert client.get(reverse("clinical:vitalsigns_create", args=[uuid.uuid4()])).status_code == 404


def test_every_clinical_page_read_is_logged_once(signed_in, doctor, patient, chart_records):
    client = signed_in(doctor)
    ChartAccess.objects.all().delete()
    client.get(reverse("clinical:note_detail", args=[chart_records["note"].pk]))
    client.get(reverse("clinical:vitalsigns_create", args=[patient.pk]))
    assert list(ChartAccess.objects.order_by("accessed_at").values_list("part", flat=True)) == [
        "note",
        "vitals:record",
    ]


# --- Encounters -----------------------------------------------------------------------------


def test_a_doctor_starts_finishes_an_encounter_and_joins_the_care_team(
    signed_in, doctor, make_user, stranger
):
    on_care_team(stranger, doctor)
    colleague = make_user("Doctor")
    client = signed_in(doctor)
    response = client.post(
        reverse("clinical:encounter_create", args=[stranger.pk]),
        {"encounter_class": "outpatient", "doctor": colleague.pk, "chief_complaint": "Fever"},
    )
    encounter = Encounter.objects.get()
    assert response.status_code == 302 and response.url == encounter.get_absolute_url()
    assert encounter.doctor == colleague and encounter.status == "in_progress"
    assert (
        CareRelationship.objects.get(user=colleague, patient=stranger).reason
        == AccessReason.ENCOUNTER
    )
    client.post(reverse("clinical:encounter_finish", args=[encounter.pk]))
    encounter.refresh_from_db()
    assert encounter.status == "finished"


def test_cancelling_an_encounter_asks_for_a_reason(signed_in, doctor, patient):
    encounter = services.encounter_start(patient=patient, actor=doctor)
    client = signed_in(doctor)
    url = reverse("clinical:encounter_cancel", args=[encounter.pk])
    response = client.post(url, {"cancel_reason": ""})
    assert response.status_code == 400 and response.context["form"].errors["cancel_reason"]
    client.post(url, {"cancel_reason": "Booked twice"})
    encounter.refresh_from_db()
    assert encounter.status == "cancelled" and encounter.cancel_reason == "Booked twice"


def test_a_nurse_cannot_start_an_encounter(signed_in, nurse, patient):
    url = reverse("clinical:encounter_create", args=[patient.pk])
    assert signed_in(nurse).get(url).status_code == 403


# --- Vitals ---------------------------------------------------------------------------------


def test_an_impossible_vital_shows_a_field_error_and_keeps_what_was_typed(
    signed_in, nurse, patient
):
    client = signed_in(nurse)
    url = reverse("clinical:vitalsigns_create", args=[patient.pk])
    data = {
        "recorded_at": "2026-01-05T08:30",
        "systolic_bp": "128",
        "diastolic_bp": "82",
        "heart_rate": "400",
        "temperature_c": "37.1",
        "spo2": "97",
    }
    response = client.post(url, data)
    assert response.status_code == 400
    form = response.context["form"]
    assert "heart_rate" in form.errors
    assert set(form.errors) == {"heart_rate"}
    content = response.content.decode()
    assert 'value="128"' in content and 'value="37.1"' in content and 'value="400"' in content
    assert not VitalSigns.objects.exists()


def test_a_diastolic_above_systolic_shows_under_the_diastolic_field(signed_in, nurse, patient):
    response = signed_in(nurse).post(
        reverse("clinical:vitalsigns_create", args=[patient.pk]),
        {"recorded_at": "2026-01-05T08:30", "systolic_bp": "100", "diastolic_bp": "120"},
    )
    assert response.status_code == 400
    assert "diastolic_bp" in response.context["form"].errors


def test_recorded_vitals_show_in_the_vitals_tab_flagged(signed_in, nurse, patient):
    client = signed_in(nurse)
    response = client.post(
        reverse("clinical:vitalsigns_create", args=[patient.pk]),
        {"recorded_at": "2026-01-05T08:30", "heart_rate": "130", "spo2": "97"},
    )
    assert response.status_code == 302
    vitals = VitalSigns.objects.get()
    assert vitals.recorded_by == nurse and vitals.heart_rate == 130
    tab = client.get(reverse("patients:patient_chart", args=[patient.pk, "vitals"]))
    assert b"vital-high" in tab.content


# --- Notes ----------------------------------------------------------------------------------


def test_write_sign_refuse_edit_then_add_an_addendum(signed_in, doctor, patient):
    client = signed_in(doctor)
    response = client.post(
        reverse("clinical:note_create", args=[patient.pk]),
        {
            "note_type": "progress",
            "subjective": "Cough",
            "objective": "Clear chest",
            "assessment": "Viral URTI",
            "plan": "Fluids",
            "text": "",
            "sign": "1",
        },
    )
    note = ClinicalNote.objects.get()
    assert response.status_code == 302 and response.url == note.get_absolute_url()
    assert note.is_signed and note.signed_by == doctor

    edit = client.get(reverse("clinical:note_update", args=[note.pk]))
    assert edit.status_code == 302 and edit.url == note.get_absolute_url()
    client.post(
        reverse("clinical:note_update", args=[note.pk]),
        {"note_type": "progress", "subjective": "Changed"},
    )
    note.refresh_from_db()
    assert note.subjective == "Cough"
    detail = client.get(note.get_absolute_url())
    assert b"cannot be changed" in detail.content
    assert detail.context["can_edit"] is False and detail.context["can_add_addendum"] is True

    client.post(
        reverse("clinical:note_addendum_create", args=[note.pk]),
        {"text": "Chest X-ray normal.", "sign": "1"},
    )
    addendum = ClinicalNote.objects.get(amends=note)
    assert addendum.is_signed
    assert b"Chest X-ray normal." in client.get(note.get_absolute_url()).content


def test_a_draft_is_saved_edited_by_its_author_and_signed_later(signed_in, doctor, patient):
    client = signed_in(doctor)
    client.post(
        reverse("clinical:note_create", args=[patient.pk]),
        {"note_type": "progress", "text": "First version", "save": "1"},
    )
    note = ClinicalNote.objects.get()
    assert note.status == "draft"
    response = client.post(
        reverse("clinical:note_update", args=[note.pk]),
        {"note_type": "progress", "text": "Second version"},
    )
    assert response.status_code == 302
    client.post(reverse("clinical:note_sign", args=[note.pk]))
    note.refresh_from_db()
    assert note.text == "Second version" and note.is_signed


def test_an_empty_note_is_refused_and_nothing_is_saved(signed_in, doctor, patient):
    response = signed_in(doctor).post(
        reverse("clinical:note_create", args=[patient.pk]), {"note_type": "progress"}
    )
    assert response.status_code == 400 and response.context["form"].non_field_errors()
    assert not ClinicalNote.objects.exists()


def test_a_nurse_save_and_sign_of_a_progress_note_is_refused_and_the_text_kept(
    signed_in, nurse, patient
):
    # The form offers a nurse only the types she signs: a progress note is not a choice.
    response = signed_in(nurse).post(
        reverse("clinical:note_create", args=[patient.pk]),
        {"note_type": "progress", "text": "Patient comfortable", "sign": "1"},
    )
    assert response.status_code == 400
    assert "note_type" in response.context["form"].errors
    assert b"Patient comfortable" in response.content
    assert not ClinicalNote.objects.exists()


def test_another_doctor_cannot_edit_a_draft(signed_in, doctor, patient, make_user):
    colleague = make_user("Doctor")
    on_care_team(patient, colleague)
    note = services.note_create(patient=patient, actor=colleague, text="Mine")
    response = signed_in(doctor).get(reverse("clinical:note_update", args=[note.pk]))
    assert response.status_code == 404  # another author's draft is not even visible


def test_marking_a_note_entered_in_error_hides_it_from_the_notes_tab(signed_in, doctor, patient):
    note = services.note_create(patient=patient, actor=doctor, text="Wrong chart", sign=True)
    client = signed_in(doctor)
    url = reverse("clinical:note_entered_in_error", args=[note.pk])
    assert client.post(url, {"reason": ""}).status_code == 400
    client.post(url, {"reason": "Written in the wrong chart"})
    tab = reverse("patients:patient_chart", args=[patient.pk, "notes"])
    assert b"Wrong chart" not in client.get(tab).content
    assert b"Entered in error" in client.get(tab + "?show=all").content
    assert ClinicalNote.objects.filter(pk=note.pk, entered_in_error=True).exists()


# --- Diagnoses ------------------------------------------------------------------------------


def test_the_diagnosis_search_finds_codes_by_words_and_by_code(signed_in, doctor, codes):
    client = signed_in(doctor)
    url = reverse("clinical:diagnosiscode_search")
    found = client.get(url, {"q": "diabetes"}, HTTP_HX_REQUEST="true")
    assert found.status_code == 200
    assert b"E11.9" in found.content and b"Type 2 diabetes mellitus" in found.content
    assert b"I10" not in found.content
    by_code = client.get(url, {"code": "e11"})
    assert b"E11.65" in by_code.content
    words = client.get(url, {"q": "type 2 diabetes hyperglycemia"})
    # Every word in E11.65's title; E11.9 follows as a partial match, marked.
    assert words.content.index(b"E11.65") < words.content.index(b"E11.9")
    assert b"some words" in words.content
    assert b"at least two" in client.get(url, {"q": "e"}).content


def test_the_diagnosis_search_is_for_clinical_roles(signed_in, receptionist, codes):
    url = reverse("clinical:diagnosiscode_search")
    assert signed_in(receptionist).get(url, {"q": "diabetes"}).status_code == 403


def test_adding_a_diagnosis_with_an_unknown_code_shows_a_field_error(signed_in, doctor, patient):
    client = signed_in(doctor)
    url = reverse("clinical:condition_create", args=[patient.pk])
    page = client.get(url)
    assert b'hx-get="/clinical/diagnosis-codes/search/"' in page.content
    assert b'hx-trigger="input changed delay:300ms, search"' in page.content
    response = client.post(
        url, {"code": "diabetes", "clinical_status": "active", "category": "problem-list-item"}
    )
    assert response.status_code == 400 and "code" in response.context["form"].errors
    assert b'value="diabetes"' in response.content
    client.post(
        url,
        {
            "code": "E11.9",
            "clinical_status": "active",
            "category": "problem-list-item",
            "onset": "2019-03-01",
        },
    )
    condition = Condition.objects.get()
    assert condition.code_id == "E11.9"
    problems = client.get(reverse("patients:patient_chart", args=[patient.pk, "problems"]))
    assert b"Type 2 diabetes mellitus without complications" in problems.content


def test_a_second_primary_diagnosis_shows_an_error_on_the_form(signed_in, doctor, patient):
    encounter = services.encounter_start(patient=patient, actor=doctor)
    services.condition_create(
        patient=patient,
        actor=doctor,
        code="I10",
        encounter=encounter,
        category="encounter-diagnosis",
        is_primary=True,
    )
    response = signed_in(doctor).post(
        reverse("clinical:condition_create", args=[patient.pk]),
        {
            "code": "E11.9",
            "clinical_status": "active",
            "category": "encounter-diagnosis",
            "encounter": encounter.pk,
            "is_primary": "on",
        },
    )
    assert response.status_code == 400
    assert "already has a primary diagnosis" in str(response.context["form"].non_field_errors())


def test_resolving_a_condition_from_the_problems_tab(signed_in, doctor, patient):
    condition = services.condition_create(patient=patient, actor=doctor, code="J18.9")
    signed_in(doctor).post(reverse("clinical:condition_resolve", args=[condition.pk]))
    condition.refresh_from_db()
    assert condition.clinical_status == "resolved"


# --- Allergies and the banner ---------------------------------------------------------------


def test_a_recorded_allergy_appears_in_the_banner_of_every_chart_page(signed_in, doctor, patient):
    client = signed_in(doctor)
    chart = reverse("patients:patient_chart", args=[patient.pk, "demographics"])
    assert b"Allergies not recorded" in client.get(chart).content
    response = client.post(
        reverse("clinical:allergy_create", args=[patient.pk]),
        {
            "allergen": "Penicillin",
            "category": "drug",
            "severity": "severe",
            "reaction": "Anaphylaxis",
        },
    )
    assert response.status_code == 302
    for tab in ("demographics", "summary", "vitals", "care-team"):
        content = client.get(reverse("patients:patient_chart", args=[patient.pk, tab])).content
        assert b"Penicillin" in content, tab
        assert b"allergy-chip is-severe" in content, tab
    page = client.get(reverse("clinical:vitalsigns_create", args=[patient.pk]))
    assert b"Penicillin" in page.content


def test_no_known_allergies_shows_nka_and_is_refused_with_active_allergies(
    signed_in, nurse, patient
):
    client = signed_in(nurse)
    url = reverse("clinical:allergystatus_none_known", args=[patient.pk])
    client.post(url)
    chart = reverse("patients:patient_chart", args=[patient.pk, "allergies"])
    assert b"NKA" in client.get(chart).content
    services.allergy_record(patient=patient, actor=nurse, allergen="Latex")
    response = client.post(url, follow=True)
    assert b"has active allergies" in response.content
    assert Allergy.objects.filter(status="active").count() == 1


def test_a_duplicate_allergy_is_shown_as_a_form_error(signed_in, nurse, patient):
    services.allergy_record(patient=patient, actor=nurse, allergen="Latex")
    response = signed_in(nurse).post(
        reverse("clinical:allergy_create", args=[patient.pk]),
        {"allergen": "latex", "category": "environment", "severity": "mild"},
    )
    assert response.status_code == 400
    assert "already recorded" in str(response.context["form"].non_field_errors())


def test_an_allergy_made_inactive_leaves_the_banner(signed_in, nurse, patient):
    allergy = services.allergy_record(patient=patient, actor=nurse, allergen="Latex")
    client = signed_in(nurse)
    url = reverse("patients:patient_chart", args=[patient.pk, "summary"])
    assert b"Latex" in client.get(url).content
    client.post(
        reverse("clinical:allergy_update", args=[allergy.pk]),
        {"severity": "mild", "reaction": "", "status": "inactive", "status_reason": "Tolerated"},
    )
    chart = client.get(url)
    assert b"Allergies not recorded" in chart.content and b"Latex" not in chart.content


# --- Histories ------------------------------------------------------------------------------


def test_histories_are_recorded_from_their_pages(signed_in, nurse, patient):
    client = signed_in(nurse)
    client.post(
        reverse("clinical:surgicalhistory_create", args=[patient.pk]),
        {"procedure": "Cholecystectomy", "performed_on": "2015-06-01"},
    )
    client.post(
        reverse("clinical:familyhistory_create", args=[patient.pk]),
        {"relationship": "father", "condition": "Stroke", "age_at_onset": "70"},
    )
    client.post(
        reverse("clinical:socialhistory_update", args=[patient.pk]),
        {
            "smoking_status": "current",
            "alcohol": "moderate",
            "occupation": "Baker",
            "living_situation": "Lives with partner",
        },
    )
    assert SurgicalHistory.objects.get().procedure == "Cholecystectomy"
    assert FamilyHistory.objects.get().age_at_onset == 70
    assert SocialHistory.objects.get().smoking_status == "current"
    tab = client.get(reverse("patients:patient_chart", args=[patient.pk, "medical-history"]))
    for text in (b"Cholecystectomy", b"Stroke", b"Current smoker", b"Lives with partner"):
        assert text in tab.content
    bad_age = client.post(
        reverse("clinical:familyhistory_create", args=[patient.pk]),
        {"relationship": "mother", "condition": "X", "age_at_onset": "400"},
    )
    assert bad_age.status_code == 400 and "age_at_onset" in bad_age.context["form"].errors


def test_a_draft_keeps_its_finished_encounter_when_edited(signed_in, doctor, patient):
    encounter = services.encounter_start(patient=patient, actor=doctor)
    note = services.note_create(patient=patient, actor=doctor, encounter=encounter, text="x")
    services.encounter_finish(encounter=encounter, actor=doctor)
    client = signed_in(doctor)
    url = reverse("clinical:note_update", args=[note.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert str(encounter.pk) in page.content.decode()
    response = client.post(
        url, {"note_type": "progress", "encounter": encounter.pk, "text": "Completed"}
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert note.encounter == encounter and note.text == "Completed"

"""The clinical chart tabs: registered through the chart registry, each read logged once,
query counts independent of the chart's size, a 700-encounter chart within bounds, the
trend-chart data and the CSP-safe script."""

import json
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from clinical import services
from clinical.models import (
    Allergy,
    ClinicalNote,
    Condition,
    DiagnosisCode,
    Encounter,
    FamilyHistory,
    NoteStatus,
    SurgicalHistory,
    VitalSigns,
)
from ehr.core import chart
from patients.models import ChartAccess

pytestmark = pytest.mark.django_db

TABS = ["summary", "encounters", "vitals", "notes", "problems", "allergies", "medical-history"]


def tab_url(patient, key):
    return reverse("patients:patient_chart", args=[patient.pk, key])


def fill_chart(patient, doctor, nurse, count):
    """Give `patient` `count` records of every kind (bulk, with history)."""
    now = timezone.now()
    encounters = bulk_create_with_history(
        [
            Encounter(
                patient=patient,
                doctor=doctor,
                status="finished",
                started_at=now - timedelta(days=i + 1),
                ended_at=now - timedelta(days=i + 1) + timedelta(minutes=20),
                chief_complaint=f"Visit {i}",
            )
            for i in range(count)
        ],
        Encounter,
        default_user=doctor,
    )
    bulk_create_with_history(
        [
            VitalSigns(
                patient=patient,
                encounter=e,
                recorded_by=nurse,
                recorded_at=e.started_at,
                systolic_bp=120 + i % 40,
                diastolic_bp=80,
                heart_rate=60 + i % 50,
                temperature_c=Decimal("36.9"),
                spo2=97,
                weight_kg=Decimal("70"),
                height_cm=Decimal("170"),
                bmi=Decimal("24.2"),
            )
            for i, e in enumerate(encounters)
        ],
        VitalSigns,
        default_user=nurse,
    )
    notes = bulk_create_with_history(
        [
            ClinicalNote(
                patient=patient,
                encounter=e,
                author=doctor,
                note_type="progress",
                subjective="Well",
                assessment=f"Stable {i}",
                status=NoteStatus.SIGNED,
                signed_by=doctor,
                signed_at=e.ended_at,
            )
            for i, e in enumerate(encounters)
        ],
        ClinicalNote,
        default_user=doctor,
    )
    bulk_create_with_history(
        [
            ClinicalNote(
                patient=patient,
                author=doctor,
                note_type="progress",
                amends=n,
                text="Addendum",
                status=NoteStatus.SIGNED,
                signed_by=doctor,
                signed_at=now,
            )
            for n in notes
        ],
        ClinicalNote,
        default_user=doctor,
    )
    offset = DiagnosisCode.objects.count()
    codes = bulk_create_with_history(
        [
            DiagnosisCode(
                code=f"Z{n // 1000:02d}.{n % 1000:03d}", title=f"Test code {n}", is_billable=True
            )
            for n in range(offset, offset + count)
        ],
        DiagnosisCode,
    )
    bulk_create_with_history(
        [
            Condition(
                patient=patient,
                code=c,
                encounter=e,
                is_primary=True,
                category="encounter-diagnosis",
                clinical_status="resolved" if i % 2 else "active",
            )
            for i, (c, e) in enumerate(zip(codes, encounters, strict=True))
        ],
        Condition,
        default_user=doctor,
    )
    bulk_create_with_history(
        [
            Allergy(
                patient=patient,
                allergen=f"Allergen {i}",
                recorded_by=nurse,
                severity="severe" if i % 3 == 0 else "mild",
            )
            for i in range(count)
        ],
        Allergy,
        default_user=nurse,
    )
    bulk_create_with_history(
        [SurgicalHistory(patient=patient, procedure=f"Procedure {i}") for i in range(count)],
        SurgicalHistory,
    )
    bulk_create_with_history(
        [
            FamilyHistory(patient=patient, relationship="mother", condition=f"Condition {i}")
            for i in range(count)
        ],
        FamilyHistory,
    )
    services.social_history_update(patient=patient, actor=doctor, smoking_status="never")


def count_queries(client, url):
    client.get(url)  # warm caches (session, system parameters) as a running site has them
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def test_the_clinical_tabs_are_registered_in_the_chart_registry():
    for key in TABS:
        tab = chart.TABS[key]
        assert tab.clinical is True
        assert tab.template.startswith("clinical/chart/")
    assert chart.TABS["summary"].order == 1
    assert chart.TABS["history"].template.startswith("patients/")  # record changes stay
    assert "allergies" in chart.BANNER_ITEMS


def test_every_tab_renders_and_is_logged_once(signed_in, doctor, nurse, patient):
    fill_chart(patient, doctor, nurse, 3)
    client = signed_in(doctor)
    for key in TABS:
        ChartAccess.objects.all().delete()
        response = client.get(tab_url(patient, key))
        assert response.status_code == 200, key
        assert list(ChartAccess.objects.values_list("part", "channel")) == [(key, "web")]


def test_outside_the_care_team_every_clinical_tab_is_403_with_break_the_glass(
    signed_in, make_user, patient
):
    client = signed_in(make_user("Doctor"))
    for key in TABS:
        response = client.get(tab_url(patient, key))
        assert response.status_code == 403, key
        assert b"Break the glass" in response.content
    demographics = client.get(tab_url(patient, "demographics"))
    # Safety before privacy: every doctor sees the allergies (test_banner_allergies.py).
    assert b"banner-allergies" in demographics.content


@pytest.mark.parametrize("key", TABS)
def test_tab_query_count_is_the_same_at_1_and_50_rows(
    signed_in, doctor, nurse, codes, make_user, key
):
    from tests.factories.patients import PatientFactory, on_care_team

    small = on_care_team(PatientFactory(), doctor)
    large = on_care_team(PatientFactory(), doctor)
    fill_chart(small, doctor, nurse, 1)
    fill_chart(large, doctor, nurse, 50)
    client = signed_in(doctor)
    assert count_queries(client, tab_url(small, key)) == count_queries(client, tab_url(large, key))


def test_encounter_and_note_pages_have_bounded_query_counts(signed_in, doctor, nurse, codes):
    from tests.factories.patients import PatientFactory, on_care_team

    counts = []
    client = signed_in(doctor)
    for size in (1, 30):
        patient = on_care_team(PatientFactory(), doctor)
        fill_chart(patient, doctor, nurse, size)
        encounter = Encounter.objects.filter(patient=patient).first()
        bulk_create_with_history(
            [
                VitalSigns(patient=patient, encounter=encounter, recorded_by=nurse, heart_rate=70)
                for _ in range(size)
            ],
            VitalSigns,
        )
        note = ClinicalNote.objects.filter(patient=patient, amends__isnull=True).first()
        bulk_create_with_history(
            [
                ClinicalNote(
                    patient=patient,
                    author=doctor,
                    amends=note,
                    text="More",
                    status="signed",
                    signed_by=doctor,
                    signed_at=timezone.now(),
                )
                for _ in range(size)
            ],
            ClinicalNote,
        )
        counts.append(
            (
                count_queries(client, encounter.get_absolute_url()),
                count_queries(client, note.get_absolute_url()),
            )
        )
    assert counts[0] == counts[1]


def test_a_chart_with_700_encounters_opens_with_a_bounded_query_count(
    signed_in, doctor, nurse, patient
):
    fill_chart(patient, doctor, nurse, 700)
    assert Encounter.objects.filter(patient=patient).count() == 700
    client = signed_in(doctor)
    for key in ("summary", "encounters", "vitals", "notes"):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(tab_url(patient, key))
        assert response.status_code == 200
        assert len(queries) <= 25, (key, len(queries))
    page = client.get(tab_url(patient, "encounters") + "?page=35")
    assert page.context["tab_context"]["page_obj"].number == 35
    assert b"Visit 699" in page.content  # the oldest, on the last page
    assert b"Visit 0<" in client.get(tab_url(patient, "encounters")).content
    vitals = client.get(tab_url(patient, "vitals")).context["tab_context"]
    assert len(vitals["chart_data"]["labels"]) == 200  # the trend draws the latest 200


def test_the_vitals_tab_carries_the_trend_data_and_loads_chart_js_with_the_nonce(
    signed_in, doctor, nurse, patient
):
    for heart_rate in (70, 90, 120):
        services.vital_signs_record(
            patient=patient,
            actor=nurse,
            heart_rate=heart_rate,
            recorded_at=timezone.now() - timedelta(days=heart_rate),
        )
    response = signed_in(doctor).get(tab_url(patient, "vitals"))
    content = response.content.decode()
    assert 'id="vitals-chart-data"' in content
    assert 'src="/static/vendor/chart.js/chart.umd.min.js"' in content
    nonce = response.wsgi_request.csp_nonce
    assert f'chart.umd.min.js" nonce="{nonce}"' in content
    assert f"'nonce-{nonce}'" in response["Content-Security-Policy"]
    data = json.loads(
        content.split('id="vitals-chart-data" type="application/json">')[1].split("</script>")[0]
    )
    assert data["series"]["heart_rate"] == [120.0, 90.0, 70.0]  # oldest first
    assert data["ranges"]["heart_rate"] == [60.0, 100.0]
    assert 'data-vitals-chart="heart_rate"' in content


def test_the_summary_shows_problems_allergies_latest_vitals_encounters_and_notes(
    signed_in, doctor, nurse, patient
):
    services.condition_create(patient=patient, actor=doctor, code="I10")
    services.allergy_record(
        patient=patient, actor=nurse, allergen="Penicillin", severity="life_threatening"
    )
    services.vital_signs_record(patient=patient, actor=nurse, heart_rate=130, spo2=90)
    encounter = services.encounter_start(
        patient=patient, actor=doctor, chief_complaint="Palpitations"
    )
    services.note_create(
        patient=patient,
        actor=doctor,
        encounter=encounter,
        assessment="Sinus tachycardia",
        sign=True,
    )
    content = signed_in(doctor).get(tab_url(patient, "summary")).content
    for text in (
        b"Essential (primary) hypertension",
        b"Penicillin",
        b"vital-high",
        b"vital-low",
        b"Palpitations",
        b"Sinus tachycardia",
    ):
        assert text in content, text


def test_the_my_clinical_work_panel_lists_running_encounters_and_drafts(signed_in, doctor, patient):
    services.encounter_start(patient=patient, actor=doctor)
    services.note_create(patient=patient, actor=doctor, text="To finish")
    content = signed_in(doctor).get("/").content
    assert b"My clinical work" in content
    assert content.count(b"Ada Lovelace") >= 2

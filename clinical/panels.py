"""Context of the clinical chart tabs, the allergy banner item and the home-page panel.

Chart tabs are called by `patients.views.PatientChartView` after it checked chart
access and logged the read, so they only read. Each does a fixed number of queries,
whatever the size of the chart, and pages long lists.
"""

from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from clinical import selectors
from clinical.models import (
    VITAL_MEASURES,
    ClinicalNote,
    Condition,
    Encounter,
    EncounterStatus,
    NoteStatus,
    NoteType,
)
from clinical.parameters import normal_ranges

ENCOUNTERS_PER_PAGE = 20
VITALS_PER_PAGE = 20
NOTES_PER_PAGE = 15
CONDITIONS_PER_PAGE = 50
SUMMARY_ITEMS = 5
CHART_POINTS = 200

# The trend charts: (measure, label, unit); blood pressure is drawn as one chart.
TREND_CHARTS = [
    ("blood_pressure", _("Blood pressure"), "mmHg"),
    ("heart_rate", _("Heart rate"), "/min"),
    ("respiratory_rate", _("Respiratory rate"), "/min"),
    ("temperature_c", _("Temperature"), "°C"),
    ("spo2", _("SpO₂"), "%"),
    ("weight_kg", _("Weight"), "kg"),
    ("bmi", _("BMI"), "kg/m²"),
    ("pain_score", _("Pain"), "0–10"),
]
# Words the chart script shows (legend and tooltips).
CHART_TEXTS = {
    "systolic": _("Systolic"),
    "diastolic": _("Diastolic"),
    "normal_low": _("Normal low"),
    "normal_high": _("Normal high"),
}


def _page(request, queryset, per_page):
    paginator = Paginator(queryset, per_page)
    return paginator.get_page(request.GET.get("page"))


def _tab_url(patient, key):
    return reverse("patients:patient_chart", args=[patient.pk, key])


def _perms(user):
    return {
        "can_start_encounter": user.has_perm("clinical.add_encounter"),
        "can_record_vitals": user.has_perm("clinical.add_vitalsigns"),
        "can_write_note": user.has_perm("clinical.add_clinicalnote"),
        "can_add_condition": user.has_perm("clinical.add_condition"),
        "can_change_condition": user.has_perm("clinical.change_condition"),
        "can_record_allergy": user.has_perm("clinical.add_allergy"),
        "can_change_allergy": user.has_perm("clinical.change_allergy"),
        "can_edit_history": user.has_perm("clinical.add_surgicalhistory"),
    }


def _allergies(request, patient):
    """The active allergies and the assessment of `patient`, read once per request: the
    banner and the summary tab both show them."""
    memo = request.__dict__.setdefault("_clinical_allergies", {})
    if patient.pk not in memo:
        allergies = selectors.active_allergies(patient)
        memo[patient.pk] = (allergies, selectors.allergy_state(patient, active=bool(allergies)))
    return memo[patient.pk]


# The columns the summary's short lists show (`clinical/chart/summary.html` and
# `clinical/partials/note_list.html`): the rows are read without the patient (the chart's
# own, set on each row) and without the wide related rows the full tabs show.
_NAME = ("first_name", "last_name")
SUMMARY_ENCOUNTER_FIELDS = (
    "id",
    "patient_id",
    "started_at",
    "encounter_class",
    "status",
    "chief_complaint",
    *(f"doctor__{f}" for f in ("id", *_NAME)),
)
SUMMARY_NOTE_FIELDS = (
    "id",
    "patient_id",
    "note_type",
    "status",
    "entered_in_error",
    "amends_id",
    "assessment",
    "text",
    "subjective",
    "plan",
    "objective",
    "created_at",
    *(f"author__{f}" for f in ("id", *_NAME)),
)


def _of_patient(rows, patient):
    for row in rows:
        row.patient = patient  # the chart's patient: no query when a template asks
    return rows


def summary_tab(request, patient):
    """Active problems, allergies, the latest vital signs, recent encounters and notes."""
    latest = selectors.vital_signs_for_patient(patient).select_related(None).first()
    allergies, state = _allergies(request, patient)
    encounters = (
        selectors.encounter_list_for_patient(patient)
        .select_related(None)
        .select_related("doctor")
        .only(*SUMMARY_ENCOUNTER_FIELDS)
    )
    notes = (
        selectors.note_list_for_patient(patient, request.user, addenda=False)
        .select_related(None)
        .select_related("author")
        .only(*SUMMARY_NOTE_FIELDS)
    )
    return {
        "problems": _of_patient(
            list(selectors.problem_list(patient).select_related(None).select_related("code")[:10]),
            patient,
        ),
        "allergies": allergies,
        "allergy_state": state,
        "latest_vitals": _of_patient([latest], patient)[0] if latest else None,
        "latest_flags": latest.flags if latest else {},
        "encounters": _of_patient(list(encounters[:SUMMARY_ITEMS]), patient),
        "notes": _of_patient(list(notes[:SUMMARY_ITEMS]), patient),
        **_perms(request.user),
    }


def encounters_tab(request, patient):
    """The encounter timeline, newest first, a page at a time, with each encounter's
    diagnoses (one query per page)."""
    # The timeline shows each encounter's doctor and diagnoses, not its patient (the
    # chart's) or appointment: no wide joins per row.
    encounters = (
        selectors.encounter_list_for_patient(patient).select_related(None).select_related("doctor")
    )
    encounters = encounters.prefetch_related(
        Prefetch(
            "diagnoses",
            queryset=Condition.objects.filter(entered_in_error=False)
            .select_related("code")
            .order_by("-is_primary", "created_at"),
            to_attr="visible_diagnoses",
        )
    )
    status = request.GET.get("status")
    if status in EncounterStatus.values:
        encounters = encounters.filter(status=status)
    return {
        "page_obj": _page(request, encounters, ENCOUNTERS_PER_PAGE),
        "status_filter": status if status in EncounterStatus.values else "",
        "statuses": EncounterStatus.choices,
        **_perms(request.user),
    }


def vitals_tab(request, patient):
    """The vital signs table (a page at a time, values flagged against the normal
    ranges) and the data of the trend charts (the latest CHART_POINTS sets)."""
    # The table shows who recorded each set, not the patient (the chart's) or encounter.
    vitals = selectors.vital_signs_for_patient(patient).select_related(None)
    page = _page(request, vitals.select_related("recorded_by"), VITALS_PER_PAGE)
    rows = [(vitals, vitals.flags) for vitals in _of_patient(list(page.object_list), patient)]
    series = selectors.vital_signs_series(patient, limit=CHART_POINTS)
    ranges = normal_ranges()
    chart_data = {
        # In the site's time zone, as the table shows them (the chart reads the wall clock).
        "labels": [timezone.localtime(v.recorded_at).isoformat() for v in series],
        "series": {
            measure: [_number(getattr(v, measure)) for v in series]
            for measure in (*VITAL_MEASURES, "bmi")
        },
        "ranges": {m: [_number(low), _number(high)] for m, (low, high) in ranges.items()},
        "charts": [{"key": k, "label": label, "unit": unit} for k, label, unit in TREND_CHARTS],
        "texts": CHART_TEXTS,
    }
    return {
        "page_obj": page,
        "rows": rows,
        "chart_data": chart_data,
        "has_series": bool(series),  # one reading is drawn as a point
        "ranges": ranges,
        **_perms(request.user),
    }


def _number(value):
    return None if value is None else float(value)


def notes_tab(request, patient):
    """The notes (signed, and the user's own drafts), newest first, with their addenda;
    `?show=all` includes notes entered in error, `?type=` filters by type."""
    show_all = request.GET.get("show") == "all"
    notes = selectors.note_list_for_patient(
        patient, request.user, include_entered_in_error=show_all
    )
    # The list shows each note's author (`clinical/partials/note_list.html`), not its
    # patient (the chart's), encounter, signer or amended note: no wide joins per row.
    notes = notes.select_related(None).select_related("author")
    note_type = request.GET.get("type")
    if note_type in NoteType.values:
        notes = notes.filter(note_type=note_type)
    return {
        "page_obj": _page(request, notes, NOTES_PER_PAGE),
        "show_all": show_all,
        "type_filter": note_type if note_type in NoteType.values else "",
        "note_types": NoteType.choices,
        **_perms(request.user),
    }


def problems_tab(request, patient):
    """The problem list (one entry per condition: active, then resolved and inactive;
    each with its encounter diagnoses) and, apart, the encounter diagnoses not on the
    list; `?show=all` includes those entered in error. Two pages (`page`, `dpage`)."""
    show_all = request.GET.get("show") == "all"
    problems = selectors.problems_for_patient(patient, include_entered_in_error=show_all)
    diagnoses = selectors.diagnoses_not_on_problem_list(patient)
    diagnoses_page = Paginator(diagnoses, CONDITIONS_PER_PAGE).get_page(request.GET.get("dpage"))
    return {
        "page_obj": _page(request, problems, CONDITIONS_PER_PAGE),
        "diagnoses_page": diagnoses_page,
        "show_all": show_all,
        **_perms(request.user),
    }


def allergies_tab(request, patient):
    """The allergies (active first; `?show=all` includes those entered in error) and
    the allergy assessment."""
    show_all = request.GET.get("show") == "all"
    allergies = list(selectors.allergy_list_for_patient(patient, include_entered_in_error=show_all))
    has_active = any(a.is_active for a in allergies)
    return {
        "allergies": allergies,
        "allergy_state": selectors.allergy_state(patient, active=has_active),
        "allergy_status": selectors.allergy_status_get(patient),
        "show_all": show_all,
        **_perms(request.user),
    }


def medical_history_tab(request, patient):
    """Past medical history (resolved and inactive problems), surgical, family and
    social history."""
    return {
        "past_conditions": list(selectors.past_medical_history(patient)[:CONDITIONS_PER_PAGE]),
        "surgical": list(selectors.surgical_history_for_patient(patient)),
        "family": list(selectors.family_history_for_patient(patient)),
        "social": selectors.social_history_get(patient),
        **_perms(request.user),
    }


def allergy_banner(request, patient):
    """The banner's allergy item: the active allergies, or the assessment."""
    allergies, state = _allergies(request, patient)
    return {
        "allergies": allergies,
        "state": state,
        "has_severe": any(a.is_severe for a in allergies),
        "url": _tab_url(patient, "allergies"),
    }


def my_clinical_work(request):
    """The user's running encounters and unsigned notes."""
    user = request.user
    encounters = (
        Encounter.objects.filter(doctor=user, status=EncounterStatus.IN_PROGRESS)
        .select_related("patient")
        .order_by("-started_at")
    )
    drafts = (
        ClinicalNote.objects.filter(author=user, status=NoteStatus.DRAFT, entered_in_error=False)
        .select_related("patient")
        .order_by("-created_at")
    )
    return {"encounters": list(encounters[:8]), "drafts": list(drafts[:8])}

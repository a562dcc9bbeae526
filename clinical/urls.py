from django.urls import path

from clinical import views

app_name = "clinical"

urlpatterns = [
    # Pages of one patient (`pk` is the patient).
    path(
        "patients/<uuid:pk>/encounters/start/",
        views.EncounterCreateView.as_view(),
        name="encounter_create",
    ),
    path(
        "patients/<uuid:pk>/vitals/new/",
        views.VitalSignsCreateView.as_view(),
        name="vitalsigns_create",
    ),
    path("patients/<uuid:pk>/notes/new/", views.NoteCreateView.as_view(), name="note_create"),
    path(
        "patients/<uuid:pk>/conditions/new/",
        views.ConditionCreateView.as_view(),
        name="condition_create",
    ),
    path(
        "patients/<uuid:pk>/allergies/new/",
        views.AllergyCreateView.as_view(),
        name="allergy_create",
    ),
    path(
        "patients/<uuid:pk>/allergies/none-known/",
        views.AllergyNoneKnownView.as_view(),
        name="allergystatus_none_known",
    ),
    path(
        "patients/<uuid:pk>/surgical-history/new/",
        views.SurgicalHistoryCreateView.as_view(),
        name="surgicalhistory_create",
    ),
    path(
        "patients/<uuid:pk>/family-history/new/",
        views.FamilyHistoryCreateView.as_view(),
        name="familyhistory_create",
    ),
    path(
        "patients/<uuid:pk>/social-history/",
        views.SocialHistoryUpdateView.as_view(),
        name="socialhistory_update",
    ),
    # Start the encounter of a checked-in appointment (`pk` is the appointment).
    path(
        "appointments/<uuid:pk>/encounter/start/",
        views.AppointmentEncounterStartView.as_view(),
        name="appointment_encounter_start",
    ),
    # Pages of one record (`pk` is the record).
    path("encounters/<uuid:pk>/", views.EncounterDetailView.as_view(), name="encounter_detail"),
    path(
        "encounters/<uuid:pk>/begin/",
        views.EncounterTransitionView.as_view(action="begin"),
        name="encounter_begin",
    ),
    path(
        "encounters/<uuid:pk>/finish/",
        views.EncounterTransitionView.as_view(action="finish"),
        name="encounter_finish",
    ),
    path(
        "encounters/<uuid:pk>/cancel/", views.EncounterCancelView.as_view(), name="encounter_cancel"
    ),
    path("notes/<uuid:pk>/", views.NoteDetailView.as_view(), name="note_detail"),
    path("notes/<uuid:pk>/edit/", views.NoteUpdateView.as_view(), name="note_update"),
    path("notes/<uuid:pk>/sign/", views.NoteSignView.as_view(), name="note_sign"),
    path(
        "notes/<uuid:pk>/addenda/new/",
        views.NoteAddendumCreateView.as_view(),
        name="note_addendum_create",
    ),
    path(
        "notes/<uuid:pk>/entered-in-error/",
        views.NoteEnteredInErrorView.as_view(),
        name="note_entered_in_error",
    ),
    path(
        "conditions/<uuid:pk>/edit/", views.ConditionUpdateView.as_view(), name="condition_update"
    ),
    path(
        "conditions/<uuid:pk>/resolve/",
        views.ConditionResolveView.as_view(),
        name="condition_resolve",
    ),
    path(
        "conditions/<uuid:pk>/add-to-problem-list/",
        views.DiagnosisAddToProblemListView.as_view(),
        name="diagnosis_add_to_problem_list",
    ),
    path(
        "conditions/<uuid:pk>/entered-in-error/",
        views.ConditionEnteredInErrorView.as_view(),
        name="condition_entered_in_error",
    ),
    path("allergies/<uuid:pk>/edit/", views.AllergyUpdateView.as_view(), name="allergy_update"),
    path(
        "allergies/<uuid:pk>/entered-in-error/",
        views.AllergyEnteredInErrorView.as_view(),
        name="allergy_entered_in_error",
    ),
    path(
        "surgical-history/<uuid:pk>/entered-in-error/",
        views.SurgicalHistoryEnteredInErrorView.as_view(),
        name="surgicalhistory_entered_in_error",
    ),
    path(
        "family-history/<uuid:pk>/entered-in-error/",
        views.FamilyHistoryEnteredInErrorView.as_view(),
        name="familyhistory_entered_in_error",
    ),
    path(
        "diagnosis-codes/search/",
        views.DiagnosisCodeSearchView.as_view(),
        name="diagnosiscode_search",
    ),
]

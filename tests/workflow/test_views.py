"""Task pages and the "My tasks" panel: who sees and changes which task (persona matrix),
the attacks (someone else's task, a patient one may not open), overdue marks, filters."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse
from django.utils import timezone

from accounts import roles
from patients.selectors import chart_access_for
from tests.factories.patients import PatientFactory
from tests.matrix import (
    STAFF_PERSONAS,
    Page,
    assert_persona_access,
    assert_staff_only,
    page_ids,
    persona_cases,
)
from workflow import services
from workflow.models import Task, TaskStatus
from workflow.services import PatientNotOpen

pytestmark = pytest.mark.django_db


def _group(name):
    return Group.objects.get(name=name)


@pytest.fixture
def scene(doctor, nurse, receptionist, patient):
    """A task for the nurses' role about a patient, written by the doctor; a task for
    the front desk written by a receptionist."""

    class Scene:
        nurses_task = services.task_create(
            title="Recheck blood pressure",
            assignee_group=_group(roles.NURSE),
            patient=patient,
            actor=doctor,
            due_in_minutes=15,
        )
        desk_task = services.task_create(
            title="Call Mrs Jones", assignee_group=_group(roles.RECEPTIONIST), actor=receptionist
        )

    return Scene


PAGES = [
    Page("task list", lambda s: reverse("workflow:task_list"), frozenset(STAFF_PERSONAS)),
    Page("new task", lambda s: reverse("workflow:task_create"), frozenset(STAFF_PERSONAS)),
    Page(
        "task detail",
        lambda s: s.nurses_task.get_absolute_url(),
        frozenset({"nurse", "doctor"}),  # its role, and its author
        denied=404,
    ),
    Page(
        "task start",
        lambda s: reverse("workflow:task_transition", args=[s.nurses_task.pk, "in_progress"]),
        frozenset({"nurse", "doctor"}),
        method="post",
        data={},
        ok=302,
        denied=404,
    ),
]


@pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
def test_each_page_is_open_to_its_people_only(request, scene, signed_in, page, persona):
    assert_persona_access(request, signed_in, page, persona, scene)


@pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
def test_strangers_sign_in_and_patients_go_to_the_portal(
    client, signed_in, portal_patient, page, scene
):
    assert_staff_only(client, signed_in, portal_patient, page, scene)


def test_the_panel_is_on_every_staff_home_page_and_never_in_the_portal(
    signed_in, staff_personas, portal_patient
):
    for name, user in staff_personas.items():
        page = signed_in(user).get(reverse("core:home"))
        assert 'id="panel-my_tasks-title"' in page.content.decode(), name
    page = signed_in(portal_patient).get(reverse("portal:home"))
    assert "my_tasks" not in page.content.decode()


def test_my_tasks_shows_the_users_and_his_roles_tasks_only(
    signed_in, scene, nurse, doctor, make_user
):
    mine = services.task_create(title="Sign the form", assignee_user=nurse, actor=doctor)
    other_nurse = make_user(roles.NURSE)
    theirs = services.task_create(title="Theirs alone", assignee_user=other_nurse, actor=doctor)
    text = signed_in(nurse).get(reverse("core:home")).content.decode()
    assert scene.nurses_task.title in text and mine.title in text
    assert theirs.title not in text and scene.desk_task.title not in text


# --- Attacks ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["in_progress", "done", "cancelled"])
def test_nobody_changes_a_task_not_assigned_to_him_nor_his_role_nor_written_by_him(
    signed_in, scene, pharmacist, status
):
    url = reverse("workflow:task_transition", args=[scene.nurses_task.pk, status])
    response = signed_in(pharmacist).post(url, {"reason": "mine now"})
    assert response.status_code == 404
    scene.nurses_task.refresh_from_db()
    assert scene.nurses_task.status == TaskStatus.OPEN


def test_the_service_refuses_someone_elses_task_too(scene, pharmacist):
    with pytest.raises(services.TaskNotYours):
        services.task_transition(task=scene.desk_task, status="done", actor=pharmacist)


def test_a_task_cannot_link_a_patient_whose_chart_one_may_not_open(signed_in, receptionist, doctor):
    stranger = PatientFactory()  # on nobody's care team
    response = signed_in(doctor).post(
        reverse("workflow:task_create"),
        {
            "title": "Look at this chart",
            "assignee_user": str(doctor.pk),
            "patient": str(stranger.pk),
            "priority": "normal",
        },
    )
    assert response.status_code == 400
    assert "patient" in response.context["form"].errors
    assert not Task.objects.exists()
    with pytest.raises(PatientNotOpen):
        services.task_create(
            title="x", assignee_user=receptionist, patient=stranger, actor=receptionist
        )


def test_a_task_about_a_patient_gives_its_assignee_no_access_to_the_chart(
    signed_in, doctor, patient, make_user
):
    colleague = make_user(roles.DOCTOR)
    task = services.task_create(
        title="Review the scan", assignee_user=colleague, patient=patient, actor=doctor
    )
    assert not chart_access_for(colleague, patient).allowed
    client = signed_in(colleague)
    assert client.get(task.get_absolute_url()).status_code == 200
    chart = client.get(reverse("patients:patient_chart", args=[patient.pk, "vitals"]))
    assert chart.status_code == 403


def test_roles_that_may_not_see_patients_see_the_task_without_the_name(
    signed_in, doctor, patient, lab_tech
):
    task = services.task_create(
        title="Collect a repeat sample",
        assignee_group=_group(roles.LAB_TECHNICIAN),
        patient=patient,
        actor=doctor,
    )
    for url in (task.get_absolute_url(), reverse("workflow:task_list"), reverse("core:home")):
        text = signed_in(lab_tech).get(url).content.decode()
        assert task.title in text and patient.last_name not in text, url
    # The doctor, who may see patients, sees the name.
    assert patient.last_name in signed_in(doctor).get(task.get_absolute_url()).content.decode()


def test_a_patient_filter_on_a_patient_one_cannot_name_is_ignored(
    signed_in, doctor, patient, lab_tech
):
    services.task_create(
        title="Repeat sample", assignee_group=_group(roles.LAB_TECHNICIAN), actor=doctor
    )
    url = reverse("workflow:task_list") + f"?patient={patient.pk}"
    assert "Repeat sample" in signed_in(lab_tech).get(url).content.decode()


def test_next_goes_only_to_this_site(signed_in, scene, nurse):
    url = reverse("workflow:task_transition", args=[scene.nurses_task.pk, "in_progress"])
    response = signed_in(nurse).post(url, {"next": "https://evil.example/"})
    assert response["Location"] == scene.nurses_task.get_absolute_url()


# --- Changing a task -------------------------------------------------------------------------


def test_cancelling_needs_a_reason(signed_in, scene, nurse):
    client = signed_in(nurse)
    url = reverse("workflow:task_transition", args=[scene.nurses_task.pk, "cancelled"])
    client.post(url, {"reason": ""})
    scene.nurses_task.refresh_from_db()
    assert scene.nurses_task.status == TaskStatus.OPEN
    client.post(url, {"reason": "Patient discharged"})
    scene.nurses_task.refresh_from_db()
    assert scene.nurses_task.status == TaskStatus.CANCELLED
    assert scene.nurses_task.cancel_reason == "Patient discharged"
    change = scene.nurses_task.status_changes.order_by("-at").first()
    assert (change.from_status, change.to_status, change.by) == ("open", "cancelled", nurse)
    page = client.get(scene.nurses_task.get_absolute_url()).content.decode()
    assert "Patient discharged" in page


def test_a_finished_task_cannot_be_reopened(scene, nurse):
    services.task_transition(task=scene.nurses_task, status="done", actor=nurse)
    from ehr.core.exceptions import InvalidTransition

    with pytest.raises(InvalidTransition):
        services.task_transition(task=scene.nurses_task, status="open", actor=nurse)


def test_the_panels_buttons_answer_htmx_with_the_panel(signed_in, scene, nurse):
    client = signed_in(nurse)
    start = reverse("workflow:task_transition", args=[scene.nurses_task.pk, "in_progress"])
    response = client.post(start, {"panel": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="my-tasks"' in text and "In progress" in text and "<html" not in text
    done = reverse("workflow:task_transition", args=[scene.nurses_task.pk, "done"])
    text = client.post(done, {"panel": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "No open task" in text
    scene.nurses_task.refresh_from_db()
    assert scene.nurses_task.status == TaskStatus.DONE
    # A second click on the finished task says why nothing happened.
    text = client.post(done, {"panel": "1"}, HTTP_HX_REQUEST="true").content.decode()
    assert "alert-danger" in text


def test_a_new_task_for_a_role_about_ones_patient(signed_in, doctor, patient, nurse):
    response = signed_in(doctor).post(
        reverse("workflow:task_create"),
        {
            "title": "Dressing change",
            "assignee_group": str(_group(roles.NURSE).pk),
            "patient": str(patient.pk),
            "due_at": "2030-01-05T08:30",
            "priority": "high",
        },
    )
    task = Task.objects.get()
    assert response.status_code == 302 and response["Location"] == task.get_absolute_url()
    assert (task.patient, task.created_by, task.priority) == (patient, doctor, "high")
    assert task.status_changes.get().to_status == TaskStatus.OPEN


def test_a_new_task_needs_someone_to_do_it(signed_in, doctor):
    response = signed_in(doctor).post(
        reverse("workflow:task_create"), {"title": "Nobody's", "priority": "normal"}
    )
    assert response.status_code == 400 and "assignee_group" in response.context["form"].errors


def test_the_database_refuses_a_task_without_assignee(doctor):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Task.objects.create(title="Orphan")


# --- Overdue, filters, pages -----------------------------------------------------------------


def test_overdue_tasks_are_marked_with_text_not_only_colour(signed_in, scene, nurse, doctor):
    late = services.task_create(
        title="Late one",
        assignee_user=nurse,
        actor=doctor,
        due_at=timezone.now() - timedelta(minutes=5),
    )
    done_late = services.task_create(
        title="Late but done",
        assignee_user=nurse,
        actor=doctor,
        due_at=timezone.now() - timedelta(minutes=5),
    )
    services.task_transition(task=done_late, status="done", actor=nurse)
    client = signed_in(nurse)
    for url in (reverse("core:home"), reverse("workflow:task_list")):
        text = client.get(url).content.decode()
        assert text.count("Overdue</span>") == 1, url  # the late one, not the done one
        assert "exclamation-triangle-fill" in text
    listed = client.get(reverse("workflow:task_list") + "?overdue=1")
    assert [t.pk for t, *_ in listed.context["rows"]] == [late.pk]
    assert "Overdue" in client.get(late.get_absolute_url()).content.decode()


def test_the_list_filters_by_status_assignee_and_patient(signed_in, scene, nurse, doctor, patient):
    mine = services.task_create(title="Mine", assignee_user=nurse, actor=doctor)
    services.task_transition(task=mine, status="done", actor=nurse)
    client = signed_in(nurse)

    def titles(query):
        response = client.get(reverse("workflow:task_list") + query)
        return [task.title for task, *_ in response.context["rows"]]

    assert titles("") == ["Recheck blood pressure"]
    assert titles("?status=done") == ["Mine"]
    assert sorted(titles("?status=all")) == ["Mine", "Recheck blood pressure"]
    assert titles("?status=all&assignee=me") == ["Mine"]
    assert titles("?status=all&assignee=roles") == ["Recheck blood pressure"]
    assert titles(f"?status=all&patient={patient.pk}") == ["Recheck blood pressure"]
    assert sorted(titles("?status=nonsense&assignee=nonsense&patient=x")) == [
        "Recheck blood pressure"
    ]


def test_the_list_pages_and_its_queries_do_not_grow_with_rows(
    signed_in, nurse, doctor, patient, django_assert_max_num_queries
):
    client = signed_in(nurse)
    url = reverse("workflow:task_list")

    def make(count):
        for index in range(count):
            services.task_create(
                title=f"Task {index:02}", assignee_user=nurse, patient=patient, actor=doctor
            )

    make(1)
    client.get(url)  # warm the caches
    with django_assert_max_num_queries(20) as one:
        client.get(url)
    make(29)
    with django_assert_max_num_queries(len(one.captured_queries)):
        first = client.get(url)
    assert len(first.context["rows"]) == 25
    second = client.get(url + "?page=2")
    assert second.status_code == 200 and len(second.context["rows"]) == 5

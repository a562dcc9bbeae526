"""API v1 tasks: the list with its filters, one task, and the status change, with the
same rules as the pages (someone else's task: 404; cancelling without a reason: 400;
a change the table forbids: 409; portal patients: 403)."""

import uuid
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from accounts import roles
from tests.matrix import STAFF_PERSONAS, Page, assert_persona_access, persona_cases
from workflow import services
from workflow.models import TaskStatus

pytestmark = pytest.mark.django_db

JSON = "application/json"
LIST = "/api/v1/tasks"


@pytest.fixture
def api(client):
    def sign_in(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


@pytest.fixture
def scene(doctor, nurse, receptionist, patient):
    class Scene:
        nurses_task = services.task_create(
            title="Recheck blood pressure",
            assignee_group=Group.objects.get(name=roles.NURSE),
            patient=patient,
            actor=doctor,
            due_at=timezone.now() - timedelta(minutes=1),
        )
        nurse_own = services.task_create(title="Sign the form", assignee_user=nurse, actor=doctor)
        desk_task = services.task_create(
            title="Call back",
            assignee_group=Group.objects.get(name=roles.RECEPTIONIST),
            actor=receptionist,
        )

    return Scene


def _detail(task):
    return f"{LIST}/{task.pk}"


PAGES = [
    Page("task list", lambda s: LIST, frozenset(STAFF_PERSONAS)),
    Page("task", lambda s: _detail(s.nurses_task), frozenset({"nurse", "doctor"}), denied=404),
    Page(
        "task patch",
        lambda s: _detail(s.nurses_task),
        frozenset({"nurse", "doctor"}),
        method="patch",
        data={"status": "in_progress"},
        extra={"content_type": JSON},
        denied=404,
    ),
]


@pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
def test_each_endpoint_is_open_to_its_people_only(request, scene, api, page, persona):
    assert_persona_access(request, api, page, persona, scene)


@pytest.mark.parametrize("method", ["get", "patch"])
def test_portal_patients_and_strangers_are_refused(client, api, scene, portal_patient, method):
    url = _detail(scene.nurses_task)
    assert getattr(client, method)(url, {}, content_type=JSON).status_code == 401
    response = getattr(api(portal_patient), method)(url, {}, content_type=JSON)
    assert response.status_code == 403
    assert api(portal_patient).get(LIST).status_code == 403


def test_the_list_filters_by_status_assignee_and_overdue(api, scene, nurse):
    services.task_transition(task=scene.nurse_own, status="done", actor=nurse)
    client = api(nurse)

    def titles(query=""):
        response = client.get(LIST + query)
        assert response.status_code == 200, response.content
        return sorted(row["title"] for row in response.json()["results"])

    assert titles() == ["Recheck blood pressure"]
    assert titles("?status=done") == ["Sign the form"]
    assert titles("?status=all") == ["Recheck blood pressure", "Sign the form"]
    assert titles("?status=all&assignee=me") == ["Sign the form"]
    assert titles("?status=all&assignee=roles") == ["Recheck blood pressure"]
    assert titles("?overdue=true") == ["Recheck blood pressure"]
    assert titles(f"?status=all&patient={uuid.uuid4()}") == []


@pytest.mark.parametrize("query", ["?status=closed", "?assignee=everyone", "?patient=12"])
def test_unknown_filter_values_answer_400(api, scene, nurse, query):
    response = api(nurse).get(LIST + query)
    assert response.status_code == 400


def test_a_task_says_its_patient_only_to_those_who_may_see_patients(api, doctor, patient, lab_tech):
    task = services.task_create(
        title="Repeat sample",
        assignee_group=Group.objects.get(name=roles.LAB_TECHNICIAN),
        patient=patient,
        actor=doctor,
    )
    body = api(lab_tech).get(_detail(task)).json()
    assert body["patient"] is None and body["title"] == "Repeat sample"
    assert body["assignee_role"]["name"] == roles.LAB_TECHNICIAN
    body = api(doctor).get(_detail(task)).json()
    assert body["patient"]["id"] == str(patient.pk)


def test_patch_moves_the_task_and_says_what_may_come_next(api, scene, nurse):
    response = api(nurse).patch(
        _detail(scene.nurses_task), {"status": "in_progress"}, content_type=JSON
    )
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "in_progress" and body["overdue"] is True
    assert set(body["allowed_transitions"]) == {"open", "done", "cancelled"}
    scene.nurses_task.refresh_from_db()
    assert scene.nurses_task.status == TaskStatus.IN_PROGRESS
    assert scene.nurses_task.status_changes.order_by("-at").first().by == nurse


def test_patch_on_a_task_not_yours_is_404_and_changes_nothing(api, scene, nurse, pharmacist):
    for user, task in ((nurse, scene.desk_task), (pharmacist, scene.nurses_task)):
        response = api(user).patch(_detail(task), {"status": "done"}, content_type=JSON)
        assert response.status_code == 404
        task.refresh_from_db()
        assert task.status == TaskStatus.OPEN


def test_cancelling_without_a_reason_is_400_and_with_one_is_kept(api, scene, nurse):
    client = api(nurse)
    url = _detail(scene.nurse_own)
    response = client.patch(url, {"status": "cancelled"}, content_type=JSON)
    assert response.status_code == 400 and "reason" in response.json()
    response = client.patch(
        url, {"status": "cancelled", "reason": "Done by phone"}, content_type=JSON
    )
    assert response.status_code == 200 and response.json()["cancel_reason"] == "Done by phone"


def test_a_change_the_table_forbids_is_409(api, scene, nurse):
    services.task_transition(task=scene.nurse_own, status="done", actor=nurse)
    response = api(nurse).patch(_detail(scene.nurse_own), {"status": "open"}, content_type=JSON)
    assert response.status_code == 409 and response.json()["code"] == "invalid_transition"


@pytest.mark.parametrize(
    "body", [{}, {"status": "finished"}, {"status": "done", "reason": "x" * 300}]
)
def test_a_bad_body_is_400(api, scene, nurse, body):
    response = api(nurse).patch(_detail(scene.nurse_own), body, content_type=JSON)
    assert response.status_code == 400

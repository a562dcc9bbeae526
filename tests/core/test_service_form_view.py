"""`ehr.core.views.ServiceFormView`, the one form-page idiom: a valid form goes to
`perform(form)`; the service's domain errors come back onto the form.

The pages are defined here with their own URLconf and a one-line template, so the test
exercises the kernel view alone, through the whole request cycle (middleware, messages).
"""

import pytest
from django import forms
from django.contrib.messages import get_messages
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.http import HttpResponse
from django.urls import path

from ehr.core.exceptions import (
    DomainError,
    DomainPermissionDenied,
    FieldDomainError,
    InvalidTransition,
)
from ehr.core.views import ServiceFormView

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]

TEMPLATE = "form-page.html"
performed = []  # the names each perform() call received, in order


class NameForm(forms.Form):
    name = forms.CharField(max_length=30)
    ward = forms.CharField(max_length=30, required=False)


class Thing:
    def __init__(self, name):
        self.name = name

    def get_absolute_url(self):
        return f"/things/{self.name}/"


class NameTaken(FieldDomainError):
    field = "name"
    default_message = "That name is taken."


def thing_create(*, name, ward="", actor):
    """The "service": a name tells it which outcome to give."""
    performed.append(name)
    outcomes = {
        "taken": NameTaken(),
        "ward-full": FieldDomainError("The ward is full.", field="ward"),
        "nowhere": FieldDomainError("Not on this form.", field="bed"),
        "closed": DomainError("The clinic is closed on Sundays."),
        "moved": InvalidTransition("This thing cannot go from done to draft."),
        "plain": ValidationError("A plain Django error."),
        "not-yours": DomainPermissionDenied("Only the author may sign this."),
    }
    if name in outcomes:
        raise outcomes[name]
    if name == "answered":
        return HttpResponse("answered by the service", status=202)
    return Thing(name)


class ThingCreateView(ServiceFormView):
    form_class = NameForm
    template_name = TEMPLATE
    success_message = "Thing saved."

    def perform(self, form):
        return thing_create(actor=self.request.user, **form.cleaned_data)


class ThingToListView(ThingCreateView):
    success_url = "/things/"

    def get_success_message(self, form):
        return f"{self.result.name} saved."


class QuietView(ThingCreateView):
    success_message = ""


class NoPerformView(ServiceFormView):
    form_class = NameForm
    template_name = TEMPLATE


class NowhereToGoView(ServiceFormView):
    form_class = NameForm
    template_name = TEMPLATE

    def perform(self, form):
        return object()


urlpatterns = [
    path("thing/", ThingCreateView.as_view()),
    path("thing-to-list/", ThingToListView.as_view()),
    path("quiet/", QuietView.as_view()),
    path("no-perform/", NoPerformView.as_view()),
    path("nowhere/", NowhereToGoView.as_view()),
]


@pytest.fixture(autouse=True)
def _page(settings):
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {TEMPLATE: "<form>{{ form.as_div }}{{ form.non_field_errors }}</form>"},
                    )
                ],
            },
        }
    ]
    performed.clear()


@pytest.fixture
def client_in(signed_in, doctor):
    return signed_in(doctor)


def messages_of(response):
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_get_shows_the_empty_form(client_in):
    response = client_in.get("/thing/")
    assert response.status_code == 200
    assert isinstance(response.context["form"], NameForm)
    assert performed == []


def test_a_valid_form_is_performed_then_the_message_shown_and_the_results_page_opened(client_in):
    response = client_in.post("/thing/", {"name": "kettle"})
    assert performed == ["kettle"]
    assert response.status_code == 302
    assert response["Location"] == "/things/kettle/"
    assert messages_of(response) == ["Thing saved."]


def test_success_url_wins_over_the_results_page_and_the_message_may_name_the_result(client_in):
    response = client_in.post("/thing-to-list/", {"name": "kettle"})
    assert response.status_code == 302
    assert response["Location"] == "/things/"
    assert messages_of(response) == ["kettle saved."]


def test_no_success_message_shows_no_message(client_in):
    response = client_in.post("/quiet/", {"name": "kettle"})
    assert response.status_code == 302
    assert messages_of(response) == []


def test_a_response_returned_by_perform_is_the_answer(client_in):
    response = client_in.post("/thing/", {"name": "answered"})
    assert response.status_code == 202
    assert response.content == b"answered by the service"
    assert messages_of(response) == []


def test_an_invalid_form_is_400_and_perform_is_not_called(client_in):
    response = client_in.post("/thing/", {"name": "", "ward": "B"})
    assert response.status_code == 400
    assert performed == []
    form = response.context["form"]
    assert form.errors == {"name": ["This field is required."]}
    assert form["ward"].value() == "B"


@pytest.mark.parametrize(
    ("name", "field", "message"),
    [
        ("taken", "name", "That name is taken."),
        ("ward-full", "ward", "The ward is full."),
    ],
)
def test_a_field_domain_error_lands_under_its_field_and_keeps_what_was_typed(
    client_in, name, field, message
):
    response = client_in.post("/thing/", {"name": name, "ward": "Ward 7"})
    assert response.status_code == 400
    assert performed == [name]
    form = response.context["form"]
    assert form.errors == {field: [message]}
    assert form.non_field_errors() == []
    assert (form["name"].value(), form["ward"].value()) == (name, "Ward 7")
    assert message in response.content.decode()
    assert messages_of(response) == []


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("closed", "The clinic is closed on Sundays."),
        ("moved", "This thing cannot go from done to draft."),
        ("plain", "A plain Django error."),
        # A field error for a field the form does not have is shown at the top.
        ("nowhere", "Not on this form."),
    ],
)
def test_a_domain_error_without_a_field_of_the_form_is_shown_at_the_top(client_in, name, message):
    response = client_in.post("/thing/", {"name": name, "ward": "Ward 7"})
    assert response.status_code == 400
    form = response.context["form"]
    assert form.non_field_errors() == [message]
    assert list(form.errors) == ["__all__"]
    assert form["ward"].value() == "Ward 7"


def test_a_domain_permission_error_is_403_with_its_message_on_the_form(client_in):
    response = client_in.post("/thing/", {"name": "not-yours", "ward": "Ward 7"})
    assert response.status_code == 403
    form = response.context["form"]
    assert form.non_field_errors() == ["Only the author may sign this."]
    assert form["ward"].value() == "Ward 7"
    assert "Only the author may sign this." in response.content.decode()
    assert messages_of(response) == []


def test_a_view_without_perform_says_so(client_in):
    with pytest.raises(NotImplementedError, match=r"NoPerformView must implement perform\(form\)"):
        client_in.post("/no-perform/", {"name": "kettle"})


def test_a_result_without_a_page_and_no_success_url_is_a_configuration_error(client_in):
    with pytest.raises(ImproperlyConfigured, match="NowhereToGoView needs a success_url"):
        client_in.post("/nowhere/", {"name": "kettle"})

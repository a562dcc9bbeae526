"""The persona-by-page matrix: one way for every app's view tests to say who may open
which page, and to check it.

    PAGES = [
        Page("bed board", lambda scene: reverse("inpatient:bed_board"), READERS),
        Page("discharge", lambda scene: scene.admission.discharge_url, {"doctor"},
             method="post", data={...}, ok=302),
    ]

    @pytest.mark.parametrize(("page", "persona"), persona_cases(PAGES))
    def test_each_page_is_open_to_its_roles_only(request, scene, signed_in, page, persona):
        assert_persona_access(request, signed_in, page, persona, scene)

    @pytest.mark.parametrize("page", PAGES, ids=page_ids(PAGES))
    def test_strangers_sign_in_and_patients_go_to_the_portal(
        client, signed_in, portal_patient, page, scene
    ):
        assert_staff_only(client, signed_in, portal_patient, page, scene)

Personas are the fixtures of tests/conftest.py (one user per role). `context` is
whatever the test module builds the URLs from (a scene fixture, a patient…).
"""

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

STAFF_PERSONAS = ("doctor", "nurse", "receptionist", "administrator", "lab_tech", "pharmacist")


@dataclass(frozen=True)
class Page:
    """A page (or endpoint) and who may open it."""

    name: str  # the test id
    url: Callable  # callable(context) -> the URL
    allowed: frozenset  # personas answered `ok`; every other persona gets `denied`
    method: str = "get"
    data: Callable | dict | None = None  # the body (or callable(context) -> body)
    extra: dict = field(default_factory=dict)  # headers and client options
    ok: int = 200
    denied: int = 403

    def request(self, client, context):
        """Send this page's request with `client`; return the response."""
        data = self.data(context) if callable(self.data) else self.data
        send = getattr(client, self.method)
        if data is None:
            return send(self.url(context), **self.extra)
        return send(self.url(context), data, **self.extra)


def page_ids(pages):
    """Return the test ids of `pages`."""
    return [page.name for page in pages]


def persona_cases(pages, personas=STAFF_PERSONAS):
    """Return one pytest case per (page, persona), with readable ids."""
    return [
        pytest.param(page, persona, id=f"{page.name}-{persona}")
        for page in pages
        for persona in personas
    ]


def assert_persona_access(request, signed_in, page, persona, context):
    """Assert that `persona` gets the page's `ok` status if allowed, else `denied`."""
    client = signed_in(request.getfixturevalue(persona))
    response = page.request(client, context)
    expected = page.ok if persona in page.allowed else page.denied
    assert response.status_code == expected, (
        f"{page.name} as {persona}: {response.status_code}, expected {expected}"
    )
    return response


def assert_staff_only(client, signed_in, portal_patient, page, context):
    """Assert that a stranger is sent to the staff sign-in and a portal patient to the
    portal (staff pages)."""
    response = page.request(client, context)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"], (
        f"{page.name} as a stranger: {response.status_code}"
    )
    response = page.request(signed_in(portal_patient), context)
    assert response.status_code == 302 and response["Location"].startswith("/portal/"), (
        f"{page.name} as a portal patient: {response.status_code}"
    )

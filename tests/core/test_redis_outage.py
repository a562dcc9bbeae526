"""Redis down: staff and patients can still sign in and work (QUALITY.md, R1)."""

import pytest
from django.core.cache import caches
from django.urls import reverse

from tests.core.test_health import DEAD_REDIS

pytestmark = pytest.mark.django_db


@pytest.fixture
def redis_down(settings):
    """Point the Redis cache at a port where nothing listens (Django rebuilds the cache
    handlers when CACHES changes)."""
    settings.CACHES = {**settings.CACHES, "bulk": DEAD_REDIS}
    assert caches["bulk"].get("anything") is None


def test_staff_sign_in_and_pages_work_while_redis_is_down(redis_down, client, doctor, password):
    response = client.post("/accounts/login/", {"login": doctor.email, "password": password})
    assert response.status_code == 302, response.content[:500]
    assert client.get(reverse("core:home")).status_code == 200
    assert client.get(reverse("core:notification_list")).status_code == 200


def test_patient_sign_in_works_while_redis_is_down(redis_down, client, portal_patient, password):
    response = client.post("/portal/login/", {"login": portal_patient.email, "password": password})
    assert response.status_code == 302
    assert client.get(reverse("portal:home")).status_code == 200

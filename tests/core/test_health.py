"""/health/: database and cache status for load balancers."""

from unittest import mock

import pytest
from django.db.utils import OperationalError

pytestmark = pytest.mark.django_db

DEAD_REDIS = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
    "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": True},
}


def test_health_is_ok_with_the_database_up_and_needs_no_sign_in(client):
    response = client.get("/health/")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["cache:default"] == "ok"


def test_a_cache_outage_is_reported_as_degraded_not_fatal(client, settings):
    settings.CACHES = {**settings.CACHES, "bulk": DEAD_REDIS}
    response = client.get("/health/")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["checks"]["cache:bulk"] == "unavailable"


def test_a_database_outage_answers_503(client):
    with mock.patch("ehr.core.views.connection.cursor", side_effect=OperationalError("down")):
        response = client.get("/health/")
    assert response.status_code == 503
    assert response.json()["status"] == "unavailable"

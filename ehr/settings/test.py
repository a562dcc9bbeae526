"""Test settings: fast hashing, in-memory email, plain static storage."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")

from .base import *

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only
# pytest-django sets EMAIL_BACKEND to locmem for every test; the email-job tests set the
# site's JobEmailBackend back and deliver through EMAIL_DELIVERY_BACKEND (below).
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
ALLOWED_HOSTS = ["*"]

# Parallel runs (pytest -n) share one Redis: each worker keeps its own keys, so one
# worker's cache.clear() or cached values never leak into another's tests.
if "KEY_PREFIX" in CACHES["bulk"]:
    CACHES["bulk"]["KEY_PREFIX"] += "-test-" + os.environ.get("PYTEST_XDIST_WORKER", "main")

# Jobs run at once, inside the code that queues them, so most tests need no worker. The
# job tests switch to the database backend and run workers (tests/core/test_jobs*.py).
TASKS = {
    "default": {
        "BACKEND": os.environ.get(
            "TASKS_BACKEND", "django_tasks.backends.immediate.ImmediateBackend"
        ),
        "QUEUES": ["default", "reports"],
    }
}
EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

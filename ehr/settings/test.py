"""Test settings: fast hashing, in-memory email, plain static storage."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-secret-key-0123456789abcdefghijklmnopqrstuvwxyz")

from .base import *

DEBUG = False
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
ALLOWED_HOSTS = ["*"]

# Parallel runs (pytest -n) share one Redis: each worker keeps its own keys, so one
# worker's cache.clear() or cached values never leak into another's tests.
if "KEY_PREFIX" in CACHES["bulk"]:
    CACHES["bulk"]["KEY_PREFIX"] += "-test-" + os.environ.get("PYTEST_XDIST_WORKER", "main")

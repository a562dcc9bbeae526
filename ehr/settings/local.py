"""Development settings: `make run`. DEBUG on, console email, a throwaway secret key."""

import os

os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("SECRET_KEY", "insecure-local-development-key-change-me-0123456789abcdef")

from .base import *

STORAGES["staticfiles"] = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
INSTALLED_APPS = ["whitenoise.runserver_nostatic", *INSTALLED_APPS]

"""ASGI entry point. The site is served over WSGI; this exists for tooling that expects it."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ehr.settings.production")

application = get_asgi_application()

"""The demo hospital that `manage.py seed_demo` builds. Each app registers a seeder from
its AppConfig.ready(); seeders run in order, must be idempotent, and return a short
summary line for the progress display."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Seeder:
    """One step of the demo data: `run(password=..., stdout=..., options=...)` returns a
    summary line; `options` are the command's options (e.g. `patients`)."""

    key: str
    label: str
    run: Callable
    order: int = 100


SEEDERS: dict[str, Seeder] = {}


def register(seeder):
    """Add a step to `seed_demo` (a key registered twice is replaced)."""
    SEEDERS[seeder.key] = seeder
    return seeder


def ordered():
    """Return the registered seeders in the order they run."""
    return sorted(SEEDERS.values(), key=lambda s: (s.order, s.key))


def seed_hospital(*, password, stdout=None, options=None):
    """Create the demo hospital."""
    from ehr.core.models import Hospital

    hospital, created = Hospital.objects.get_or_create(
        name="St. Elsewhere General Hospital",
        defaults={
            "address": "1 Infirmary Road\nSpringfield 12345",
            "phone": "+1 202 555 0100",
            "email": "info@st-elsewhere.example.org",
        },
    )
    return f"{hospital.name} ({'created' if created else 'already there'})"

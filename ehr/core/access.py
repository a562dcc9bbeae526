"""Access providers: who, besides a patient's care team, may open which parts of a chart.

The care team (explicit members, care relationships from appointments, encounters and
admissions, nurses of the ward) and break-the-glass open the whole chart; they are the
patients app's own rules. Worklist roles reach only the parts their work needs, and only
for the patients on their worklist: a pharmacist the medication parts of a patient with
an active prescription, a lab technician the lab parts of a patient with an open order.
An app says so from its `AppConfig.ready()`:

    access.register(access.AccessProvider(
        key="pharmacy",
        parts=frozenset({"medications", "allergies"}),
        permission="pharmacy.view_prescription",
        patients=pharmacy.selectors.worklist_patient_ids,  # (user, patient_ids, now) -> set
    ))

`patients.selectors.chart_access_for` asks every provider whose permission the user
holds; a yes opens the provider's parts (never the rest of the chart), is logged with the
access reason `worklist`, and never adds the user to the care team.
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class AccessProvider:
    """Chart parts a worklist role may open for the patients its worklist names."""

    key: str
    parts: frozenset  # chart parts (tab keys, or the part before ":" of a logged part)
    permission: str  # the role permission a user needs for this provider to be asked
    patients: Callable  # callable(user, patient_ids: set, now) -> set of patient ids

    def applies_to(self, user):
        """Return True if `user`'s roles make this provider relevant."""
        return user.has_perm(self.permission)


PROVIDERS: dict[str, AccessProvider] = {}


def register(provider):
    """Add an access provider (a key registered twice is replaced)."""
    PROVIDERS[provider.key] = provider
    return provider


def unregister(key):
    """Remove the provider registered under `key` (tests)."""
    PROVIDERS.pop(key, None)


def part_root(part):
    """Return the chart part a logged part belongs to ("encounters:start" → "encounters")."""
    return str(part).split(":", 1)[0]


def worklist_parts(user, patient_id, now):
    """Return the chart parts of patient `patient_id` that `user`'s worklists open now
    (an empty set when none does)."""
    parts = set()
    for provider in sorted(PROVIDERS.values(), key=lambda p: p.key):
        if (
            provider.parts - parts
            and provider.applies_to(user)
            and patient_id in provider.patients(user, {patient_id}, now)
        ):
            parts |= provider.parts
    return frozenset(parts)

"""Domain events: what the apps tell the rest of the site has happened.

A service publishes an event after its work, in its transaction:

    events.publish("vitals.recorded", {...}, actor=user)

The payload is checked against the event's type below (unknown event, missing required
field, unknown field or wrong type: ValueError, a programming error). Once the
transaction commits, each subscriber (`events.subscribe(name or "*", job_func)`, called
from an AppConfig.ready()) runs as its own background job with `(event_name, payload)`
and `actor_id`: a rolled-back workflow publishes nothing, and a failing subscriber
fails its own job, never the workflow that published the event.

The catalogue of event types lives in this one place (`EVENT_TYPES`): its fields are the
documentation of each payload. Payloads are plain JSON: ids as strings, measures as
numbers (int or float), None for an optional field without a value. Typed values let
rule conditions compare numbers as numbers.
"""

import logging
from dataclasses import dataclass, field
from functools import partial

from django.db import transaction

from ehr.core import jobs

# A field's type: str, int or float (a float field takes an int too; bool is no number).
_TYPE_NAMES = {str: "a string", int: "an integer", float: "a number"}


@dataclass(frozen=True)
class EventType:
    """One kind of event: its name, what it means, and its payload's fields as
    {name: (type, required)}. `example` is a valid payload (the admin's "try" page)."""

    name: str
    description: str
    fields: dict = field(default_factory=dict)
    example: dict = field(default_factory=dict)

    def validate(self, payload):
        """Return `payload` as a new dict with every field (absent optional ones as
        None), or raise ValueError."""
        if not isinstance(payload, dict):
            raise ValueError(f"The payload of {self.name} must be a dict.")
        unknown = set(payload) - set(self.fields)
        if unknown:
            raise ValueError(f"Unknown fields for {self.name}: {', '.join(sorted(unknown))}")
        clean = {}
        for name, (kind, required) in self.fields.items():
            value = payload.get(name)
            if value is None:
                if required:
                    raise ValueError(f"{self.name}: the field {name} is required.")
                clean[name] = None
                continue
            if not _is_of_type(value, kind):
                raise ValueError(
                    f"{self.name}: the field {name} must be {_TYPE_NAMES[kind]}, "
                    f"not {type(value).__name__}."
                )
            clean[name] = float(value) if kind is float else value
        return clean

    def required_only(self):
        """Return the example payload without its optional fields (a sample for checking
        that a rule copes with absent values)."""
        return {name: self.example[name] for name, (_, required) in self.fields.items() if required}


def _is_of_type(value, kind):
    if isinstance(value, bool):
        return False
    if kind is float:
        return isinstance(value, int | float)
    return isinstance(value, kind)


_REQUIRED, _OPTIONAL = True, False

# --- The catalogue ---------------------------------------------------------------------

VITAL_FIELDS = {
    "systolic_bp": (int, _OPTIONAL),
    "diastolic_bp": (int, _OPTIONAL),
    "heart_rate": (int, _OPTIONAL),
    "respiratory_rate": (int, _OPTIONAL),
    "temperature_c": (float, _OPTIONAL),
    "spo2": (int, _OPTIONAL),
    "weight_kg": (float, _OPTIONAL),
    "height_cm": (float, _OPTIONAL),
    "bmi": (float, _OPTIONAL),
    "pain_score": (int, _OPTIONAL),
}

_PATIENT = "00000000-0000-0000-0000-000000000001"
_USER = "00000000-0000-0000-0000-000000000002"
_RECORD = "00000000-0000-0000-0000-000000000003"

EVENT_TYPES: dict[str, EventType] = {
    event.name: event
    for event in (
        EventType(
            "vitals.recorded",
            "A set of vital signs was recorded for a patient.",
            {
                "vital_signs_id": (str, _REQUIRED),
                "patient_id": (str, _REQUIRED),
                "encounter_id": (str, _OPTIONAL),
                "recorded_by_id": (str, _REQUIRED),
                "recorded_at": (str, _REQUIRED),  # ISO 8601
                **VITAL_FIELDS,
            },
            {
                "vital_signs_id": _RECORD,
                "patient_id": _PATIENT,
                "encounter_id": None,
                "recorded_by_id": _USER,
                "recorded_at": "2026-01-01T08:00:00+00:00",
                "systolic_bp": 190,
                "diastolic_bp": 95,
                "heart_rate": 88,
                "respiratory_rate": 16,
                "temperature_c": 37.2,
                "spo2": 97,
                "weight_kg": None,
                "height_cm": None,
                "bmi": None,
                "pain_score": 2,
            },
        ),
        EventType(
            "appointment.no_show",
            "A patient did not come to an appointment (marked no-show).",
            {
                "appointment_id": (str, _REQUIRED),
                "patient_id": (str, _REQUIRED),
                "doctor_id": (str, _REQUIRED),
                "start": (str, _REQUIRED),  # ISO 8601
            },
            {
                "appointment_id": _RECORD,
                "patient_id": _PATIENT,
                "doctor_id": _USER,
                "start": "2026-01-01T09:00:00+00:00",
            },
        ),
        EventType(
            "admission.created",
            "A patient was admitted into a bed.",
            {
                "admission_id": (str, _REQUIRED),
                "patient_id": (str, _REQUIRED),
                "ward_id": (str, _REQUIRED),
                "ward": (str, _REQUIRED),  # the ward's name
                "attending_doctor_id": (str, _REQUIRED),
                "admitting_doctor_id": (str, _OPTIONAL),
                "admitted_at": (str, _REQUIRED),  # ISO 8601
            },
            {
                "admission_id": _RECORD,
                "patient_id": _PATIENT,
                "ward_id": "00000000-0000-0000-0000-000000000004",
                "ward": "Medicine A",
                "attending_doctor_id": _USER,
                "admitting_doctor_id": _USER,
                "admitted_at": "2026-01-01T10:00:00+00:00",
            },
        ),
        EventType(
            "note.signed",
            "A clinical note (or an addendum to one) was signed by its author.",
            {
                "note_id": (str, _REQUIRED),
                "patient_id": (str, _REQUIRED),
                "author_id": (str, _REQUIRED),
                "note_type": (str, _REQUIRED),  # progress, admission, discharge_summary…
                "encounter_id": (str, _OPTIONAL),
                "amends_id": (str, _OPTIONAL),  # an addendum: the note it completes
            },
            {
                "note_id": _RECORD,
                "patient_id": _PATIENT,
                "author_id": _USER,
                "note_type": "progress",
                "encounter_id": None,
                "amends_id": None,
            },
        ),
        EventType(
            "lab.result_verified",
            "A lab result was verified (final), or a correction of one was.",
            {
                "result_id": (str, _REQUIRED),
                "order_id": (str, _REQUIRED),
                "patient_id": (str, _REQUIRED),
                "test_code": (str, _REQUIRED),  # the catalogue's code: K, HGB…
                "loinc": (str, _OPTIONAL),
                "value": (float, _OPTIONAL),  # numeric results
                "value_text": (str, _OPTIONAL),  # coded and text results
                "flag": (str, _OPTIONAL),  # normal, low, high, critical_low…, abnormal
                "verified_by_id": (str, _REQUIRED),
            },
            {
                "result_id": _RECORD,
                "order_id": "00000000-0000-0000-0000-000000000004",
                "patient_id": _PATIENT,
                "test_code": "K",
                "loinc": "2823-3",
                "value": 6.8,
                "value_text": None,
                "flag": "critical_high",
                "verified_by_id": _USER,
            },
        ),
    )
}


def event_type(name):
    """Return the EventType called `name`, or raise ValueError."""
    try:
        return EVENT_TYPES[name]
    except KeyError:
        raise ValueError(f"Unknown event type: {name!r}") from None


def choices():
    """Return [(name, "name: description")] for a form's or a model field's choices."""
    return [(event.name, f"{event.name}: {event.description}") for event in EVENT_TYPES.values()]


# --- Subscribing and publishing --------------------------------------------------------

ALL = "*"
SUBSCRIBERS: dict[str, list] = {}
# job function's path → callable(event_name, payload) -> bool: whether it wants this one
_WANTS: dict[str, object] = {}

logger = logging.getLogger(__name__)


def _key(job_func):
    return getattr(job_func, "module_path", None) or repr(job_func)


def subscribe(name, job_func, *, wants=None):
    """Run `job_func` (a function made by `@jobs.job`, taking `(event_name, payload,
    actor_id=None)`) as a job after each committed event `name`, or every event ("*").

    `wants(event_name, payload)`, asked once the transaction has committed, lets a
    subscriber that acts on few events skip the job for the others (the rule engine
    asks whether any active rule listens to the event): a job row per vital sign that
    no rule reads would only load the queue. Subscribing the same function twice has
    no effect."""
    if name != ALL:
        event_type(name)
    subscribers = SUBSCRIBERS.setdefault(name, [])
    if job_func not in subscribers:
        subscribers.append(job_func)
    if wants is not None:
        _WANTS[_key(job_func)] = wants
    return job_func


def subscribers_of(name):
    """Return the job functions that run for event `name`."""
    return [*SUBSCRIBERS.get(name, ()), *SUBSCRIBERS.get(ALL, ())]


def publish(name, payload, *, actor=None):
    """Check `payload` against event `name`'s type and, once the surrounding transaction
    commits (at once outside one), queue one job per subscriber (that wants it). Return
    the checked payload. Raise ValueError for an unknown event or a payload of the wrong
    shape: a programming error, found by the publisher's tests."""
    clean = event_type(name).validate(payload)
    actor_id = str(actor.pk) if getattr(actor, "pk", None) is not None else None
    label = f"event {name}"
    for job_func in subscribers_of(name):
        wants = _WANTS.get(_key(job_func))
        if wants is None:
            jobs.enqueue_on_commit(job_func, name, clean, actor_id=actor_id, label=label)
        else:
            transaction.on_commit(
                partial(_enqueue_if_wanted, job_func, wants, name, clean, actor_id, label)
            )
    return clean


def _enqueue_if_wanted(job_func, wants, name, payload, actor_id, label):
    try:
        wanted = wants(name, payload)
    except Exception:  # the workflow has committed: when in doubt, let the job decide
        logger.exception("Subscriber %s could not say whether it wants %s", job_func, name)
        wanted = True
    if wanted:
        jobs.enqueue(job_func, name, payload, actor_id=actor_id, label=label)

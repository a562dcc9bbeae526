"""Shared fixtures: one persona per role, signed-in clients, clean caches."""

import os
from importlib import import_module

import pytest
from django.core.cache import caches
from django.core.management import call_command
from faker import Faker

from accounts import roles
from ehr.core import parameters
from tests.factories.accounts import PASSWORD, UserFactory, enrol_totp

# Playwright's sync API runs an event loop in the test thread; the ORM calls of
# live-server tests must still be allowed there.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

Faker.seed(20261122)


@pytest.fixture(autouse=True)
def _clean_state():
    """Start each test with an empty fast cache and fresh parameters. (The `default`
    cache, with the rate-limit counters, lives in the database each test rolls back.)"""
    bulk = caches["bulk"]
    if hasattr(bulk, "delete_pattern"):
        # django-redis's clear() flushes the whole Redis database, other test workers'
        # keys included; delete only this worker's (settings.test gives each a prefix).
        bulk.delete_pattern("*")
    else:
        bulk.clear()
    parameters.invalidate()
    yield
    parameters.invalidate()


def _is_transactional(request):
    return _item_is_transactional(request.node)


def _item_is_transactional(item):
    marker = item.get_closest_marker("django_db")
    if marker and (marker.kwargs.get("transaction") or (marker.args and marker.args[0])):
        return True
    return bool({"transactional_db", "live_server"} & set(item.fixturenames))


@pytest.fixture(autouse=True)
def _signed_notes_flushable(request, django_db_blocker):
    """Let a transactional test on SQLite end with signed notes in the database.

    Its teardown empties every table with DELETE (PostgreSQL's uses TRUNCATE, which fires
    no row trigger), and the signed-note trigger (clinical migration 0009) refuses to
    delete a signed note. So, just before that flush, this fixture drops the DELETE
    trigger, empties the tables itself and puts the trigger back, in one transaction:
    the trigger is never missing while a test runs, and production code has no switch
    to turn it off (a session flag would be one more way around it)."""
    from django.db import connection, transaction

    if connection.vendor != "sqlite" or not _is_transactional(request):
        yield
        return
    # Set up the test database first, so that this teardown runs before its flush.
    request.getfixturevalue("transactional_db")
    yield
    trigger = import_module("clinical.migrations.0009_signed_note_undeletable_stays_with_patient")
    with django_db_blocker.unblock(), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(f"DROP TRIGGER IF EXISTS {trigger.SQLITE_DELETE_TRIGGER}")
        call_command("flush", interactive=False, verbosity=0, inhibit_post_migrate=True)
        cursor.execute(trigger.SQLITE_CREATE_DELETE)


@pytest.fixture
def password():
    return PASSWORD


@pytest.fixture
def make_user(db):
    """Create a user with the given roles: make_user("Doctor")."""

    def make(*role_names, **fields):
        return UserFactory(roles=list(role_names), **fields)

    return make


@pytest.fixture
def doctor(make_user):
    return make_user(roles.DOCTOR, first_name="Gregory", last_name="House")


@pytest.fixture
def nurse(make_user):
    return make_user(roles.NURSE)


@pytest.fixture
def receptionist(make_user):
    return make_user(roles.RECEPTIONIST)


@pytest.fixture
def lab_tech(make_user):
    return make_user(roles.LAB_TECHNICIAN)


@pytest.fixture
def pharmacist(make_user):
    return make_user(roles.PHARMACIST)


@pytest.fixture
def administrator(make_user):
    """An administrator with a TOTP authenticator enrolled (their role requires one);
    `administrator.totp.now()` gives a valid code."""
    user = make_user(roles.ADMINISTRATOR)
    user.totp = enrol_totp(user)
    return user


@pytest.fixture
def portal_patient(make_user):
    return make_user(roles.PATIENT, first_name="John", last_name="Smith")


@pytest.fixture
def staff_personas(doctor, nurse, receptionist, lab_tech, pharmacist, administrator):
    return {
        "doctor": doctor,
        "nurse": nurse,
        "receptionist": receptionist,
        "lab_tech": lab_tech,
        "pharmacist": pharmacist,
        "administrator": administrator,
    }


@pytest.fixture
def signed_in(client):
    """Return a function that signs `user` in on the test client and returns the client."""

    def sign_in(user):
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        return client

    return sign_in


@pytest.fixture
def connection_per_thread():
    """For race tests (tests/concurrency.py): skip on SQLite, size the PostgreSQL pool
    for one connection per thread."""
    from django.db import connection

    from tests.concurrency import pool_for_threads

    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite serialises writers, there is no race to lose")
    with pool_for_threads():
        yield


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items):
    """Run transactional tests (browser, races) after every test that rolls back, as
    pytest-django orders them, once pytest has grouped the browser tests by their
    session-scoped `browser_name` parameter: a transactional test empties the tables at
    its end, data migrations' rows (appointment types, roles) included."""

    def order(item):
        if _item_is_transactional(item):
            return 1
        uses_db = item.get_closest_marker("django_db") or "db" in item.fixturenames
        return 0 if uses_db else 2

    items.sort(key=order)

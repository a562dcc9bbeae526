"""Races on PostgreSQL: accession numbers drawn at once never repeat; two technicians
verifying the same order at once verify it once; the escalation job run twice at once
escalates once."""

from datetime import timedelta

import pytest
from django.db import close_old_connections

from laboratory import services
from laboratory.catalogue import catalogue_load
from laboratory.models import CriticalAlert
from patients.models import luhn_is_valid
from tests.concurrency import run_together
from tests.factories.laboratory import lab_test
from tests.factories.patients import PatientFactory

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("connection_per_thread"),
]


def _work(fn):
    def run(i):
        try:
            return fn(i)
        finally:
            close_old_connections()

    return run


def test_fifty_accession_numbers_at_once_are_all_different():
    numbers = run_together(50, _work(lambda i: services.accession_next()))
    assert all(isinstance(n, str) for n in numbers), numbers
    assert len(set(numbers)) == 50 and all(luhn_is_valid(n) for n in numbers)


def test_escalation_run_at_once_escalates_once(make_user):
    catalogue_load()
    doctor = make_user("Doctor")
    nurse = make_user("Nurse")
    tech, tech2 = make_user("Lab technician"), make_user("Lab technician")
    order = services.lab_order_create(
        patient=PatientFactory(sex="male"), actor=doctor, tests=[lab_test("K")]
    )
    specimen = services.lab_order_collect(order=order, actor=nurse)
    services.lab_order_receive(accession_number=specimen.accession_number, actor=tech)
    line = order.results.get()
    services.lab_results_enter(order=order, actor=tech, values={line.pk: "7.1"})
    services.lab_order_verify(order=order, actor=tech2)
    alert = CriticalAlert.objects.get()
    later = alert.raised_at + timedelta(minutes=45)
    steps = run_together(8, _work(lambda i: services.critical_alerts_escalate(now=later)))
    assert sorted(steps) == [0] * 7 + [1], steps
    assert alert.steps.filter(action="escalated").count() == 1

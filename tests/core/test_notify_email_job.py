"""A mail server that hangs does not slow the page that sends mail: booking an
appointment answers at once while the confirmation waits in the queue; a worker's
attempt times out, is recorded and retried, and the email goes out once the server is
back. (The site's own settings: JobEmailBackend, the database queue, SMTP delivery.)"""

import socket
import threading
import time

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ehr.core.models import Job, OutboundMessage
from tests.factories.patients import PatientFactory
from tests.factories.scheduling import (
    AppointmentTypeFactory,
    ConsultationRoomFactory,
    at,
    weekly_schedule,
)

# Real commits: the page's transaction commits before the worker runs, as in production
# (and a worker on PostgreSQL may not run inside a test's transaction).
pytestmark = pytest.mark.django_db(transaction=True)

BUDGET = 1.0  # seconds for the booking page


class FakeSmtpServer:
    """An SMTP server on 127.0.0.1. While `hanging`, it accepts a connection and never
    says a word (a mail server stuck under load); otherwise it speaks enough SMTP to take
    a message, which it keeps in `received`."""

    def __init__(self):
        self.hanging = True
        self.received = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.connections = []
        self._stop = threading.Event()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        self.listener.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _addr = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections.append(conn)
            if not self.hanging:
                threading.Thread(target=self._speak, args=(conn,), daemon=True).start()

    def _speak(self, conn):
        reader = conn.makefile("rb")

        def say(line):
            conn.sendall(line.encode() + b"\r\n")

        say("220 fake ESMTP")
        message = {"rcpt": [], "data": b""}
        while line := reader.readline():
            command = line.decode().strip().upper()
            if command.startswith(("EHLO", "HELO")):
                say("250 fake")
            elif command.startswith("MAIL FROM"):
                say("250 OK")
            elif command.startswith("RCPT TO"):
                message["rcpt"].append(line.decode().split(":", 1)[1].strip())
                say("250 OK")
            elif command == "DATA":
                say("354 go on")
                data = b""
                while (chunk := reader.readline()) not in (b".\r\n", b""):
                    data += chunk
                message["data"] = data
                self.received.append(message)
                message = {"rcpt": [], "data": b""}
                say("250 queued")
            elif command == "QUIT":
                say("221 bye")
                break
            else:
                say("250 OK")
        conn.close()

    def close(self):
        self._stop.set()
        for conn in self.connections:
            conn.close()
        self.listener.close()


@pytest.fixture
def smtp(settings):
    server = FakeSmtpServer()
    settings.EMAIL_BACKEND = "ehr.core.mail.JobEmailBackend"
    settings.EMAIL_DELIVERY_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_TIMEOUT = 1  # the worker's wait; the page never waits
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports"]}
    }
    yield server
    server.close()


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def test_booking_answers_at_once_while_the_mail_server_hangs_and_the_email_follows(
    smtp, signed_in, receptionist, doctor, django_capture_on_commit_callbacks
):
    weekly_schedule(doctor, room=ConsultationRoomFactory())
    patient = PatientFactory(first_name="Ada", email="ada@example.org")
    start = at(1, 10)
    data = {
        "doctor": str(doctor.pk),
        "date": timezone.localdate(start).isoformat(),
        "slot": f"{doctor.pk}|{timezone.localtime(start).isoformat()}",
        "patient": str(patient.pk),
        "appointment_type": str(AppointmentTypeFactory().pk),
        "reason": "Chest pain on exertion",
        "notes": "",
        "step": "book",
    }
    client = signed_in(receptionist)
    client.get(reverse("scheduling:appointment_create"))  # warm up: templates, caches

    started = time.monotonic()
    with django_capture_on_commit_callbacks(execute=True):  # the commit, and what follows it
        response = client.post(reverse("scheduling:appointment_create"), data)
    elapsed = time.monotonic() - started

    assert response.status_code == 302, response.content[:500]
    assert elapsed < BUDGET, f"the booking page took {elapsed:.2f} s"
    print(f"booking page with a hanging mail server: {elapsed * 1000:.0f} ms")
    message = OutboundMessage.objects.get(to="ada@example.org")
    assert message.status == OutboundMessage.Status.QUEUED
    job = Job.objects.get(name="ehr.core.messaging.outbound_deliver")
    assert job.status == Job.Status.QUEUED  # waiting for a worker, not sent in the request
    assert smtp.received == []

    # A worker tries while the server still hangs: the attempt times out, is recorded,
    # and the job waits to try again.
    run_worker()
    message.refresh_from_db()
    job.refresh_from_db()
    assert message.status == OutboundMessage.Status.FAILED
    assert "timed out" in message.error.lower()
    assert job.status == Job.Status.RETRYING and job.attempts == 1

    # The mail server is back; the retry falls due and the worker sends the email, once.
    smtp.hanging = False
    DBTaskResult.objects.filter(status="READY").update(
        run_after=timezone.now() - timezone.timedelta(seconds=1)
    )
    run_worker()
    message.refresh_from_db()
    job.refresh_from_db()
    assert job.status == Job.Status.SUCCEEDED
    assert message.status == OutboundMessage.Status.SENT and message.attempts == 2
    [received] = smtp.received
    assert received["rcpt"] == ["<ada@example.org>"]
    assert b"Subject: Appointment booked" in received["data"]
    run_worker()
    assert len(smtp.received) == 1

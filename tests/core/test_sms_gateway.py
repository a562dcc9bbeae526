"""The HTTP gateway backend (Twilio's Messages API) against a fake gateway on 127.0.0.1:
the request it sends, its authentication, a refusal and a server error (the delivery job
fails, records it and is retried), a gateway that never answers (timeout), and the status
recorded on the message."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from ehr.core import messaging, sms
from ehr.core.models import Job, OutboundMessage

ACCOUNT, TOKEN, SENDER = "AC0123456789", "s3cret-token", "+15005550006"
MOBILE = "+12025550143"


class FakeGateway:
    """An SMS gateway with Twilio's Messages API on 127.0.0.1, in a thread. `answers` is
    the list of answers to give, one per request, the last repeated: (status, json body)
    or ("hang", seconds). `requests` records what came in."""

    def __init__(self):
        self.requests = []
        self.answers = [(201, None)]
        self._count = 0
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                body = self.rfile.read(length).decode()
                gateway.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "form": parse_qs(body)}
                )
                answer = gateway.answers[min(len(gateway.requests), len(gateway.answers)) - 1]
                if answer[0] == "hang":
                    time.sleep(answer[1])
                    return
                status, payload = answer
                if payload is None:
                    gateway._count += 1
                    payload = {"sid": f"SM{gateway._count:032d}", "status": "queued"}
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def configure(settings, gateway, timeout=2):
    """Point the site's SMS settings at `gateway`."""
    settings.SMS_BACKEND = "ehr.core.sms.TwilioSmsBackend"
    settings.SMS_GATEWAY_URL = gateway.url
    settings.SMS_ACCOUNT, settings.SMS_TOKEN, settings.SMS_SENDER = ACCOUNT, TOKEN, SENDER
    settings.SMS_TIMEOUT = timeout
    settings.SMS_STATUS_CALLBACK = True
    settings.SITE_URL = "https://ehr.example.org"


@pytest.fixture
def gateway(settings):
    fake = FakeGateway()
    configure(settings, fake)
    yield fake
    fake.close()


@pytest.fixture
def database_queue(settings):
    settings.TASKS = {
        "default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "reports"]}
    }


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", verbosity=0)


def make_retries_due():
    """Let the worker pick up a retry now instead of after its back-off."""
    DBTaskResult.objects.filter(status="READY").update(
        run_after=timezone.now() - timezone.timedelta(seconds=1)
    )


# --- The request -------------------------------------------------------------------------------


def test_the_backend_posts_twilios_request_with_basic_authentication(gateway):
    result = sms.get_backend().send(
        to=MOBILE, body="Your appointment is booked.", callback_url="https://x.test/sms/status/"
    )
    [request] = gateway.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT}/Messages.json"
    assert request["headers"]["Content-Type"] == "application/x-www-form-urlencoded"
    scheme, credentials = request["headers"]["Authorization"].split(" ")
    assert scheme == "Basic"
    assert base64.b64decode(credentials).decode() == f"{ACCOUNT}:{TOKEN}"
    assert request["form"] == {
        "To": [MOBILE],
        "From": [SENDER],
        "Body": ["Your appointment is booked."],
        "StatusCallback": ["https://x.test/sms/status/"],
    }
    assert result == sms.SmsResult(provider_id="SM" + "0" * 31 + "1", status="queued")


def test_a_refusal_raises_with_the_gateways_reason(gateway):
    gateway.answers = [(400, {"code": 21211, "message": "The 'To' number is not valid."})]
    with pytest.raises(
        sms.SmsError, match=r"HTTP 400: The 'To' number is not valid. \(code 21211\)"
    ):
        sms.get_backend().send(to=MOBILE, body="Hi")


def test_an_answer_without_a_message_id_is_an_error(gateway):
    gateway.answers = [(201, {"status": "queued"})]
    with pytest.raises(sms.SmsError, match="without a message id"):
        sms.get_backend().send(to=MOBILE, body="Hi")


def test_a_gateway_that_never_answers_times_out_quickly(settings, gateway):
    settings.SMS_TIMEOUT = 0.5
    gateway.answers = [("hang", 3)]
    started = time.monotonic()
    with pytest.raises(sms.SmsError, match="could not be reached"):
        sms.get_backend().send(to=MOBILE, body="Hi")
    assert time.monotonic() - started < 2


def test_an_unconfigured_gateway_refuses_to_start(settings, gateway):
    settings.SMS_TOKEN = ""
    with pytest.raises(sms.SmsError, match="not configured"):
        sms.get_backend()


# --- Through the delivery job ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_sent_text_records_the_gateways_id_and_status(
    gateway, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        message = messaging.outbound_queue(channel="sms", to="(202) 555-0143", body="Hello")
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT
    assert message.provider_id == "SM" + "0" * 31 + "1"  # the sid the gateway answered
    assert message.provider_status == "queued"
    assert gateway.requests[0]["form"]["To"] == [MOBILE]
    assert gateway.requests[0]["form"]["StatusCallback"] == ["https://ehr.example.org/sms/status/"]


# The worker tests commit for real: a worker on PostgreSQL may not run inside a test's
# transaction (it checks its connection, which closes one that is not in autocommit).
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "failure",
    [(500, {"code": 20500, "message": "Internal Server Error"}), (429, {"message": "Too many"})],
)
def test_a_failed_text_is_recorded_and_its_job_retried_until_it_goes(
    gateway, database_queue, django_capture_on_commit_callbacks, failure
):
    gateway.answers = [failure, (201, None)]
    with django_capture_on_commit_callbacks(execute=True):
        message = messaging.outbound_queue(channel="sms", to=MOBILE, body="Reminder")
    run_worker()
    message.refresh_from_db()
    job = Job.objects.get(name="ehr.core.messaging.outbound_deliver")
    assert message.status == OutboundMessage.Status.FAILED
    assert f"HTTP {failure[0]}" in message.error
    assert job.status == Job.Status.RETRYING and job.attempts == 1
    assert job.run_after > timezone.now()  # back-off: not at once

    run_worker()  # the retry is not due yet
    assert len(gateway.requests) == 1

    make_retries_due()
    run_worker()
    message.refresh_from_db()
    job.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT and message.attempts == 2
    assert message.error == "" and message.provider_id
    assert job.status == Job.Status.SUCCEEDED
    assert len(gateway.requests) == 2


@pytest.mark.django_db(transaction=True)
def test_a_text_that_keeps_failing_ends_failed_with_its_error(
    gateway, database_queue, django_capture_on_commit_callbacks
):
    gateway.answers = [(503, {"message": "Down for maintenance"})]
    with django_capture_on_commit_callbacks(execute=True):
        message = messaging.outbound_queue(channel="sms", to=MOBILE, body="Reminder")
    for _attempt in range(5):  # retries=4: five attempts in all
        run_worker()
        make_retries_due()
    run_worker()
    message.refresh_from_db()
    job = Job.objects.get(name="ehr.core.messaging.outbound_deliver")
    assert job.status == Job.Status.FAILED and job.attempts == 5
    assert message.status == OutboundMessage.Status.FAILED
    assert "Down for maintenance" in message.error
    assert len(gateway.requests) == 5


@pytest.mark.django_db(transaction=True)
def test_a_text_the_gateway_refuses_for_good_is_not_tried_again(
    gateway, database_queue, django_capture_on_commit_callbacks
):
    gateway.answers = [(400, {"code": 21211, "message": "The 'To' number is not valid."})]
    with django_capture_on_commit_callbacks(execute=True):
        message = messaging.outbound_queue(channel="sms", to=MOBILE, body="Reminder")
    run_worker()
    make_retries_due()
    run_worker()
    message.refresh_from_db()
    job = Job.objects.get(name="ehr.core.messaging.outbound_deliver")
    assert job.status == Job.Status.FAILED and job.attempts == 1
    assert "SmsRefused" in job.error
    assert message.status == OutboundMessage.Status.FAILED
    assert "21211" in message.error
    assert len(gateway.requests) == 1


def test_a_refusal_about_the_moment_is_worth_another_attempt(gateway):
    gateway.answers = [(429, {"message": "Too many requests"})]
    with pytest.raises(sms.SmsError) as raised:
        sms.get_backend().send(to=MOBILE, body="Hi")
    assert not isinstance(raised.value, sms.SmsRefused)

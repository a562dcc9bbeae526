"""The SMS gateway's delivery reports: a post signed with the account's token (Twilio's
X-Twilio-Signature) updates the message's status; an unsigned, wrongly signed or tampered
post is refused and changes nothing."""

import pytest
from django.urls import reverse
from django.utils import timezone

from ehr.core import sms
from ehr.core.models import OutboundMessage

pytestmark = pytest.mark.django_db

TOKEN = "s3cret-token"
SITE = "https://ehr.example.org"
Status = OutboundMessage.Status


@pytest.fixture(autouse=True)
def _gateway_settings(settings):
    settings.SMS_TOKEN = TOKEN
    settings.SITE_URL = SITE


@pytest.fixture
def message():
    return OutboundMessage.objects.create(
        channel="sms",
        to="+12025550143",
        body="Reminder",
        status=Status.SENT,
        sent_at=timezone.now(),
        provider_id="SM0123",
        provider_status="queued",
    )


def report(client, data, signature=None, path=None):
    path = path or reverse("core:sms_status")
    headers = {} if signature is None else {"X-Twilio-Signature": signature}
    return client.post(path, data, headers=headers)


def signed(data, token=TOKEN, path=None):
    return sms.request_signature(SITE + (path or reverse("core:sms_status")), data, token)


def test_twilios_published_example_signature():
    params = {
        "CallSid": "CA1234567890ABCDE",
        "Caller": "+14158675309",
        "Digits": "1234",
        "From": "+14158675309",
        "To": "+18005551212",
    }
    url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    assert sms.request_signature(url, params, "12345") == "RSOYDt4T1cUTdK1PDd93/VVr8B8="
    repeated = {"Sid": "CA123", "SidAccount": "AC123", "Digits": ["5678", "1234", "1234"]}
    assert sms.request_signature(url, repeated, "12345") == "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    assert sms.signature_is_valid(url, params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", token="12345")
    assert not sms.signature_is_valid(url + "&x=1", params, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", "12345")


def test_a_signed_report_records_delivery(client, message):
    data = {"MessageSid": "SM0123", "MessageStatus": "delivered", "AccountSid": "AC1"}
    response = report(client, data, signed(data))
    assert response.status_code == 204
    message.refresh_from_db()
    assert message.status == Status.DELIVERED and message.provider_status == "delivered"
    assert message.delivered_at is not None


def test_a_signed_failure_report_records_the_failure(client, message):
    data = {"MessageSid": "SM0123", "MessageStatus": "undelivered", "ErrorCode": "30003"}
    assert report(client, data, signed(data)).status_code == 204
    message.refresh_from_db()
    assert message.status == Status.FAILED and "30003" in message.error


def test_a_late_sent_report_does_not_undo_delivery(client, message):
    for status in ("delivered", "sent"):
        data = {"MessageSid": "SM0123", "MessageStatus": status}
        report(client, data, signed(data))
    message.refresh_from_db()
    assert message.status == Status.DELIVERED and message.provider_status == "sent"


@pytest.mark.parametrize(
    "signature",
    [
        None,  # unsigned
        "",
        "AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
        "forged",
    ],
)
def test_an_unsigned_or_forged_report_is_refused(client, message, signature):
    data = {"MessageSid": "SM0123", "MessageStatus": "delivered"}
    assert report(client, data, signature).status_code == 403
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_a_report_signed_with_another_token_is_refused(client, message):
    data = {"MessageSid": "SM0123", "MessageStatus": "delivered"}
    assert report(client, data, signed(data, token="someone-elses")).status_code == 403


def test_a_tampered_report_is_refused(client, message):
    data = {"MessageSid": "SM0123", "MessageStatus": "delivered"}
    signature = signed(data)
    data["MessageStatus"] = "failed"
    assert report(client, data, signature).status_code == 403
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_without_a_token_configured_every_report_is_refused(client, message, settings):
    data = {"MessageSid": "SM0123", "MessageStatus": "delivered"}
    signature = signed(data, token="")
    settings.SMS_TOKEN = ""
    assert report(client, data, signature).status_code == 403


def test_a_signed_report_about_an_unknown_message_changes_nothing(client, message):
    data = {"MessageSid": "SM9999", "MessageStatus": "failed"}
    assert report(client, data, signed(data)).status_code == 204
    message.refresh_from_db()
    assert message.status == Status.SENT


def test_only_post_is_answered(client):
    assert client.get(reverse("core:sms_status")).status_code == 405

"""Text messages (SMS): one small interface, the backend chosen by `settings.SMS_BACKEND`.

    backend = sms.get_backend()
    result = backend.send(to="+15555550123", body="…", callback_url="https://…/sms/status/")
    result.provider_id, result.status

Backends:

- `ConsoleSmsBackend` (development): writes each message to stdout (the worker's log).
- `FileSmsBackend` (development, demos): one text file per message in `SMS_FILE_PATH`.
- `LocmemSmsBackend` (tests): appends to `ehr.core.sms.outbox`.
- `TwilioSmsBackend` (production): an HTTP gateway speaking Twilio's Messages API
  (`SMS_GATEWAY_URL`, `SMS_ACCOUNT`, `SMS_TOKEN`, `SMS_SENDER`; many providers offer
  the same API). Short timeouts; a refusal or an unreachable gateway raises `SmsError`,
  and the delivery job retries.

Nothing here decides who gets a message or when: that is `ehr.core.messaging` and the
notification service. Numbers are E.164 (`normalize_number`) before they reach a backend.
"""

import base64
import hashlib
import hmac
import json
import sys
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from urllib.error import HTTPError, URLError
from urllib.parse import urlencode
from urllib.request import Request, urlopen

import phonenumbers
from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

from ehr.core import jobs

# What the locmem backend sent: a list of SmsMessage (tests read and clear it).
outbox = []
_outbox_lock = threading.Lock()


class SmsError(Exception):
    """The gateway refused a message or could not be reached. The delivery job records
    it and retries."""


class SmsRefused(SmsError, jobs.PermanentFailure):
    """The gateway refused the message itself (an invalid or unsubscribed number, a
    rejected sender): trying again would be refused the same way, so the delivery job
    ends failed at once."""


# Refusals that are about the moment, not the message: worth another attempt.
RETRYABLE_REFUSALS = {401, 403, 408, 409, 423, 425, 429}


@dataclass(frozen=True)
class SmsMessage:
    """A text message as a backend received it."""

    to: str
    body: str
    sender: str = ""


@dataclass(frozen=True)
class SmsResult:
    """What the gateway answered: its id for the message and its status word."""

    provider_id: str
    status: str


def normalize_number(value, region=None):
    """Return `value` (a string or PhoneNumber) as an E.164 number ("+15555550123"), read
    in `region` (settings.PHONENUMBER_DEFAULT_REGION) when it has no country code. Raise
    ValueError for something that is not a valid phone number."""
    if value is None or not str(value).strip():
        raise ValueError("No phone number.")
    if isinstance(value, phonenumbers.PhoneNumber):
        number = value
    else:
        region = region or getattr(settings, "PHONENUMBER_DEFAULT_REGION", None)
        try:
            number = phonenumbers.parse(str(value), region)
        except phonenumbers.NumberParseException as error:
            raise ValueError(f"Not a phone number: {value!r}") from error
    if not phonenumbers.is_valid_number(number):
        raise ValueError(f"Not a valid phone number: {value!r}")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def get_backend(path=None, **kwargs):
    """Return an instance of the SMS backend `path` names (settings.SMS_BACKEND)."""
    return import_string(path or settings.SMS_BACKEND)(**kwargs)


class BaseSmsBackend:
    """The interface: `send()` one message or raise SmsError."""

    def __init__(self, sender=None, **kwargs):
        self.sender = sender if sender is not None else getattr(settings, "SMS_SENDER", "")

    def send(self, *, to, body, callback_url=""):
        """Send `body` to `to` (E.164) and return an SmsResult; raise SmsError if the
        message could not be handed over. `callback_url` is where a gateway that
        reports delivery posts its status."""
        raise NotImplementedError


class ConsoleSmsBackend(BaseSmsBackend):
    """Write each message to a stream (stdout): for development."""

    def __init__(self, stream=None, **kwargs):
        super().__init__(**kwargs)
        self.stream = stream or sys.stdout

    def send(self, *, to, body, callback_url=""):
        provider_id = f"console-{uuid.uuid4().hex}"
        self.stream.write(
            f"--- SMS {provider_id} {timezone.now():%Y-%m-%d %H:%M:%S}\n"
            f"From: {self.sender}\nTo: {to}\n\n{body}\n---\n"
        )
        self.stream.flush()
        return SmsResult(provider_id=provider_id, status="sent")


class FileSmsBackend(BaseSmsBackend):
    """Write each message to its own file in `SMS_FILE_PATH`: for demos, where someone
    wants to read what the patients were sent."""

    def __init__(self, file_path=None, **kwargs):
        super().__init__(**kwargs)
        self.directory = Path(file_path or settings.SMS_FILE_PATH)

    def send(self, *, to, body, callback_url=""):
        provider_id = f"file-{uuid.uuid4().hex}"
        self.directory.mkdir(parents=True, exist_ok=True)
        name = f"{timezone.now():%Y%m%d-%H%M%S}-{provider_id}.txt"
        (self.directory / name).write_text(
            f"From: {self.sender}\nTo: {to}\n\n{body}\n", encoding="utf-8"
        )
        return SmsResult(provider_id=provider_id, status="sent")


class LocmemSmsBackend(BaseSmsBackend):
    """Keep each message in `ehr.core.sms.outbox`: for tests."""

    def send(self, *, to, body, callback_url=""):
        with _outbox_lock:
            outbox.append(SmsMessage(to=to, body=body, sender=self.sender))
        return SmsResult(provider_id=f"locmem-{uuid.uuid4().hex}", status="sent")


class TwilioSmsBackend(BaseSmsBackend):
    """An HTTP gateway with Twilio's Messages API: POST the form fields `To`, `From`,
    `Body` (and `StatusCallback`) to `{url}/2010-04-01/Accounts/{account}/Messages.json`
    with HTTP basic authentication (account, token); the JSON answer carries the message's
    `sid` and `status`. Any other answer, or no answer within `SMS_TIMEOUT` seconds,
    raises SmsError."""

    def __init__(self, url=None, account=None, token=None, timeout=None, **kwargs):
        super().__init__(**kwargs)
        self.url = (url or settings.SMS_GATEWAY_URL).rstrip("/")
        self.account = account or settings.SMS_ACCOUNT
        self.token = token or settings.SMS_TOKEN
        self.timeout = timeout or settings.SMS_TIMEOUT
        if not self.url.startswith(("https://", "http://")):
            raise SmsError("SMS_GATEWAY_URL must be an http(s) URL.")
        if not (self.account and self.token and self.sender):
            raise SmsError(
                "The SMS gateway is not configured (SMS_GATEWAY_URL, SMS_ACCOUNT, SMS_TOKEN, "
                "SMS_SENDER)."
            )

    def send(self, *, to, body, callback_url=""):
        fields = {"To": to, "From": self.sender, "Body": body}
        if callback_url:
            fields["StatusCallback"] = callback_url
        credentials = base64.b64encode(f"{self.account}:{self.token}".encode()).decode()
        request = Request(  # noqa: S310 (an http(s) URL, checked above)
            f"{self.url}/2010-04-01/Accounts/{self.account}/Messages.json",
            data=urlencode(fields).encode(),
            method="POST",
            headers={
                "Authorization": f"Basic {credentials}",
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
            },
        )
        try:
            with urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                answer = json.loads(response.read(65536) or b"{}")
        except HTTPError as error:
            text = f"The SMS gateway refused the message: {_describe(error)}"
            if 400 <= error.code < 500 and error.code not in RETRYABLE_REFUSALS:
                raise SmsRefused(text) from error
            raise SmsError(text) from error
        except (URLError, TimeoutError, OSError) as error:
            raise SmsError(f"The SMS gateway could not be reached: {error}") from error
        except ValueError as error:
            raise SmsError("The SMS gateway answered something that is not JSON.") from error
        sid = str(answer.get("sid") or "")
        if not sid:
            raise SmsError("The SMS gateway answered without a message id.")
        return SmsResult(provider_id=sid[:100], status=str(answer.get("status") or "")[:30])


def _describe(error):
    """Return "HTTP 400: message (code)" from a gateway's error answer."""
    try:
        detail = json.loads(error.read(65536) or b"{}")
    except (ValueError, OSError):
        detail = {}
    message = detail.get("message") or error.reason
    code = f" (code {detail['code']})" if detail.get("code") else ""
    return f"HTTP {error.code}: {message}{code}"


# --- Status callbacks ---------------------------------------------------------------------------


def request_signature(url, params, token):
    """Return Twilio's signature of a request: base64 of the HMAC-SHA1, keyed with the
    auth token, of the full URL followed by each POST parameter's name and value, sorted
    by name (a repeated parameter's distinct values sorted, as Twilio's own libraries
    do). `params` maps names to a value or a list of values."""
    payload = url
    for name in sorted(params):
        values = params[name]
        values = values if isinstance(values, list | tuple) else [values]
        for value in sorted(set(map(str, values))):
            payload += f"{name}{value}"
    digest = hmac.new(token.encode(), payload.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def signature_is_valid(url, params, signature, token=None):
    """Return True if `signature` (the X-Twilio-Signature header) signs this request with
    the gateway's token. No token configured, or no signature, is never valid."""
    token = token if token is not None else getattr(settings, "SMS_TOKEN", "")
    if not token or not signature:
        return False
    return hmac.compare_digest(request_signature(url, params, token), signature)

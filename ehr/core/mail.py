"""Email through a background job: the site's EMAIL_BACKEND.

Django, allauth and our services send mail as usual (`send_mail`, `EmailMessage.send()`);
this backend only queues each message as a job. The job delivers it with the backend
EMAIL_URL names (SMTP in production), with retries, so a mail server that is slow, down
or refusing never slows or breaks the page that sent it. A message queued inside a
transaction that rolls back is not sent (the job row goes with it).
"""

import base64
from email.mime.base import MIMEBase

from django.conf import settings
from django.core.mail import EmailMessage, EmailMultiAlternatives, get_connection
from django.core.mail.backends.base import BaseEmailBackend

from ehr.core import jobs


class JobEmailBackend(BaseEmailBackend):
    """Queue every message as an `email_deliver` job instead of sending it now."""

    def send_messages(self, email_messages):
        queued = 0
        for message in email_messages:
            if not message.recipients():
                continue
            jobs.enqueue(
                email_deliver,
                serialize(message),
                label=f"Email: {message.subject}"[:200],
            )
            queued += 1
        return queued


def serialize(message):
    """Return `message` as JSON data the delivery job rebuilds it from."""
    attachments = []
    for attachment in message.attachments:
        if isinstance(attachment, MIMEBase):
            attachment = (
                attachment.get_filename(),
                attachment.get_payload(decode=True),
                attachment.get_content_type(),
            )
        filename, content, mimetype = attachment
        if isinstance(content, str):
            content = content.encode()
        attachments.append([filename, base64.b64encode(content).decode(), mimetype])
    return {
        "subject": str(message.subject),
        "body": str(message.body),
        "from_email": message.from_email,
        "to": list(message.to),
        "cc": list(message.cc),
        "bcc": list(message.bcc),
        "reply_to": list(message.reply_to),
        "headers": {str(k): str(v) for k, v in (message.extra_headers or {}).items()},
        "alternatives": [[str(c), m] for c, m in getattr(message, "alternatives", [])],
        "content_subtype": message.content_subtype,
        "attachments": attachments,
    }


def deserialize(data):
    """Rebuild the EmailMessage `serialize()` described."""
    message = EmailMultiAlternatives(
        subject=data["subject"],
        body=data["body"],
        from_email=data["from_email"],
        to=data["to"],
        cc=data["cc"],
        bcc=data["bcc"],
        reply_to=data["reply_to"],
        headers=data["headers"],
        alternatives=[tuple(a) for a in data["alternatives"]],
    )
    message.content_subtype = data.get("content_subtype", EmailMessage.content_subtype)
    for filename, content, mimetype in data["attachments"]:
        message.attach(filename, base64.b64decode(content), mimetype)
    return message


@jobs.job(retries=4, backoff=60)
def email_deliver(data):
    """Send one queued email with the delivery backend (EMAIL_URL). A failure (server
    down, timeout, refused) raises, and the job is retried with back-off."""
    connection = get_connection(settings.EMAIL_DELIVERY_BACKEND, fail_silently=False)
    message = deserialize(data)
    message.connection = connection
    return {"sent": message.send(fail_silently=False), "to": len(message.recipients())}

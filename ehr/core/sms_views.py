"""The SMS gateway's delivery reports: `POST /sms/status/`, signed by the gateway.

Twilio (and gateways with its API) post `MessageSid` and `MessageStatus` (and
`ErrorCode`) to the StatusCallback URL the site gave with the message, signed with the
account's token in `X-Twilio-Signature`. An unsigned or wrongly signed post is refused
(403) and changes nothing."""

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpResponse, HttpResponseForbidden
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ehr.core import messaging, sms


@csrf_exempt  # the gateway cannot hold a CSRF token; its signature stands in for it
@login_not_required  # the gateway has no session; the signature authenticates it
@require_POST
def sms_status_callback(request):
    """Record a delivery report whose signature is valid; 403 for any other post."""
    # The URL the gateway signed is the one the site sent it (SITE_URL), not the one a
    # proxy in front of this server may have rewritten.
    url = settings.SITE_URL.rstrip("/") + request.get_full_path()
    params = {name: request.POST.getlist(name) for name in request.POST}
    if not sms.signature_is_valid(url, params, request.headers.get("X-Twilio-Signature", "")):
        return HttpResponseForbidden("Invalid signature.")
    messaging.outbound_status_record(
        provider_id=request.POST.get("MessageSid", "")[:100],
        provider_status=request.POST.get("MessageStatus", ""),
        error_code=request.POST.get("ErrorCode", "")[:20],
    )
    return HttpResponse(status=204)

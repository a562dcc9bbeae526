"""Failed sign-ins: a lock per account that starts short and grows, and a limit per
(address, account) pair, so that nobody can lock a whole ward out.

A ward signs in from behind one NAT address. A limit per address alone would let one
person at that address (or a script) lock every colleague out by failing on purpose.
So nothing here counts an address on its own:

- every account has a failure count; each run of `FAILURES_PER_LOCK` failures locks that
  account for the next step of `LOCK_MINUTES` (1, 5, 15, 30, then 60 minutes), and the
  account's owner is told by email. The steps fall back to the first after a day
  without failures, or at once after a successful sign-in;
- an address that keeps failing against one account is refused for that account alone
  (`PAIR_LIMIT` failures in `PAIR_WINDOW`), even while the account lock steps are short.

The state lives in the `default` cache (the database), so every worker sees it, and a
Redis outage neither unlocks nor locks anyone.
"""

import hashlib
import logging
import time

from allauth.core.internal.ratelimit import cache_lock
from django.conf import settings
from django.core.cache import cache
from django.core.mail import send_mail

logger = logging.getLogger(__name__)

FAILURES_PER_LOCK = 5
LOCK_MINUTES = (1, 5, 15, 30, 60)
STEP_MEMORY = 24 * 60 * 60  # seconds without failures before the steps start over
PAIR_LIMIT = 10
PAIR_WINDOW = 15 * 60


def _key(kind, *parts):
    digest = hashlib.sha256("|".join(parts).lower().encode()).hexdigest()
    return f"ehr:signin:{kind}:{digest}"


def client_address(request):
    """Return the address a request came from, as allauth sees it (trusted proxies)."""
    from allauth.account.adapter import get_adapter

    return get_adapter().get_client_ip(request)


def retry_after(request, email):
    """Return the seconds until `email` may try to sign in from this address (0: now)."""
    now = time.time()
    account = cache.get(_key("account", email)) or {}
    wait = account.get("locked_until", 0) - now
    pair_key = _key("pair", client_address(request), email)
    pair = [t for t in cache.get(pair_key, []) if t > now - PAIR_WINDOW]
    if len(pair) >= PAIR_LIMIT:
        wait = max(wait, pair[0] + PAIR_WINDOW - now)
    return max(0, int(wait + 0.999))


def record_failure(request, email):
    """Count one failed sign-in for `email` from this address; lock the account when a
    run of failures is complete, and tell its owner. Return the lock's seconds (0: none)."""
    now = time.time()
    address = client_address(request)
    pair_key = _key("pair", address, email)
    with cache_lock(pair_key):
        pair = [t for t in cache.get(pair_key, []) if t > now - PAIR_WINDOW]
        cache.set(pair_key, [*pair, now][-PAIR_LIMIT:], PAIR_WINDOW)

    account_key = _key("account", email)
    with cache_lock(account_key):
        account = cache.get(account_key) or {"failures": 0, "step": 0, "locked_until": 0}
        account["failures"] += 1
        locked_for = 0
        if account["failures"] >= FAILURES_PER_LOCK:
            locked_for = 60 * LOCK_MINUTES[min(account["step"], len(LOCK_MINUTES) - 1)]
            account.update(failures=0, step=account["step"] + 1, locked_until=now + locked_for)
        cache.set(account_key, account, STEP_MEMORY)
    if locked_for:
        logger.warning(
            "Sign-in locked for %s minutes after %s failures (address %s)",
            locked_for // 60,
            FAILURES_PER_LOCK,
            address,
        )
        _tell_owner(email, locked_for, address)
    return locked_for


def record_success(request, email):
    """Forget the failures of `email`: its owner is in."""
    cache.delete_many([_key("account", email), _key("pair", client_address(request), email)])


def _tell_owner(email, locked_for, address):
    from accounts.models import User

    user = User.objects.filter(email__iexact=email, is_active=True).first()
    if user is None:
        return
    try:
        send_mail(
            "Failed sign-ins to your hospital account",
            f"Hello {user.get_short_name() or user.email},\n\n"
            f"There were {FAILURES_PER_LOCK} failed attempts to sign in to your account "
            f"(from address {address}). Sign-in to the account is paused for "
            f"{locked_for // 60} minute(s).\n\n"
            "If this was you, wait and try again, or reset your password from the sign-in "
            "page. If it was not, tell the IT service desk: someone may be guessing your "
            "password.\n",
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
    except Exception:  # a mail outage must not turn a failed sign-in into a server error
        logger.exception("Could not email %s about failed sign-ins", user.pk)

"""The home page's panels. Each app registers the panels it adds to the role home pages
from its AppConfig.ready(); the home view shows those whose permissions the user holds, in order.

A panel may ask to be kept briefly (`cache_seconds`): its rendered HTML is then kept in the
`bulk` cache per user, session (its CSRF secret: a panel may hold forms), language and
path, and reused while nothing it `depends_on` changed. `depends_on` names models
("app_label.modelname") or whole apps ("app_label"); a save or delete of one of them
replaces a *generation* token (now and again when the transaction commits), which
invalidates every kept copy that read it. A change of the user's roles or permissions
invalidates it too. `cache_seconds` bounds what no signal sees: time passing (overdue
flags, "today"), relationship windows opening or closing with the clock, and writes made
behind the ORM's back (`QuerySet.update()`, bulk inserts, raw SQL). Without
`cache_seconds` (the default) a panel is computed and rendered on every request.
With a shared cache (Redis in production) an invalidation reaches every worker at once;
with a per-process cache (no REDIS_URL) other processes see a change within
`cache_seconds`. If the cache is down, every panel is computed, as without it.
"""

from dataclasses import dataclass
from hashlib import blake2b
from uuid import uuid4

from django.core.cache import caches
from django.db import transaction
from django.utils.safestring import mark_safe
from django.utils.translation import get_language


@dataclass(frozen=True)
class Panel:
    """A panel of the home page: a template, who sees it, and how to fill it."""

    key: str
    title: str
    template: str
    # The role permission(s) a user needs to see it (all of them); empty: every user.
    permission: str | tuple = ()
    order: int = 100
    context: object = None  # callable(request) -> dict, or None
    surface: str = "staff"  # "staff" or "portal"
    # Keep the rendered panel this many seconds at most (0: never kept), invalidated by
    # a save or delete of any model (or app) named in `depends_on` (see the module doc).
    cache_seconds: int = 0
    depends_on: tuple = ()

    def visible_to(self, user):
        """Return True if `user` should see this panel."""
        perms = (self.permission,) if isinstance(self.permission, str) else self.permission
        return user.has_perms(perms)


PANELS: dict[str, Panel] = {}


def register(panel):
    """Add `panel` to the home pages (a key registered twice is replaced)."""
    PANELS[panel.key] = panel
    return panel


def panels_for(request, surface, *, kept=False):
    """Return [(panel, context)] for the signed-in user on `surface`, in order.

    With `kept`, a panel with `cache_seconds` gets a `KeptPanel` instead of its context:
    the HTML kept from an earlier request, or what it takes to compute, render and keep
    it (`{% panel_body %}` renders either). One cache read serves the whole page."""
    user = request.user
    visible = [
        panel
        for panel in sorted(PANELS.values(), key=lambda p: (p.order, p.key))
        if panel.surface == surface and panel.visible_to(user)
    ]
    kept_panels = _kept_panels(request, visible) if kept else {}
    result = []
    for panel in visible:
        if panel.key in kept_panels:
            result.append((panel, kept_panels[panel.key]))
        else:
            result.append((panel, panel.context(request) if panel.context else {}))
    return result


# --- Kept panels --------------------------------------------------------------------------


class KeptPanel:
    """A cached panel of one request: its kept HTML, or how to build and keep it."""

    def __init__(self, panel, request, key, stamp, html):
        self.panel = panel
        self.request = request
        self.key = key
        self.stamp = stamp
        self.html = html

    def render(self, context):
        """Return the panel's HTML: the kept copy, or rendered now (in `context`, as
        `{% include panel.template with data=... %}` would) and kept."""
        if self.html is not None:
            return mark_safe(self.html)  # noqa: S308 (our own rendered template)
        data = self.panel.context(self.request) if self.panel.context else {}
        template = context.template.engine.get_template(self.panel.template)
        with context.push(data=data):
            html = template.render(context)
        _cache().set(self.key, (self.stamp, str(html)), self.panel.cache_seconds)
        return html


def _cache():
    return caches["bulk"]


def _generation_key(label):
    return f"ehr:panelgen:{label}"


def _kept_panels(request, panels):
    """Look up, in one cache read, the kept HTML of the cacheable `panels`."""
    from ehr.core import user_access

    cacheable = [p for p in panels if p.cache_seconds > 0]
    user = request.user
    if not cacheable or not user.is_authenticated:
        return {}
    # The session's CSRF secret, from the browser's cookie: a kept panel's forms carry a
    # token made from it. A request without one (the first of a session) keeps nothing:
    # the secret made for it would differ on every request until the browser stores it.
    secret = request.META.get("CSRF_COOKIE")
    if not secret:
        return {}
    roles, perms = user_access.snapshot(user)
    session = blake2b(
        f"{secret}|{get_language()}|{request.get_full_path()}".encode(), digest_size=12
    ).hexdigest()
    keys = {p.key: f"ehr:panel:{p.key}:{user.pk}:{session}" for p in cacheable}
    labels = sorted({label for p in cacheable for label in p.depends_on})
    values = _cache().get_many([*keys.values(), *map(_generation_key, labels)])
    generations = {label: values.get(_generation_key(label), "0") for label in labels}
    # Stable across processes (hash() of strings is not): every worker shares the copies.
    who = blake2b(
        "|".join([*sorted(roles), "/", *sorted(perms), str(user.is_superuser)]).encode(),
        digest_size=8,
    ).hexdigest()
    result = {}
    for panel in cacheable:
        stamp = (who, tuple(generations[label] for label in panel.depends_on))
        entry = values.get(keys[panel.key])
        html = entry[1] if entry is not None and entry[0] == stamp else None
        result[panel.key] = KeptPanel(panel, request, keys[panel.key], stamp, html)
    return result


def _watched():
    return {label for panel in PANELS.values() for label in panel.depends_on}


def _on_changed(sender, **kwargs):
    meta = sender._meta
    watched = _watched()
    labels = [label for label in (meta.label_lower, meta.app_label) if label in watched]
    if not labels:
        return

    def bump():
        token = uuid4().hex
        _cache().set_many({_generation_key(label): token for label in labels}, timeout=None)

    # Now, and again when the transaction commits: a request rendering in between would
    # otherwise keep what it read before the commit under the new token.
    bump()
    transaction.on_commit(bump)


def connect_signals():
    """Connect the invalidation of kept panels (from CoreConfig.ready)."""
    from django.db.models.signals import post_delete, post_save

    post_save.connect(_on_changed, dispatch_uid="ehr-panel-kept-save")
    post_delete.connect(_on_changed, dispatch_uid="ehr-panel-kept-delete")

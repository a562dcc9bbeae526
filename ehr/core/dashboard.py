"""The home page's panels. Each app registers the panels it adds to the role home pages
from its AppConfig.ready(); the home view shows those whose permissions the user holds, in order.
"""

from dataclasses import dataclass


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

    def visible_to(self, user):
        """Return True if `user` should see this panel."""
        perms = (self.permission,) if isinstance(self.permission, str) else self.permission
        return user.has_perms(perms)


PANELS: dict[str, Panel] = {}


def register(panel):
    """Add `panel` to the home pages (a key registered twice is replaced)."""
    PANELS[panel.key] = panel
    return panel


def panels_for(request, surface):
    """Return [(panel, context)] for the signed-in user on `surface`, in order."""
    user = request.user
    result = []
    for panel in sorted(PANELS.values(), key=lambda p: (p.order, p.key)):
        if panel.surface == surface and panel.visible_to(user):
            result.append((panel, panel.context(request) if panel.context else {}))
    return result

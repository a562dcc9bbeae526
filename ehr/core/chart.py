"""The patient chart's tabs and banner items. Each app registers its tabs from its
AppConfig.ready(), so the patients app shows tabs of apps it never imports.

A tab is either clinical (needs chart access: care team or break-the-glass, and every
view is logged) or demographic (needs only the role permission, e.g. receptionists).
"""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class ChartTab:
    """One tab of the chart: /patients/<id>/chart/<key>/."""

    key: str
    label: str
    template: str
    order: int = 100
    clinical: bool = True
    permission: str | None = None  # role permission to see the tab at all
    context: Callable | None = None  # callable(request, patient) -> dict
    icon: str = "file-text"

    def visible_to(self, user):
        """Return True if the user's roles allow this tab."""
        return self.permission is None or user.has_perm(self.permission)


@dataclass(frozen=True)
class BannerItem:
    """Something every chart page's banner shows (allergies…), filled per patient."""

    key: str
    template: str
    context: Callable  # callable(request, patient) -> dict
    order: int = 100
    clinical: bool = True


TABS: dict[str, ChartTab] = {}
BANNER_ITEMS: dict[str, BannerItem] = {}


def register_tab(tab):
    """Add a tab to every chart (a key registered twice is replaced)."""
    TABS[tab.key] = tab
    return tab


def register_banner_item(item):
    """Add an item to every chart banner."""
    BANNER_ITEMS[item.key] = item
    return item


def tabs_for(user):
    """Return the tabs the user's roles allow, in order."""
    return [t for t in sorted(TABS.values(), key=lambda t: (t.order, t.key)) if t.visible_to(user)]


def banner_items_for(request, patient, *, clinical_access):
    """Return [(item, context)] for the banner; clinical items only with chart access."""
    items = sorted(BANNER_ITEMS.values(), key=lambda i: (i.order, i.key))
    return [
        (item, item.context(request, patient))
        for item in items
        if clinical_access or not item.clinical
    ]

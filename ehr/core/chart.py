"""The patient chart's tabs and banner items. Each app registers its tabs from its
AppConfig.ready(), so the patients app shows tabs of apps it never imports.

A tab is either clinical (needs chart access: care team or break-the-glass, and every
view is logged) or demographic (needs only the role permission, e.g. receptionists).

A tab is an include of the chart frame, which cannot fill the page's blocks: a tab (and a
banner item) declares the static files it needs (`styles`, `vendor_scripts` such as
Chart.js, its app's `scripts`), and the frame loads those of the current tab and the
banner (`assets_for`), so the patients app names no other app's files or tab keys.
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
    styles: tuple = ()  # static paths of style sheets, e.g. ("css/clinical.css",)
    vendor_scripts: tuple = ()  # pinned libraries, e.g. ("vendor/chart.js/chart.umd.min.js",)
    scripts: tuple = ()  # the app's scripts, e.g. ("js/clinical.js",)

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
    styles: tuple = ()  # static paths of style sheets the item's template needs
    # A role permission whose holders see this clinical item on every chart they open,
    # even without chart access (safety before privacy: allergies); such a read is
    # logged with the reason "banner".
    permission: str | None = None

    def opened_by_role(self, user, access):
        """Return True if `user` sees this item only through its role permission (not
        through `access`, the user's chart-access decision)."""
        return (
            self.clinical
            and not access.covers(self.key)
            and self.permission is not None
            and user.has_perm(self.permission)
        )


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


def banner_items_for(request, patient, *, access):
    """Return [(item, context)] for the banner: clinical items only where `access` (the
    user's chart-access decision) covers them, by the item's key (a worklist may open
    the allergies but not the rest), or where the user's role opens them
    (`BannerItem.permission`; the caller logs those reads)."""
    items = sorted(BANNER_ITEMS.values(), key=lambda i: (i.order, i.key))
    return [
        (item, item.context(request, patient))
        for item in items
        if not item.clinical or access.covers(item.key) or item.opened_by_role(request.user, access)
    ]


def assets_for(tab, banner_items=()):
    """Return the static files the chart frame loads for `tab` and `banner_items`:
    {"styles": [...], "vendor_scripts": [...], "scripts": [...]}, each path once, in
    order."""
    assets = {"styles": [], "vendor_scripts": [], "scripts": []}
    for source in (tab, *banner_items):
        for kind, paths in assets.items():
            paths.extend(p for p in getattr(source, kind, ()) if p not in paths)
    return assets

"""The navigation bars of the two surfaces, staff and portal. Apps add their entries from
AppConfig.ready(); each bar shows the entries of its surface whose permissions the user
holds (as chart tabs and home panels do)."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse


@dataclass(frozen=True)
class NavItem:
    """One entry of the navigation bar."""

    key: str
    label: str
    url_name: str
    icon: str = "circle"
    # The role permission(s) a user needs to see it (all of them); empty: every user.
    permission: str | tuple = ()
    order: int = 100
    surface: str = "staff"  # "staff" or "portal"

    def visible_to(self, user):
        """Return True if `user` should see this entry."""
        perms = (self.permission,) if isinstance(self.permission, str) else self.permission
        return user.has_perms(perms)

    @property
    def url(self):
        """Return the entry's path."""
        return reverse(self.url_name)


ITEMS: dict[str, NavItem] = {}


def register(item):
    """Add `item` to its surface's navigation bar (a key registered twice is replaced)."""
    ITEMS[item.key] = item
    return item


def items_for(user, surface="staff"):
    """Return the entries of `surface` that `user` may see, in order, each as
    (item, url)."""
    result = []
    for item in sorted(ITEMS.values(), key=lambda i: (i.order, i.key)):
        if item.surface == surface and item.visible_to(user):
            try:
                result.append((item, item.url))
            except NoReverseMatch:
                continue
    return result

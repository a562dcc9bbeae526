"""The navigation bars of the two surfaces, staff and portal. Apps add their entries from
AppConfig.ready(); each bar shows the entries of its surface whose permissions the user
holds (as chart tabs and home panels do)."""

from dataclasses import dataclass

from django.urls import NoReverseMatch, get_script_prefix, reverse


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
    _MEMO.clear()
    return item


# (surface, URL prefix, registry size, superuser, permissions) -> entries. What a user sees
# follows from the permissions they hold now (read fresh per request: ehr/core/user_access),
# so a role change shows at once; the memo only spares the checks and the reverse() calls.
_MEMO: dict[tuple, list] = {}
_MEMO_LIMIT = 256


def items_for(user, surface="staff"):
    """Return the entries of `surface` that `user` may see, in order, each as
    (item, url)."""
    if not user.is_active:
        return _items_for(user, surface)
    key = (
        surface,
        get_script_prefix(),
        len(ITEMS),
        user.is_superuser,
        frozenset(user.get_all_permissions()),
    )
    result = _MEMO.get(key)
    if result is None:
        if len(_MEMO) >= _MEMO_LIMIT:
            _MEMO.clear()
        result = _MEMO[key] = _items_for(user, surface)
    return list(result)


def _items_for(user, surface):
    result = []
    for item in sorted(ITEMS.values(), key=lambda i: (i.order, i.key)):
        if item.surface == surface and item.visible_to(user):
            try:
                result.append((item, item.url))
            except NoReverseMatch:
                continue
    return result

"""What every export shares: the CSV cell guard against formula injection."""


def csv_cell(value):
    """Return `value` for a CSV cell: None as empty, and text a spreadsheet would run as
    a formula (starting with = + - @, a tab or a carriage return) prefixed with an
    apostrophe, so a name such as `=HYPERLINK(...)` stays text."""
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

"""Date and time formats for English: as the staff pages write them ("7 Mar 2026, 14:05",
24-hour clock), so the Django admin and `|date:"DATETIME_FORMAT"` read the same."""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "j M Y, H:i"
YEAR_MONTH_FORMAT = "F Y"
MONTH_DAY_FORMAT = "j F"
SHORT_DATE_FORMAT = "j M Y"
SHORT_DATETIME_FORMAT = "j M Y, H:i"
FIRST_DAY_OF_WEEK = 1  # Monday, as the scheduling calendar
# Input formats are Django's English ones (this module does not name them).

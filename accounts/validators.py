"""Password rules beyond Django's validators."""

import string

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """Require at least one upper-case letter, one lower-case letter, one digit and one
    symbol."""

    CLASSES = (
        (str.isupper, "an upper-case letter"),
        (str.islower, "a lower-case letter"),
        (str.isdigit, "a digit"),
        (lambda c: c in string.punctuation or (not c.isalnum() and not c.isspace()), "a symbol"),
    )

    def validate(self, password, user=None):
        """Raise ValidationError listing every character class the password lacks."""
        missing = [name for test, name in self.CLASSES if not any(test(c) for c in password)]
        if missing:
            raise ValidationError(
                _("The password must contain %(missing)s.") % {"missing": ", ".join(missing)},
                code="password_character_classes",
            )

    def get_help_text(self):
        """Return the rule as shown under password fields."""
        return _(
            "Your password must contain an upper-case letter, a lower-case letter, a digit "
            "and a symbol."
        )

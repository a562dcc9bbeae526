"""One idiom for records that move through states (appointments, beds, admissions,
encounters, and later prescriptions and lab orders).

A model mixes in `StateMachine`, declares its `Status` choices, the `TRANSITIONS` table
(status → the statuses it may go to), optionally `STAMPS` (status → the field that keeps
when the record last entered it), and names the reverse relation of its status-change
rows (`status_log`), a concrete subclass of `StatusChange`. Then

    record.transition_to(new_status, actor=user, at=None, reason="")

checks the table (and the model's own `check_transition` rules), time-stamps, stamps the
actor, saves the record and writes the status-change row: one call, the same for every
model. The caller (a service) holds a lock on the row. Views and templates ask
`allowed_transitions()` / `can_transition_to()` / `status_flags`, never compare status
literals.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ehr.core.exceptions import InvalidTransition
from ehr.core.models import TrackedModel


class StatusChange(TrackedModel):
    """One change of a record's state: from, to, when, by whom and why. Concrete
    subclasses add the foreign key to their record (with `related_name` = the record's
    `status_log`) and may narrow the status fields with the record's choices."""

    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20)
    at = models.DateTimeField(_("at"), default=timezone.now)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    reason = models.CharField(_("reason"), max_length=255, blank=True)

    class Meta:
        abstract = True
        ordering = ["at"]

    def __str__(self):
        return f"{self.from_status or '·'} → {self.to_status}"


class StateMachine:
    """Mixin for a TrackedModel whose `status` changes only along `TRANSITIONS`."""

    TRANSITIONS: dict = {}  # Status → frozenset of Status it may change to
    STAMPS: dict = {}  # Status → name of the field set to the time of entering it
    status_log = "status_changes"  # reverse relation of the StatusChange rows
    # Shown for a change the table does not allow; %(old)s and %(new)s are the labels.
    transition_message = _("This record cannot go from %(old)s to %(new)s.")

    # --- Reading ------------------------------------------------------------------------

    def current_status(self, now=None):
        """Return the status that counts at `now` (a model whose status can lapse, such as
        a bed reservation, overrides this)."""
        return self.Status(self.status)

    def allowed_transitions(self, now=None):
        """Return the statuses this record may change to now, in table order: the table's,
        less those the record's own rules of time forbid then (`transition_refusal`)."""
        now = now or timezone.now()
        allowed = self.TRANSITIONS[self.current_status(now)]
        return [
            status
            for status in self.Status
            if status in allowed and self.transition_refusal(status, now) is None
        ]

    def can_transition_to(self, new_status, now=None):
        """Return True if the table and the record's own rules allow `new_status` now
        (the buttons a page offers, the API's `allowed_transitions`)."""
        now = now or timezone.now()
        return (
            new_status in self.TRANSITIONS[self.current_status(now)]
            and self.transition_refusal(self.Status(new_status), now) is None
        )

    @property
    def status_flags(self):
        """Return {status value: bool} for templates (`record.status_flags.checked_in`)."""
        current = self.current_status()
        return {status.value: status == current for status in self.Status}

    # --- Hooks --------------------------------------------------------------------------

    def transition_refusal(self, new_status, at):
        """Return the domain error that forbids a change the table allows, at `at`, whatever
        the user gives (a rule of time such as "check in only on the day"), or None
        (override). Pages do not offer such a change; `transition_to` raises that error."""
        return None

    def check_transition(self, new_status, *, actor, at, reason, **kwargs):
        """Raise a domain error if a rule beyond the table forbids this change (override;
        `kwargs` are the extra arguments the model's `transition_to` callers pass)."""

    def on_transition(self, old_status, new_status, *, actor, at, reason, **kwargs):
        """Set the fields a change implies besides status and stamps (override)."""

    # --- Changing -----------------------------------------------------------------------

    def transition_to(self, new_status, *, actor, at=None, reason="", **kwargs):
        """Change the status to `new_status` as the table allows: check, time-stamp,
        stamp `actor`, save, and write the status-change row, which is returned.

        Raise InvalidTransition for a change the table does not allow, or the model's own
        domain error from `transition_refusal` or `check_transition`. The caller holds a
        lock on the row.
        """
        now = at or timezone.now()
        current = self.current_status(now)
        new_status = self.Status(new_status)
        if new_status in self.TRANSITIONS[current]:
            refusal = self.transition_refusal(new_status, now)
            if refusal is not None:
                raise refusal
        else:
            raise InvalidTransition(
                self.transition_message
                % {"old": current.label.lower(), "new": new_status.label.lower()}
            )
        reason = (reason or "").strip()
        self.check_transition(new_status, actor=actor, at=now, reason=reason, **kwargs)
        self.on_transition(current, new_status, actor=actor, at=now, reason=reason, **kwargs)
        self.status = new_status
        if new_status in self.STAMPS:
            setattr(self, self.STAMPS[new_status], now)
        if hasattr(self, "status_changed_at"):
            self.status_changed_at = now
        self.stamp(actor)
        self.save()
        return self.log_status_change(current, new_status, actor=actor, at=now, reason=reason)

    def log_status_change(self, old_status, new_status, *, actor, at, reason=""):
        """Write the status-change row of a change (also for a record's first status)."""
        relation = getattr(type(self), self.status_log)
        model, fk = relation.rel.related_model, relation.field.name
        max_length = model._meta.get_field("reason").max_length
        change = model(
            **{fk: self},
            from_status=old_status or "",
            to_status=new_status,
            at=at,
            by=actor,
            reason=reason[:max_length],
        )
        change.stamp(actor)
        change.save()
        return change

"""The shared kernel's records: the tracked base every model inherits, the hospital,
system parameters and in-app notifications."""

import uuid

from django.conf import settings
from django.core.validators import MaxLengthValidator
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from ehr.core import parameters


def history_user(instance, request, **kwargs):
    """Return the user a history row is attributed to: the service's actor, else the
    signed-in user of the current request (None for system jobs)."""
    if getattr(instance, "_history_user", None) is not None:
        return instance._history_user
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated:
        return user
    return None


# The longest text a field takes: a clinical note's section (or a discharge summary), and
# any other free text (reasons, comments, descriptions, addresses). A paste of a whole
# record or a script sending megabytes is refused with a field error instead of being
# stored and shown on every chart page.
NOTE_MAX_LENGTH = 50_000
TEXT_MAX_LENGTH = 2_000


class BoundedTextField(models.TextField):
    """A TextField whose `max_length` (TEXT_MAX_LENGTH unless given) holds everywhere:
    in forms (as for any TextField), and in model validation and DRF model serializers
    through a MaxLengthValidator, as CharField adds one. The column stays plain text."""

    # A new maximum changes no column: without this, SQLite would rebuild the table,
    # which drops its triggers (the signed-note ones on clinical notes).
    non_db_attrs = (*models.TextField.non_db_attrs, "max_length")

    def __init__(self, *args, max_length=TEXT_MAX_LENGTH, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        self.validators.append(MaxLengthValidator(self.max_length))


class TrackedFields(models.Model):
    """The audit columns every record carries: a UUID key, who created and last changed
    it and when, and a JSON bag for site-specific extra data.

    Inherit `TrackedModel`, which adds history; only a model that must shape its own
    history (the user, whose password hash must not be copied) inherits this directly
    and declares `history` itself.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    additional_data = models.JSONField(_("additional data"), default=dict, blank=True)

    class Meta:
        abstract = True

    def stamp(self, actor):
        """Record `actor` (a user, or None for a system job) as the author of the next
        save: the audit columns and the history row both name them."""
        if actor is not None and not actor.is_authenticated:
            actor = None
        if self._state.adding and self.created_by_id is None:
            self.created_by = actor
        self.updated_by = actor
        self._history_user = actor
        return self


class TrackedModel(TrackedFields):
    """Abstract base of every project model: audit columns plus a full version history
    (django-simple-history), attributed to the acting user."""

    history = HistoricalRecords(inherit=True, get_user=history_user)

    class Meta:
        abstract = True


class Hospital(TrackedModel):
    """A hospital (site) run by this installation."""

    name = models.CharField(_("name"), max_length=200, unique=True)
    address = BoundedTextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    email = models.EmailField(_("email"), blank=True)
    website = models.URLField(_("website"), blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("hospital")
        verbose_name_plural = _("hospitals")

    def __str__(self):
        return self.name


class SystemParameter(TrackedModel):
    """The stored value of one typed system parameter.

    The definitions (type, bounds, default, help) live in code (`ehr.core.parameters`);
    a row per definition is created on migrate so administrators can edit the value.
    """

    key = models.CharField(_("key"), max_length=100, unique=True, editable=False)
    value = models.JSONField(_("value"))

    class Meta:
        ordering = ["key"]
        verbose_name = _("system parameter")
        verbose_name_plural = _("system parameters")

    def __str__(self):
        return str(self.definition.label) if self.definition else self.key

    @property
    def definition(self):
        """Return the code definition of this parameter, or None if it was retired."""
        return parameters.REGISTRY.get(self.key)

    def clean(self):
        """Validate and normalise the value against the parameter's definition."""
        if self.definition:
            self.value = self.definition.clean(self.value)


class NotificationCategory(models.TextChoices):
    """What a notification is about: the unit of a user's email and text preferences."""

    APPOINTMENTS = "appointments", _("Appointments")
    RESULTS = "results", _("Results")
    CRITICAL_RESULTS = "critical_results", _("Critical results")
    MEDICATION = "medication", _("Medication")
    MESSAGES = "messages", _("Messages")
    TASKS = "tasks", _("Tasks and alerts")
    BILLING = "billing", _("Billing")
    SECURITY = "security", _("Security and privacy")
    GENERAL = "general", _("Other")


# Categories a member of staff cannot switch off by email or text: a critical result
# must reach the clinician, a security event the person it concerns.
LOCKED_FOR_STAFF = frozenset({NotificationCategory.CRITICAL_RESULTS, NotificationCategory.SECURITY})


class Notification(TrackedModel):
    """A message to one user, shown under the bell and, as the user's preferences for
    its category say, sent by email and text message."""

    class Level(models.TextChoices):
        INFO = "info", _("Information")
        WARNING = "warning", _("Warning")
        CRITICAL = "critical", _("Critical")

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recipient"),
        on_delete=models.CASCADE,
        related_name="notifications",
    )
    level = models.CharField(_("level"), max_length=10, choices=Level, default=Level.INFO)
    category = models.CharField(
        _("category"),
        max_length=50,
        choices=NotificationCategory,
        default=NotificationCategory.GENERAL,
        help_text=_("What it is about; the recipient's preferences per category apply."),
    )
    title = models.CharField(_("title"), max_length=200)
    # Written by the site around free text of up to TEXT_MAX_LENGTH (a break-the-glass
    # reason), hence twice as long.
    body = BoundedTextField(_("body"), blank=True, max_length=2 * TEXT_MAX_LENGTH)
    url = models.CharField(
        _("link"), max_length=500, blank=True, help_text=_("A path inside this site.")
    )
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)
    emailed_at = models.DateTimeField(_("emailed at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        indexes = [
            # The bell counts unread notifications of one user on every page.
            models.Index(
                fields=["recipient", "created_at"],
                name="notification_unread_idx",
                condition=models.Q(read_at__isnull=True),
            ),
            models.Index(fields=["recipient", "-created_at"], name="notification_recipient_idx"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("core:notification_open", kwargs={"pk": self.pk})

    @property
    def is_read(self):
        """Return True once the recipient has read this notification."""
        return self.read_at is not None


def _job_result_path(instance, filename):
    return f"jobs/{instance.pk}/{filename}"


class Job(TrackedModel):
    """One piece of background work and its outcome, whatever task backend runs it.

    The backend (django-tasks) queues and runs an attempt; this row is the site's own
    record of the job across attempts: who asked for it, its progress, its result or
    error, and the retries left. `ehr.core.jobs` writes it; status and progress change
    by UPDATE (no version row per progress tick). An operator re-runs a failed job
    from the admin.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        RETRYING = "retrying", _("Waiting to retry")
        SUCCEEDED = "succeeded", _("Succeeded")
        FAILED = "failed", _("Failed")

    name = models.CharField(_("job"), max_length=200, help_text=_("The task's import path."))
    label = models.CharField(_("description"), max_length=200, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.QUEUED, db_index=True
    )
    arguments = models.JSONField(_("arguments"), default=dict, blank=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
    )
    # Changes on every dispatch: an attempt whose token is no longer current (a
    # duplicate delivery, or one superseded by a recovery) does not run.
    token = models.UUIDField(_("attempt token"), default=uuid.uuid4, editable=False)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    max_attempts = models.PositiveSmallIntegerField(_("attempts allowed"), default=1)
    run_after = models.DateTimeField(_("not before"), null=True, blank=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    progress_message = models.CharField(_("progress"), max_length=200, blank=True)
    result = models.JSONField(_("result"), null=True, blank=True)
    result_file = models.FileField(
        _("result file"), upload_to=_job_result_path, max_length=300, blank=True
    )
    # The exception and its traceback, written by the site.
    error = BoundedTextField(_("last error"), blank=True, max_length=20_000)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [
            models.Index(fields=["requested_by", "-created_at"], name="job_requester_idx"),
            models.Index(fields=["status", "started_at"], name="job_status_started_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="job_progress_max"),
        ]

    def __str__(self):
        return self.label or self.name.rsplit(".", 1)[-1]

    def get_absolute_url(self):
        return reverse("core:job_detail", kwargs={"pk": self.pk})

    @property
    def is_finished(self):
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)

    def set_progress(self, percent, message=""):
        """Record how far the job has come (0-100) for its status page."""
        self.progress = max(0, min(100, int(percent)))
        self.progress_message = str(message)[:200]
        Job.objects.filter(pk=self.pk).update(
            progress=self.progress, progress_message=self.progress_message
        )

    def attach_result(self, filename, content):
        """Keep `content` (bytes) as the job's downloadable result named `filename`."""
        from django.core.files.base import ContentFile

        self.result_file.save(filename, ContentFile(content), save=False)
        Job.objects.filter(pk=self.pk).update(result_file=self.result_file.name)


class ScheduledRun(TrackedModel):
    """One period of one scheduled job that has been queued. The unique pair is what
    makes `run_scheduled` safe to run twice (or on two machines): the second insert of
    the same period fails and queues nothing."""

    name = models.CharField(_("scheduled job"), max_length=100)
    period_start = models.DateTimeField(_("period"))
    queued_at = models.DateTimeField(_("queued at"), default=timezone.now)
    job = models.ForeignKey(
        Job, verbose_name=_("job"), on_delete=models.SET_NULL, null=True, related_name="+"
    )

    class Meta:
        ordering = ["-period_start"]
        verbose_name = _("scheduled run")
        verbose_name_plural = _("scheduled runs")
        constraints = [
            models.UniqueConstraint(fields=["name", "period_start"], name="scheduledrun_once"),
        ]

    def __str__(self):
        return f"{self.name} @ {self.period_start:%Y-%m-%d %H:%M}"


class NotificationPreference(TrackedModel):
    """How one user wants to hear about one category besides the bell: by email, by text
    message. A category without a row takes the defaults (`DEFAULTS`). The rules around
    it (the master email switch, categories staff cannot switch off, quiet hours) are the
    notification service's."""

    DEFAULTS = {"email": True, "sms": False}

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="notification_preferences",
    )
    category = models.CharField(_("category"), max_length=50, choices=NotificationCategory)
    email = models.BooleanField(_("by email"), default=True)
    sms = models.BooleanField(_("by text message"), default=False)

    class Meta:
        ordering = ["user", "category"]
        verbose_name = _("notification preference")
        verbose_name_plural = _("notification preferences")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "category"], name="notificationpreference_one_per_category"
            ),
            models.CheckConstraint(
                condition=models.Q(category__in=NotificationCategory.values),
                name="notificationpreference_known_category",
            ),
        ]

    def __str__(self):
        return f"{self.user} · {self.get_category_display()}"


class OutboundMessage(TrackedModel):
    """One email or text message the site sends, and what became of it.

    Written by `ehr.core.messaging`, which queues a delivery job after commit; the job
    sends it (retrying a failure) and the SMS gateway's status callback reports delivery.
    A message is about something (`reference`, e.g. an appointment's reminder): one
    message per reference and channel, so a reminder run twice sends nothing twice.
    """

    class Channel(models.TextChoices):
        EMAIL = "email", _("Email")
        SMS = "sms", _("Text message")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        DEFERRED = "deferred", _("Deferred (quiet hours)")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    channel = models.CharField(_("channel"), max_length=10, choices=Channel)
    to = models.CharField(
        _("to"), max_length=254, help_text=_("An email address, or a phone number in E.164.")
    )
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = BoundedTextField(_("body"), max_length=10_000)
    category = models.CharField(
        _("category"),
        max_length=50,
        choices=NotificationCategory,
        default=NotificationCategory.GENERAL,
    )
    urgent = models.BooleanField(_("urgent"), default=False)
    reference = models.CharField(
        _("about"),
        max_length=100,
        blank=True,
        help_text=_("What the message is about, e.g. an appointment's reminder."),
    )
    notification = models.ForeignKey(
        Notification,
        verbose_name=_("notification"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="outbound_messages",
    )
    status = models.CharField(
        _("status"), max_length=10, choices=Status, default=Status.QUEUED, db_index=True
    )
    send_after = models.DateTimeField(
        _("not before"), null=True, blank=True, help_text=_("The end of quiet hours.")
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    provider_id = models.CharField(_("provider's message id"), max_length=100, blank=True)
    provider_status = models.CharField(_("provider's status"), max_length=30, blank=True)
    error = models.CharField(_("last error"), max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbound messages")
        indexes = [
            models.Index(fields=["status", "-created_at"], name="outboundmessage_status_idx"),
        ]
        constraints = [
            # A patient gets one reminder (one confirmation…) per channel, however often
            # the job that sends it runs.
            models.UniqueConstraint(
                fields=["reference", "channel"],
                condition=~models.Q(reference=""),
                name="outboundmessage_once_per_reference",
            ),
            # The gateway's status callback finds its message by this id.
            models.UniqueConstraint(
                fields=["channel", "provider_id"],
                condition=~models.Q(provider_id=""),
                name="outboundmessage_provider_id_unique",
            ),
            models.CheckConstraint(
                condition=models.Q(channel__in=["email", "sms"]),
                name="outboundmessage_known_channel",
            ),
            models.CheckConstraint(
                condition=models.Q(
                    status__in=["queued", "deferred", "sent", "delivered", "failed"]
                ),
                name="outboundmessage_known_status",
            ),
            # Gateways take numbers in E.164 only (+ country code, digits).
            models.CheckConstraint(
                condition=~models.Q(channel="sms") | models.Q(to__startswith="+"),
                name="outboundmessage_sms_to_e164",
            ),
            models.CheckConstraint(
                condition=~models.Q(status__in=["sent", "delivered"])
                | models.Q(sent_at__isnull=False),
                name="outboundmessage_sent_has_time",
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} to {self.to}"

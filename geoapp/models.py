"""Tenancy: who may act in which municipality, in which role."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.gis.db import models as gis_models
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils.translation import gettext_lazy as _

from layers.fields import EncryptedTextField
from layers.models import Municipality, TenantModel


class Role(models.TextChoices):
    """The roles of DESIGN.md, the volunteer (อสม.), the relief approver and finance.

    What each may do is decided in `geoapp.web.permissions`.
    """

    VIEWER = "viewer", _("Viewer")
    PLANNER = "planner", _("Planner")
    HEALTH_OFFICER = "health_officer", _("Health officer")
    DISASTER_OFFICER = "disaster_officer", _("Disaster officer")
    EDITOR = "editor", _("Editor")
    ADMIN = "admin", _("Municipality administrator")
    # Village health volunteers (อสม.) survey houses in the field; they never see who a case is.
    VOLUNTEER = "volunteer", _("Village health volunteer")
    RELIEF_APPROVER = "relief_approver", _("Relief approver (committee)")
    FINANCE = "finance", _("Finance")


class Membership(models.Model):
    """A user's role in one municipality; a user may belong to several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("user"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("municipality"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality", "role"], name="membership_unique_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.municipality}: {self.get_role_display()}"


class MembershipChange(TenantModel):
    """One change to who belongs to a municipality, in which role (append-only, see 0013).

    Users are kept by number and name, not by foreign key, so the log outlives the accounts.
    """

    class Kind(models.TextChoices):
        ACCOUNT_CREATED = "account_created", _("Account created")
        MEMBER_ADDED = "member_added", _("Existing account added")
        ROLE_GIVEN = "role_given", _("Role given")
        ROLE_TAKEN = "role_taken", _("Role taken away")
        MEMBER_REMOVED = "member_removed", _("Removed from the municipality")
        ACCOUNT_DEACTIVATED = "account_deactivated", _("Account deactivated")
        ACCOUNT_REACTIVATED = "account_reactivated", _("Account reactivated")
        LINK_ISSUED = "link_issued", _("Set-password link issued")

    actor_ref = models.BigIntegerField(_("changed by (number)"), null=True)
    actor_username = models.CharField(_("changed by"), max_length=150)
    subject_ref = models.BigIntegerField(_("member (number)"), db_index=True)
    subject_username = models.CharField(_("member"), max_length=150)
    kind = models.CharField(_("change"), max_length=30, choices=Kind.choices)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, blank=True)
    at = models.DateTimeField(_("at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("membership change")
        verbose_name_plural = _("membership changes")
        ordering = ["-at", "-pk"]

    def __str__(self) -> str:
        return f"{self.actor_username}: {self.kind} {self.subject_username} {self.role}".strip()


class LoginFailure(models.Model):
    """A failed login, kept briefly to slow down password guessing (`geoapp.accounts.throttle`)."""

    username = models.CharField(max_length=150, db_index=True)
    address = models.GenericIPAddressField(null=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("failed login")
        verbose_name_plural = _("failed logins")

    def __str__(self) -> str:
        return f"{self.username} from {self.address} at {self.at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A token for scripts calling the API (`Authorization: Token <key>`); only its hash is kept."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="api_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Finished")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class Job(models.Model):
    """A long task (an import, an analysis) queued in PostgreSQL and run by `manage.py run_jobs`.

    The job's own work runs in one transaction; its progress is written on a second connection
    (`geoapp.jobs.queue.ProgressChannel`) so that pages see it while that transaction is still open.
    """

    FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="jobs",
        verbose_name=_("municipality"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="jobs",
        verbose_name=_("submitted by"),
    )
    kind = models.CharField(_("kind"), max_length=40)
    params = models.JSONField(_("parameters"), default=dict)
    language = models.CharField(max_length=8, default="th")
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED
    )
    done = models.BigIntegerField(default=0)
    total = models.BigIntegerField(null=True, blank=True)
    message = models.TextField(blank=True)
    cancel_requested = models.BooleanField(default=False)
    result = models.JSONField(null=True, blank=True)
    error = models.TextField(blank=True)
    worker = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("background job")
        verbose_name_plural = _("background jobs")
        indexes = [
            models.Index(
                fields=["created_at"],
                name="job_queued",
                condition=models.Q(status="queued"),
            ),
            models.Index(fields=["municipality", "-created_at"], name="job_recent"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"

    @property
    def fraction(self) -> float | None:
        """How far along (0 to 1), or None while the total is unknown."""
        if self.status == JobStatus.SUCCEEDED:
            return 1.0
        if not self.total:
            return None
        return max(0.0, min(1.0, self.done / self.total))

    @property
    def finished(self) -> bool:
        return self.status in self.FINISHED


class ImportUpload(models.Model):
    """A file uploaded to the import wizard and what its user chose for it, step by step.

    The file lives under `geoapp.imports.job.upload_root(municipality)/<id>/`; only its uploader
    reaches it, and `geoapp.imports.services.uploads_clean` removes it after
    `MUEANG_IMPORT_UPLOAD_TTL_HOURS`.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="import_uploads",
        verbose_name=_("municipality"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="import_uploads",
        verbose_name=_("uploaded by"),
    )
    kind = models.CharField(_("kind"), max_length=20)
    stored_name = models.CharField(max_length=200)  # relative to the municipality's upload root
    display_name = models.CharField(_("file"), max_length=200)
    size_bytes = models.BigIntegerField(default=0)
    # The choices so far, as `import_layer` job parameters (layer, crs, mapping, id_field, ...).
    params = models.JSONField(default=dict)
    # `source_inspect` for the current layer/CRS/encoding choice (the preview reads it).
    inspection = models.JSONField(null=True, blank=True)
    check_job = models.ForeignKey(
        Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    import_job = models.ForeignKey(
        Job, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)

    class Meta:
        verbose_name = _("uploaded file")
        verbose_name_plural = _("uploaded files")
        indexes = [models.Index(fields=["municipality", "created_at"], name="import_upload_age")]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.kind})"


class TotpDevice(models.Model):
    """A user's TOTP authenticator (RFC 6238); the secret is encrypted like personal data.

    Unconfirmed until the user types a first code. `last_used_step` is the 30-second step of the
    last accepted code: a code of that step or earlier is refused, so no code works twice.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="totp_device",
        verbose_name=_("user"),
    )
    secret = EncryptedTextField()
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    last_used_step = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("authenticator app")
        verbose_name_plural = _("authenticator apps")

    def __str__(self) -> str:
        return f"TOTP of {self.user}"


class TotpRecoveryCode(models.Model):
    """A one-time recovery code for a lost authenticator; only its SHA-256 is kept."""

    device = models.ForeignKey(TotpDevice, on_delete=models.CASCADE, related_name="recovery_codes")
    code_hash = models.CharField(max_length=64, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("recovery code")
        verbose_name_plural = _("recovery codes")

    def __str__(self) -> str:
        return f"recovery code {self.pk} of {self.device.user}"


class DashboardWidget(models.TextChoices):
    """The widgets a municipality's home page can show (ordered by its administrator)."""

    MAP = "map", _("Map")
    ROADS_BY_CLASS = "roads_by_class", _("Road length by class")
    ROADS_BY_SURFACE = "roads_by_surface", _("Road length by surface")
    LANDMARKS_BY_CATEGORY = "landmarks_by_category", _("Landmarks by category")
    DATA_FRESHNESS = "data_freshness", _("Data freshness by division")
    RECENT_CHANGES = "recent_changes", _("Recent changes")
    LAYER_COUNTS = "layer_counts", _("Other layers")


class DashboardLayer(models.TextChoices):
    """Layers the home page's map can show when it opens."""

    ROADS = "roads", _("Roads")
    LANDMARKS = "landmarks", _("Landmarks")
    FLOOD_ZONES = "flood_zones", _("Flood zones")
    SUBDISTRICTS = "subdistricts", _("Subdistricts")


DEFAULT_DASHBOARD_WIDGETS = [
    DashboardWidget.ROADS_BY_CLASS,
    DashboardWidget.ROADS_BY_SURFACE,
    DashboardWidget.LANDMARKS_BY_CATEGORY,
    DashboardWidget.MAP,
    DashboardWidget.DATA_FRESHNESS,
    DashboardWidget.RECENT_CHANGES,
    DashboardWidget.LAYER_COUNTS,
]
DEFAULT_DASHBOARD_LAYERS = [DashboardLayer.ROADS, DashboardLayer.LANDMARKS]
DEFAULT_STALE_AFTER_DAYS = 365


class DashboardConfig(models.Model):
    """A municipality's home page: which widgets, in which order, and the map's layers.

    Without a row the defaults above apply; `geoapp.home.dashboard` reads and saves it.
    """

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.CASCADE,
        related_name="dashboard_config",
        verbose_name=_("municipality"),
    )
    widgets = ArrayField(
        models.CharField(max_length=40, choices=DashboardWidget.choices),
        verbose_name=_("widgets, in order"),
        default=list,
        blank=True,
    )
    map_layers = ArrayField(
        models.CharField(max_length=40, choices=DashboardLayer.choices),
        verbose_name=_("map layers shown at first"),
        default=list,
        blank=True,
    )
    stale_after_days = models.PositiveIntegerField(
        _("data is stale after (days)"), default=DEFAULT_STALE_AFTER_DAYS
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("dashboard settings")
        verbose_name_plural = _("dashboard settings")

    def __str__(self) -> str:
        return f"{self.municipality}: {', '.join(self.widgets)}"


# Resident reports (แจ้งเหตุ, issue 19): categories, reports, their public history and photos,
# reporters' contact details kept apart and encrypted, Open311 keys. Every tenant table is under
# row-level security (migration 0012); the logic is in `geoapp.reports`.


class ReportStatus(models.TextChoices):
    """A report's status; each change is kept in `ReportStatusChange` and shown publicly."""

    RECEIVED = "received", _("Received")
    ACCEPTED = "accepted", _("Accepted")
    IN_PROGRESS = "in_progress", _("In progress")
    DONE = "done", _("Done")
    FORWARDED = "forwarded", _("Forwarded to another agency")
    DUPLICATE = "duplicate", _("Duplicate of another report")
    REJECTED = "rejected", _("Rejected")


#: Statuses of a report still being worked on (Open311 "open"); the rest are "closed".
OPEN_REPORT_STATUSES = (ReportStatus.RECEIVED, ReportStatus.ACCEPTED, ReportStatus.IN_PROGRESS)


class ReportFeed(models.TextChoices):
    """Product pages that show a category's reports (`geoapp.reports.feeds`)."""

    NONE = "none", _("Reports pages only")
    BREEDING_SITE = "breeding_site", _("Dengue map: mosquito breeding sites")
    FLOODED_ROAD = "flooded_road", _("Flood map: observed flooding")


class ServiceCategory(models.Model):
    """What residents can report in a municipality (an Open311 service)."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="service_categories",
        verbose_name=_("municipality"),
    )
    code = models.SlugField(_("code"), max_length=40)
    name_th = models.CharField(_("name (Thai)"), max_length=200)
    name_en = models.CharField(_("name (English)"), max_length=200, blank=True)
    description = models.TextField(_("description"), blank=True)
    # Reports of a category that is not public never appear on public pages or in Open311 lists.
    is_public = models.BooleanField(_("reports shown publicly"), default=True)
    is_active = models.BooleanField(_("accepting reports"), default=True)
    target_days = models.PositiveSmallIntegerField(
        _("target (days to done)"), null=True, blank=True
    )
    division = models.CharField(_("division in charge"), max_length=200, blank=True)
    # The division's shared mailbox: told of new reports, residents' comments and reopenings.
    division_email = models.EmailField(_("division's e-mail"), blank=True)
    # Which product page reads this category's reports (read-only, never their contacts).
    feeds = models.CharField(
        _("shown on"), max_length=20, choices=ReportFeed.choices, default=ReportFeed.NONE
    )

    class Meta:
        verbose_name = _("report category")
        verbose_name_plural = _("report categories")
        ordering = ["name_th"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "code"], name="servicecategory_unique_code"
            )
        ]

    def __str__(self) -> str:
        return self.name_th

    def display_name(self, language: str) -> str:
        """The name in the given language, falling back to Thai."""
        return self.name_en if language == "en" and self.name_en else self.name_th


class Report(models.Model):
    """A resident's report of a problem at a place; found publicly by its tracking code."""

    class LocationSource(models.TextChoices):
        GPS = "gps", _("Device location (GPS)")
        PIN = "pin", _("Pin on the map")
        API = "api", _("Sent through Open311")

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="reports",
        verbose_name=_("municipality"),
    )
    category = models.ForeignKey(
        ServiceCategory,
        on_delete=models.PROTECT,
        related_name="reports",
        verbose_name=_("category"),
    )
    location = gis_models.PointField(_("location"), srid=4326)
    location_accuracy_m = models.FloatField(_("location accuracy (m)"), null=True, blank=True)
    location_source = models.CharField(
        _("location from"), max_length=10, choices=LocationSource.choices
    )
    address_string = models.CharField(_("address"), max_length=300, blank=True)
    description = models.TextField(_("description"), max_length=4000)
    status = models.CharField(
        _("status"), max_length=20, choices=ReportStatus.choices, default=ReportStatus.RECEIVED
    )
    # Unguessable (`geoapp.reports.services.tracking_code_new`): it is the reporter's key to the
    # report's page, comments and reopening.
    tracking_code = models.CharField(_("tracking code"), max_length=20, unique=True)
    division = models.CharField(_("division in charge"), max_length=200, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    duplicate_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("duplicate of"),
    )
    forwarded_to = models.CharField(_("forwarded to"), max_length=200, blank=True)
    follower_count = models.PositiveIntegerField(_("residents following"), default=0)
    needs_review = models.BooleanField(_("needs review"), default=False)
    # Set when a resident comments or reopens (`geoapp.reports.followup`): staff have not yet
    # read what the resident added. The staff queue shows these first; answering clears it.
    needs_review_since = models.DateTimeField(
        _("resident's follow-up waiting since"), null=True, blank=True, db_index=True
    )
    open311_key = models.ForeignKey(
        "Open311Key", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("reported"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)

    class Meta:
        verbose_name = _("resident report")
        verbose_name_plural = _("resident reports")
        indexes = [
            models.Index(fields=["municipality", "status", "-created_at"], name="report_queue"),
        ]

    def __str__(self) -> str:
        return f"{self.tracking_code} ({self.get_status_display()})"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REPORT_STATUSES


class ReportStatusChange(TenantModel):
    """One step of a report's history (who, when, which status, a note for the public page)."""

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="history", verbose_name=_("report")
    )
    status = models.CharField(_("status"), max_length=20, choices=ReportStatus.choices)
    public_note = models.TextField(_("note shown publicly"), blank=True)
    # The resident reopened the report (within `geoapp.reports.followup.REOPEN_DAYS` of closure).
    reopened = models.BooleanField(_("reopened by the resident"), default=False)
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("changed by"),
    )
    at = models.DateTimeField(_("at"), auto_now_add=True)
    # Staff only (never on the public page): why a supervisor closed without a near "after" photo.
    override_reason = models.TextField(_("supervisor's override reason"), blank=True)

    class Meta:
        verbose_name = _("report status change")
        verbose_name_plural = _("report status changes")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.report_id}: {self.status} at {self.at:%Y-%m-%d %H:%M}"


class ReportPhoto(TenantModel):
    """A photo of a report, stored only as re-encoded by `geoapp.reports.photos` (no metadata)."""

    class Kind(models.TextChoices):
        BEFORE = "before", _("Reported")
        AFTER = "after", _("After the work")

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="photos", verbose_name=_("report")
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.BEFORE)
    stored_name = models.CharField(max_length=200, unique=True)  # relative to MEDIA_ROOT
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size_bytes = models.PositiveIntegerField()
    # Where the device was when an "after" photo was taken (to close a report within 50 m).
    taken_at_location = gis_models.PointField(srid=4326, null=True, blank=True)
    taken_accuracy_m = models.FloatField(
        _("location accuracy at capture (m)"), null=True, blank=True
    )
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("report photo")
        verbose_name_plural = _("report photos")
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"photo {self.pk} of report {self.report_id}"


class ReportComment(TenantModel):
    """A comment on a report: a resident's (with the tracking code) or staff's answer.

    Shown on the public page without who wrote it beyond "resident" or "municipality".
    """

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="comments", verbose_name=_("report")
    )
    body = models.TextField(_("comment"), max_length=2000, blank=True)
    photo = models.ForeignKey(
        ReportPhoto,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("photo"),
    )
    # None: a resident wrote it; else the staff member who answered.
    by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("answered by"),
    )
    by_staff = models.BooleanField(_("from the municipality"), default=False)
    at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("report comment")
        verbose_name_plural = _("report comments")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"comment {self.pk} on report {self.report_id}"


DEFAULT_REPORT_RETENTION_DAYS = 365


class ReportRetention(models.Model):
    """How long a municipality keeps reporters' contacts after a report closes (PDPA).

    Without a row, `DEFAULT_REPORT_RETENTION_DAYS` applies; `manage.py reports_erase_contacts`
    (`geoapp.reports.retention`) erases what is older. Set in the Django admin.
    """

    municipality = models.OneToOneField(
        Municipality,
        on_delete=models.CASCADE,
        related_name="report_retention",
        verbose_name=_("municipality"),
    )
    contact_days = models.PositiveIntegerField(
        _("keep reporters' contacts for (days after closure)"),
        default=DEFAULT_REPORT_RETENTION_DAYS,
    )

    class Meta:
        verbose_name = _("report retention")
        verbose_name_plural = _("report retention")

    def __str__(self) -> str:
        return f"{self.municipality}: {self.contact_days} days"


class ReportContact(TenantModel):
    """A reporter's or follower's contact details (PDPA): apart from the report, encrypted.

    Read only through `geoapp.reports.services.report_contacts_read`, which logs the read in
    `ReportContactAccess`; never on public pages or in Open311 answers.
    """

    class Role(models.TextChoices):
        REPORTER = "reporter", _("Reporter")
        FOLLOWER = "follower", _("Follower")

    report = models.ForeignKey(
        Report, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("report")
    )
    role = models.CharField(_("role"), max_length=10, choices=Role.choices)
    name = EncryptedTextField(_("name"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    email = EncryptedTextField(_("e-mail"), blank=True)
    # Keyed hashes, to limit submissions per contact and find a person's rows (PDPA requests).
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True)
    email_digest = models.CharField(max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)

    class Meta:
        verbose_name = _("reporter's contact")
        verbose_name_plural = _("reporters' contacts")

    def __str__(self) -> str:
        return f"{self.role} contact of report {self.report_id}"


class ReportContactAccess(TenantModel):
    """One read of a report's contact details: who, when, which report, why (append-only)."""

    report_ref = models.BigIntegerField(_("report number"), db_index=True)
    user_ref = models.BigIntegerField(_("user number"), null=True)
    username = models.CharField(_("username"), max_length=150)
    purpose = models.CharField(_("purpose"), max_length=200)
    at = models.DateTimeField(_("read at"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("reporter contact access")
        verbose_name_plural = _("reporter contact access log")
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.username} read contacts of report {self.report_ref}"


class Open311Key(TenantModel):
    """An Open311 API key of one municipality (for POST requests); only its hash is kept."""

    name = models.CharField(_("name"), max_length=100)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("Open311 API key")
        verbose_name_plural = _("Open311 API keys")

    def __str__(self) -> str:
        return self.name


class ReportSubmission(models.Model):
    """A recent report submission by an address or contact (keyed digests), for rate limits.

    Not a tenant table: one address is limited across every municipality. Rows older than
    the window are deleted as new ones arrive.
    """

    address_digest = models.CharField(max_length=64, blank=True, db_index=True)
    contact_digest = models.CharField(max_length=64, blank=True, db_index=True)
    at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("report submission")
        verbose_name_plural = _("report submissions")

    def __str__(self) -> str:
        return f"submission at {self.at:%Y-%m-%d %H:%M}"


class ReportSettings(TenantModel):
    """How one municipality takes reports (one row at most; missing means the defaults)."""

    # When on, a report from a contact never seen in an accepted report waits for a staff member
    # (`Report.needs_review`) and stays off the public list and Open311 until accepted.
    moderate_first_time = models.BooleanField(
        _("hold reports of first-time reporters for review"), default=False
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("updated by"),
    )

    class Meta:
        verbose_name = _("report settings")
        verbose_name_plural = _("report settings")
        constraints = [
            models.UniqueConstraint(fields=["municipality"], name="reportsettings_one_per_town")
        ]

    def __str__(self) -> str:
        return f"report settings of {self.municipality_id}"

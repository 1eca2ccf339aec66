"""The compensation register after a flood (เยียวยา): relief rates, claims, checks and payments.

Imported by `layers.models` (the models belong to the `layers` app). Every table is a tenant
table under row-level security. Claimants' personal data lives apart, encrypted, and is read only
through `layers.relief.services.claim_personal_read`, which logs the read.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from layers.fields import EncryptedTextField
from layers.models import Building, TenantModel

MAX_BAHT = 100_000_000  # far above any household relief; a typo guard, not a rule


class ReliefItem(models.TextChoices):
    """What was damaged, as the relief rules list the kinds of assistance."""

    HOUSE = "house", _("House (repair)")
    BELONGINGS = "belongings", _("Household belongings")
    CROPS = "crops", _("Crops")
    LIVESTOCK = "livestock", _("Livestock")
    INCOME = "income", _("Loss of income")


class ClaimStatus(models.TextChoices):
    FILED = "filed", _("Filed")
    SURVEYED = "surveyed", _("Surveyed")
    APPROVED = "approved", _("Approved by the committee")
    PAID = "paid", _("Paid")
    REJECTED = "rejected", _("Rejected")


class PaymentMethod(models.TextChoices):
    TRANSFER = "transfer", _("Bank transfer")
    CHEQUE = "cheque", _("Cheque")
    CASH = "cash", _("Cash")


def _baht(verbose_name, **kwargs) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=12, decimal_places=2, **kwargs)


class ReliefRate(TenantModel):
    """An amount and cap per item for one event, with the regulation it comes from.

    Rates are versions: the newest row per event and item is in force; earlier ones stay as
    the record of what a claim was checked against.
    """

    event = models.CharField(_("event"), max_length=200)
    item = models.CharField(_("item"), max_length=20, choices=ReliefItem.choices)
    unit = models.CharField(_("unit"), max_length=100)
    amount_baht = _baht(_("amount per unit (baht)"))
    cap_baht = _baht(_("cap per household (baht)"))
    document_ref = models.CharField(_("regulation or document reference"), max_length=300)
    is_example = models.BooleanField(_("example rate (not official)"), default=False)
    saved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("saved by"),
    )
    saved_at = models.DateTimeField(_("saved at"), auto_now_add=True)

    class Meta:
        verbose_name = _("relief rate")
        verbose_name_plural = _("relief rates")
        ordering = ["-saved_at", "-id"]
        indexes = [models.Index(fields=["municipality", "event", "item", "-saved_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_baht__gte=0, amount_baht__lte=MAX_BAHT),
                name="reliefrate_amount_range",
            ),
            models.CheckConstraint(
                condition=models.Q(cap_baht__gte=0, cap_baht__lte=MAX_BAHT),
                name="reliefrate_cap_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event}: {self.item} {self.amount_baht}/{self.unit} (cap {self.cap_baht})"


class ReliefClaim(TenantModel):
    """One household's claim for one event, from filed to paid (or rejected)."""

    event = models.CharField(_("event"), max_length=200)
    building = models.ForeignKey(
        Building,
        on_delete=models.SET_NULL,
        null=True,
        related_name="relief_claims",
        verbose_name=_("building"),
    )
    subdistrict_code = models.CharField(_("subdistrict"), max_length=10, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.FILED
    )
    meeting_date = models.DateField(_("committee meeting date"), null=True, blank=True)
    rejection_reason = models.TextField(_("reason for rejection"), blank=True)
    # Keyed digest of the claimant's national ID (layers.pdpa.identifiers): finds duplicates
    # without decrypting anything.
    person_digest = models.CharField(max_length=64, blank=True, db_index=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("filed by"),
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("relief claim")
        verbose_name_plural = _("relief claims")
        ordering = ["-filed_at", "-id"]
        indexes = [
            models.Index(fields=["municipality", "event", "status"]),
            models.Index(fields=["municipality", "event", "building"]),
        ]

    def __str__(self) -> str:
        return f"claim {self.pk} ({self.event}, {self.status})"


class ReliefClaimItem(TenantModel):
    """One damaged item of a claim: the model's estimate, the surveyed and the approved amount."""

    claim = models.ForeignKey(
        ReliefClaim, on_delete=models.CASCADE, related_name="items", verbose_name=_("claim")
    )
    item = models.CharField(_("item"), max_length=20, choices=ReliefItem.choices)
    description = models.CharField(_("what was damaged"), max_length=300, blank=True)
    estimate_baht = _baht(_("estimate (damage model, baht)"), null=True, blank=True)
    surveyed_baht = _baht(_("surveyed (baht)"), null=True, blank=True)
    approved_baht = _baht(_("approved (baht)"), null=True, blank=True)

    class Meta:
        verbose_name = _("claimed item")
        verbose_name_plural = _("claimed items")
        ordering = ["claim", "id"]
        constraints = [
            models.UniqueConstraint(fields=["claim", "item"], name="reliefclaimitem_unique_item"),
            models.CheckConstraint(
                condition=models.Q(surveyed_baht__isnull=True)
                | models.Q(surveyed_baht__gte=0, surveyed_baht__lte=MAX_BAHT),
                name="reliefclaimitem_surveyed_range",
            ),
            models.CheckConstraint(
                condition=models.Q(approved_baht__isnull=True) | models.Q(approved_baht__gte=0),
                name="reliefclaimitem_approved_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.item} of claim {self.claim_id}"


class ReliefClaimStep(TenantModel):
    """One transition of a claim: who moved it to which status, when, and with what."""

    claim = models.ForeignKey(
        ReliefClaim, on_delete=models.CASCADE, related_name="steps", verbose_name=_("claim")
    )
    status = models.CharField(_("status"), max_length=10, choices=ClaimStatus.choices)
    user_ref = models.BigIntegerField(_("user number"), null=True)
    username = models.CharField(_("by"), max_length=150)
    at = models.DateTimeField(_("at"), auto_now_add=True)
    meeting_date = models.DateField(_("committee meeting date"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("claim step")
        verbose_name_plural = _("claim steps")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"claim {self.claim_id} -> {self.status} by {self.username}"


class ReliefPayment(TenantModel):
    """A payment to a claimant, recorded by finance."""

    claim = models.ForeignKey(
        ReliefClaim, on_delete=models.PROTECT, related_name="payments", verbose_name=_("claim")
    )
    amount_baht = _baht(_("amount (baht)"))
    paid_on = models.DateField(_("paid on"))
    method = models.CharField(_("payment method"), max_length=10, choices=PaymentMethod.choices)
    reference = models.CharField(_("reference"), max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("relief payment")
        verbose_name_plural = _("relief payments")
        ordering = ["paid_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(amount_baht__gt=0, amount_baht__lte=MAX_BAHT),
                name="reliefpayment_amount_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.amount_baht} baht to claim {self.claim_id} on {self.paid_on}"


class ReliefClaimPersonal(TenantModel):
    """The claimant's personal data (PDPA), encrypted, read only through a logged service."""

    claim = models.OneToOneField(
        ReliefClaim, on_delete=models.CASCADE, related_name="personal", verbose_name=_("claim")
    )
    full_name = EncryptedTextField(_("full name"))
    national_id = EncryptedTextField(_("national ID"), blank=True)
    phone = EncryptedTextField(_("phone"), blank=True)
    address = EncryptedTextField(_("address"), blank=True)
    national_id_digest = models.CharField(max_length=64, blank=True, db_index=True)
    phone_digest = models.CharField(max_length=64, blank=True, db_index=True)

    class Meta:
        verbose_name = _("personal data of a claimant")
        verbose_name_plural = _("personal data of claimants")

    def __str__(self) -> str:
        return f"personal data of claim {self.claim_id}"


class ReliefClaimPhoto(TenantModel):
    """A field photo of a claim, stored re-encoded without metadata (as resident photos are)."""

    claim = models.ForeignKey(
        ReliefClaim, on_delete=models.CASCADE, related_name="photos", verbose_name=_("claim")
    )
    stored_name = models.CharField(max_length=200, unique=True)  # relative to MEDIA_ROOT
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("claim photo")
        verbose_name_plural = _("claim photos")
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return f"photo {self.pk} of claim {self.claim_id}"

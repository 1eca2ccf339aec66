"""Input of the compensation register's pages, parsed by Django forms.

The rules are in `layers.relief.services`; these only check that each value is of its kind.
"""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from geoapp.web.photos import MAX_UPLOAD_BYTES, PhotoRejected, photo_clean
from layers.relief.models import MAX_BAHT, PaymentMethod, ReliefItem


def baht_field(label, *, required: bool = True) -> forms.DecimalField:
    """An amount in baht with satang, never negative."""
    return forms.DecimalField(
        label=label,
        required=required,
        min_value=Decimal(0),
        max_value=Decimal(MAX_BAHT),
        max_digits=12,
        decimal_places=2,
        widget=forms.NumberInput(attrs={"step": "0.01", "inputmode": "decimal"}),
    )


def _date_field(label) -> forms.DateField:
    return forms.DateField(
        label=label, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )


class RateForm(forms.Form):
    item = forms.ChoiceField(label=_("Item"), choices=ReliefItem.choices)
    unit = forms.CharField(label=_("Unit"), max_length=100)
    amount_baht = baht_field(_("Amount per unit (baht)"))
    cap_baht = baht_field(_("Cap per household (baht)"))
    document_ref = forms.CharField(
        label=_("Regulation or document reference"),
        max_length=300,
        help_text=_("For example the Ministry of Finance rules of B.E. 2562, and their number."),
    )


class ClaimForm(forms.Form):
    """A new claim: the building, the items damaged (each with what was damaged), the claimant."""

    building = forms.IntegerField(label=_("Building no."), min_value=1, max_value=2**62)
    full_name = forms.CharField(label=_("Claimant's full name"), max_length=200)
    national_id = forms.CharField(label=_("National ID"), max_length=40, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    address = forms.CharField(label=_("Address"), max_length=300, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in ReliefItem.choices:
            self.fields[f"item_{value}"] = forms.BooleanField(label=label, required=False)
            self.fields[f"detail_{value}"] = forms.CharField(
                label=_("What was damaged"), max_length=300, required=False
            )

    def claim_fields(self):
        """The building and the claimant's fields, for the template."""
        return [self[name] for name in ("building", "full_name", "national_id", "phone", "address")]

    def item_rows(self):
        """(checkbox, detail) bound fields per item, for the template."""
        return [(self[f"item_{v}"], self[f"detail_{v}"]) for v in ReliefItem.values]

    def items(self) -> list[tuple[str, str]]:
        data = self.cleaned_data
        return [(v, data[f"detail_{v}"]) for v in ReliefItem.values if data.get(f"item_{v}")]


class AmountsForm(forms.Form):
    """One amount per claimed item (the survey, the approval)."""

    def __init__(self, *args, items: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        for value, label in items:
            self.fields[f"amount_{value}"] = baht_field(label)

    def amounts(self) -> dict[str, Decimal]:
        return {
            name.removeprefix("amount_"): value
            for name, value in self.cleaned_data.items()
            if name.startswith("amount_")
        }


class SurveyForm(AmountsForm):
    note = forms.CharField(label=_("Field check note"), max_length=300, required=False)


class ApproveForm(AmountsForm):
    meeting_date = _date_field(_("Committee meeting date"))


class RejectForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for rejection"), max_length=1000, widget=forms.Textarea({"rows": 2})
    )


class PaymentForm(forms.Form):
    amount_baht = baht_field(_("Amount paid (baht)"))
    paid_on = _date_field(_("Paid on"))
    method = forms.ChoiceField(label=_("Payment method"), choices=PaymentMethod.choices)
    reference = forms.CharField(
        label=_("Reference (transfer or cheque no.)"), max_length=100, required=False
    )


class PhotoForm(forms.Form):
    photo = forms.FileField(label=_("Field photo (JPEG, PNG or WebP)"))

    def clean_photo(self):
        upload = self.cleaned_data["photo"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(_("A photo may be at most 15 MB."))
        try:
            return photo_clean(upload.read())
        except PhotoRejected as error:
            raise forms.ValidationError(str(error)) from error

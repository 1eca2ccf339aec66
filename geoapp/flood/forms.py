"""Input of the flood pages, parsed by Django forms."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _

from layers.models import NEEDS_PROFILE_LIMITS


def _amount_field(name: str, label: str, help_text: str, example: str) -> forms.FloatField:
    # Whole limits as integers, so messages read "0" and "1", not "0.0" and "1.0".
    low, high = (int(v) if float(v).is_integer() else v for v in NEEDS_PROFILE_LIMITS[name])
    return forms.FloatField(
        label=label,
        help_text=help_text,
        min_value=low,
        max_value=high,
        widget=forms.NumberInput(attrs={"step": "any"}),
        error_messages={
            "required": _("Enter an amount."),
            "invalid": _("Enter a number, for example %(example)s.") % {"example": example},
            "min_value": _("Enter %(limit_value)s or more: amounts cannot be negative.")
            if low == 0
            else _("Enter %(limit_value)s or more."),
            "max_value": _("Enter at most %(limit_value)s."),
        },
    )


class NeedsProfileForm(forms.Form):
    """The weekly amounts per displaced person; kits and toilets as people per kit or toilet."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["rice_kg"] = _amount_field(
            "rice_kg",
            _("Rice (kg per person per week)"),
            _("Default 2.8 kg: 400 g a day."),
            "2.8",
        )
        self.fields["drinking_water_l"] = _amount_field(
            "drinking_water_l",
            _("Drinking water (litres per person per week)"),
            _("Default 17.5 litres: 2.5 litres a day (Sphere standard)."),
            "17.5",
        )
        self.fields["clean_water_l"] = _amount_field(
            "clean_water_l",
            _("Clean water for cooking and washing (litres per person per week)"),
            _("Default 87.5 litres: with drinking water, 15 litres a day (Sphere standard)."),
            "87.5",
        )
        self.fields["people_per_family_kit"] = _amount_field(
            "people_per_family_kit",
            _("People per family kit (household size)"),
            _("One kit per household; default 3.125 people per household."),
            "3.125",
        )
        self.fields["people_per_toilet"] = _amount_field(
            "people_per_toilet",
            _("People per toilet"),
            _("Default 20 people per toilet (Sphere standard)."),
            "20",
        )

    @classmethod
    def for_profile(cls, profile) -> NeedsProfileForm:
        """The form showing the amounts of the profile in force."""
        return cls(
            initial={name: f"{getattr(profile, name):.10g}" for name in NEEDS_PROFILE_LIMITS}
        )

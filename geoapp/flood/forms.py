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


def _building_type_field() -> forms.ChoiceField:
    from layers.models import DamageBuildingType

    return forms.ChoiceField(label=_("Building type"), choices=DamageBuildingType.choices)


class ReplacementValueForm(forms.Form):
    """A new replacement value per m2 of floor for one building type."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building_type"] = _building_type_field()
        self.fields["baht_per_m2"] = forms.FloatField(
            label=_("Baht per m² of floor"),
            min_value=0,
            max_value=1_000_000,
            widget=forms.NumberInput(attrs={"step": "any"}),
            error_messages={
                "invalid": _("Enter a number, for example %(example)s.") % {"example": "12000"}
            },
        )
        self.fields["source"] = forms.CharField(
            label=_("Source"), max_length=300, help_text=_("Where the figure comes from.")
        )


class DamageCurveForm(forms.Form):
    """A new depth-damage curve for one building type, written as depth:fraction pairs."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["building_type"] = _building_type_field()
        self.fields["points"] = forms.CharField(
            label=_("Curve points (depth in m: damage fraction)"),
            max_length=2000,
            help_text=_("For example 0:0, 0.5:0.327, 1:0.494, 2:0.721, 6:1"),
        )
        self.fields["source"] = forms.CharField(
            label=_("Source"), max_length=300, help_text=_("Where the curve comes from.")
        )

    def clean_points(self) -> tuple[list[float], list[float]]:
        """Pairs ``depth:fraction`` separated by commas, as two lists of numbers."""
        depths, fractions = [], []
        for pair in self.cleaned_data["points"].split(","):
            depth, sep, fraction = pair.partition(":")
            try:
                if not sep:
                    raise ValueError(pair)
                depths.append(float(depth))
                fractions.append(float(fraction))
            except ValueError:
                raise forms.ValidationError(
                    _("Write each point as depth:fraction, for example 0.5:0.327; not “%(pair)s”.")
                    % {"pair": pair.strip()}
                ) from None
        return depths, fractions

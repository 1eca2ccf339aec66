"""Input of the import wizard's steps, one form per step.

Fields the wizard reads as sent (lists, texts, ticked boxes) are judged by the form's `clean`
or by the service, so the messages stay those of the import (`layers.imports`).
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

# The fields read as sent are those of the dashboard settings (geoapp.home is below imports).
from geoapp.home.forms import SentList, SentText
from geoapp.imports.selectors import coordinate_columns, page_language
from geoapp.models import ImportUpload
from layers.imports import Issue
from layers.imports.mapping import IGNORE
from layers.imports.messages import quoted
from layers.imports.service import SLUG
from layers.models import PersonalDataAccess

# The coordinate systems offered when a file has none (DESIGN.md section 5).
CRS_OFFERED = {
    "EPSG:4326": gettext_lazy("WGS 84, latitude/longitude in degrees (GPS)"),
    "EPSG:32647": gettext_lazy("WGS 84 / UTM zone 47N (metres)"),
    "EPSG:32648": gettext_lazy("WGS 84 / UTM zone 48N (metres)"),
    "EPSG:24047": gettext_lazy("Indian 1975 / UTM zone 47N (metres, old maps)"),
    "EPSG:24048": gettext_lazy("Indian 1975 / UTM zone 48N (metres, old maps)"),
}
ENCODINGS = {
    "utf-8": "UTF-8",
    "cp874": gettext_lazy("TIS-620 / Windows-874 (Thai)"),
}


class TickedBox(forms.Field):
    """A checkbox of the page: ticked when the browser sends "on"."""

    def __init__(self, **kwargs):
        super().__init__(required=False, **kwargs)

    def to_python(self, value):
        return value == "on"


def error_texts(form: forms.Form) -> list[str]:
    """The form's errors not tied to a field, as plain texts in the order found."""
    return [message for error in form.non_field_errors().as_data() for message in error.messages]


# Step 1: upload --------------------------------------------------------------------------------


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"))
    file = forms.FileField(label=gettext_lazy("File"))

    def __init__(self, *args, kinds: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kind"].choices = kinds


# Step 2: preview -------------------------------------------------------------------------------


class PreviewForm(forms.Form):
    layer = forms.ChoiceField(label=gettext_lazy("Layer"), required=False)
    crs = forms.ChoiceField(label=gettext_lazy("Coordinate system"), required=False)
    encoding = forms.ChoiceField(label=gettext_lazy("Text encoding"), required=False)
    lon_column = forms.ChoiceField(label=gettext_lazy("Longitude or x column"), required=False)
    lat_column = forms.ChoiceField(label=gettext_lazy("Latitude or y column"), required=False)


def _crs_choices(inspection: dict) -> list[tuple[str, str]]:
    """The file's own CRS (if any) first, then the offered ones, the suggested ones first."""
    choices = [("", _("as the file says"))] if inspection.get("crs") else []
    if not inspection.get("crs"):
        choices = [("", _("choose…"))]
    suggested = inspection.get("crs_suggestions") or []
    ordered = [c for c in suggested if c in CRS_OFFERED] + [
        c for c in CRS_OFFERED if c not in suggested
    ]
    return choices + [(c, f"{c} {CRS_OFFERED[c]}") for c in ordered]


def preview_form(upload: ImportUpload, inspection: dict, data=None) -> PreviewForm:
    """The preview's choices, offered from what the inspection found in the file."""
    layers = inspection.get("layers") or inspection.get("layer_choices") or []
    suggested = inspection.get("crs_suggestions") or []
    columns = inspection.get("columns") or []
    column_choices = [("", _("none"))] + [(c, c) for c in columns]
    coordinates = coordinate_columns(upload, inspection)
    initial = {
        "layer": upload.params.get("layer") or inspection.get("layer") or "",
        "crs": upload.params.get("crs") or (suggested[0] if suggested else ""),
        "encoding": upload.params.get("encoding") or "",
        "lon_column": coordinates[0] or "",
        "lat_column": coordinates[1] or "",
    }
    form = PreviewForm(data, initial=initial)
    form.fields["layer"].choices = [("", _("choose…"))] + [(n, n) for n in layers]
    form.fields["crs"].choices = _crs_choices(inspection)
    form.fields["encoding"].choices = [("", _("detect automatically"))] + [
        (k, str(v)) for k, v in ENCODINGS.items()
    ]
    form.fields["lon_column"].choices = column_choices
    form.fields["lat_column"].choices = column_choices
    return form


class RevealForm(forms.Form):
    """Why the user reads the personal columns; `may_reveal`: whether the user may at all."""

    purpose = forms.ChoiceField(
        label=gettext_lazy("Why do you need the personal data?"),
        choices=PersonalDataAccess.Purpose.choices,
    )

    def __init__(self, data=None, *, may: bool):
        super().__init__(data)
        self.may_reveal = may


# Step 3: mapping -------------------------------------------------------------------------------


class MappingForm(forms.Form):
    """Which column fills which field (`field_<name>`), the columns kept, the id, the dataset.

    After `is_valid()`, `values` holds the choices to show again and `mapping` the `--map`
    style mapping they stand for; errors are texts not tied to a field, in the page's order.
    """

    keep = SentList()
    id_field = SentText()
    delete_missing = TickedBox()
    dataset_slug = SentText(strip=True)
    dataset_title = SentText(strip=True)

    def __init__(self, data, *, upload: ImportUpload, spec, usable: list[str], coordinates):
        super().__init__(data)
        self.upload, self.spec, self.usable, self.coordinates = upload, spec, usable, coordinates
        for name in spec.fields:
            self.fields[f"field_{name}"] = SentText()
        self.values: dict = {}
        self.mapping: dict[str, str] = {}

    def clean(self):
        data = super().clean()
        id_field = data["id_field"]
        self.values = {
            "fields": {f: data[f"field_{f}"] for f in self.spec.fields},
            "keep": [c for c in data["keep"] if c in self.usable],
            "id_field": id_field if id_field in self.usable or id_field in self.coordinates else "",
            "delete_missing": data["delete_missing"],
            "dataset_slug": data["dataset_slug"],
            "dataset_title": data["dataset_title"][:200],
        }
        self.mapping = self._field_mapping(self.values["fields"])
        x_column, y_column = self.coordinates
        if x_column and y_column:
            self.mapping |= {x_column: "lon", y_column: "lat"}
        self._check_dataset()
        return data

    def _field_mapping(self, fields: dict[str, str]) -> dict[str, str]:
        if self.spec.model is None:
            return {c: IGNORE for c in self.usable if c not in self.values["keep"]}
        used: dict[str, str] = {}
        for target, column in fields.items():
            if not column:
                continue
            if column not in self.usable:
                message = _("The column %(column)s is not in the file.")
                self.add_error(None, message % {"column": quoted(column)})
            elif column in used:
                self.add_error(
                    None,
                    _("The column %(column)s is chosen for both %(first)s and %(second)s.")
                    % {"column": quoted(column), "first": used[column], "second": target},
                )
            else:
                used[column] = target
        for target in self.spec.required():
            if not fields.get(target):
                issue = Issue(
                    "required_unmapped", file=self.upload.display_name, params={"field": target}
                )
                self.add_error(None, issue.text(page_language()))
        return dict(used) | {c: IGNORE for c in self.usable if c not in used}

    def _check_dataset(self) -> None:
        if self.values["delete_missing"] and not self.values["id_field"]:
            self.add_error(None, _("Deleting features missing from the file needs an id field."))
        slug = self.values["dataset_slug"]
        if not slug or not SLUG.match(slug) or len(slug) > 80:
            self.add_error(
                None, _("The dataset identifier may hold only a-z, 0-9, '-' and '_' (up to 80).")
            )
        if not self.values["dataset_title"]:
            self.add_error(None, _("Give the dataset a title."))


# Step 4: check ---------------------------------------------------------------------------------


class CheckForm(forms.Form):
    """Start the import the dry run checked; features outside need the box ticked."""

    confirm_outside = TickedBox()

    def __init__(self, data, *, importable: bool, needs_confirm: bool):
        super().__init__(data)
        self.importable, self.needs_confirm = importable, needs_confirm

    def clean(self):
        data = super().clean()
        if not self.importable:
            self.add_error(None, _("Run the check again: the file cannot be imported as it is."))
        elif self.needs_confirm and not data["confirm_outside"]:
            self.add_error(
                None,
                _(
                    "Some features lie outside the municipality: tick the box to import them "
                    "anyway, or go back and check the coordinate system."
                ),
            )
        return data

"""Forms of the supervisors' field pages: an assignment, a conflict's merge, a correction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from layers.dengue.services import ROUND_REPORT_FIELDS
from layers.models import HouseSurvey, LarvalContainerType, SprayRound, SyncConflict


class AssignmentForm(forms.Form):
    volunteer = forms.TypedChoiceField(label=_("Volunteer"), coerce=int)
    place = forms.TypedChoiceField(label=_("Survey place"), coerce=int)
    zone_key = forms.ChoiceField(label=_("Spray zone (optional)"), required=False)
    round_number = forms.IntegerField(label=_("Round"), min_value=1, max_value=99, initial=1)

    def __init__(self, *args, volunteers, places, zones, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].choices = volunteers
        self.fields["place"].choices = places
        self.fields["zone_key"].choices = [
            ("", _("No zone: houses around the place")),
            *[(key, key) for key in zones],
        ]


def _number(value: str) -> int | str:
    """A typed count as a number, or the text itself for the service to refuse (never 0)."""
    value = value.strip()
    return int(value) if value.isdigit() and len(value) < 10 else value


def whole(value: str) -> int:
    """A whole number from a form field; 0 when it is not one (matches nothing)."""
    return int(value) if value.isdigit() and len(value) < 19 else 0


@dataclass(frozen=True)
class Row:
    label: str
    server: Any
    phone: Any
    name: str = ""
    """The merge input's name (empty: not editable)."""
    server_text: Any = None
    phone_text: Any = None
    """What people read for each side where it differs from the stored value (a status label)."""

    @property
    def server_shown(self) -> Any:
        return self.server if self.server_text is None else self.server_text

    @property
    def phone_shown(self) -> Any:
        return self.phone if self.phone_text is None else self.phone_text

    @property
    def differs(self) -> bool:
        """Whether the two versions differ on this row."""
        return self.server != self.phone


def _counts(record: Mapping[str, Any]) -> dict[tuple[int, str], tuple[int, int]]:
    return {
        (row["type"], row["location"]): (row["containers"], row["positive"])
        for row in record.get("containers", [])
    }


def side_by_side(conflict: SyncConflict) -> list[Row]:
    """The fields of both versions, one row each; container rows as containers/positive."""
    server, phone = conflict.server_record, conflict.phone_record
    if conflict.kind == SyncConflict.Kind.SPRAY_ROUND:
        return [
            Row(str(SprayRound._meta.get_field(name).verbose_name), server.get(name),
                phone.get(name), name)
            for name in ROUND_REPORT_FIELDS
        ]  # fmt: skip
    statuses = dict(HouseSurvey.Status.choices)
    names = dict(
        LarvalContainerType.objects.filter(municipality=conflict.municipality).values_list(
            "number", "name_th"
        )
    )
    rows = [
        Row(
            str(_("status")),
            server.get("status"),
            phone.get("status"),
            "status",
            server_text=statuses.get(server.get("status"), server.get("status")),
            phone_text=statuses.get(phone.get("status"), phone.get("status")),
        ),
        Row(str(_("surveyed at")), server.get("surveyed_at"), phone.get("surveyed_at")),
        Row(str(_("house number")), server.get("house_number"), phone.get("house_number")),
    ]
    ours, theirs = _counts(server), _counts(phone)
    for kind, location in sorted(set(ours) | set(theirs)):
        label = (
            f"{names.get(kind, kind)} ({_('indoors') if location == 'indoor' else _('outdoors')})"
        )
        rows.append(
            Row(
                label,
                "{}/{}".format(*ours.get((kind, location), (0, 0))),
                "{}/{}".format(*theirs.get((kind, location), (0, 0))),
                f"count_{kind}_{location}",
            )
        )
    return rows


def merged_record(post: Mapping[str, str], conflict: SyncConflict) -> dict[str, Any]:
    """The record a supervisor merged by editing the phone's version (checked by the service)."""
    if conflict.kind == SyncConflict.Kind.SPRAY_ROUND:
        merged: dict[str, Any] = {}
        for name in ROUND_REPORT_FIELDS:
            value = post.get(name, "")
            merged[name] = _number(value) if name.startswith("households_") else value
        return merged
    return {"status": post.get("status", ""), "containers": container_rows(post)}


def container_rows(post: Mapping[str, str]) -> list[dict[str, Any]]:
    """The `count_<type>_<location>` inputs ("containers/positive") as the phones send rows.

    Nothing is checked here: the sync's own checks (`layers.field.sync.survey_input`) refuse
    what is not a whole number, a known type or a place in or out.
    """
    rows = []
    for key, value in post.items():
        if not key.startswith("count_") or key.count("_") < 2:
            continue
        _prefix, kind, location = key.split("_", 2)
        containers, _slash, positive = value.partition("/")
        if not containers.strip() and not positive.strip():
            continue
        rows.append(
            {
                "type": _number(kind),
                "location": location,
                "containers": _number(containers or "0"),
                "positive": _number(positive or "0"),
            }
        )
    return rows


def correction_form(survey: HouseSurvey, post: Mapping[str, str] | None) -> list[Row]:
    """One editable row per container type, indoors and outdoors: the survey's counts."""
    names = LarvalContainerType.objects.filter(municipality=survey.municipality).values_list(
        "number", "name_th"
    )
    held = {
        (c.container_type.number, c.location): f"{c.containers}/{c.positive}"
        for c in survey.container_counts.select_related("container_type")
    }
    rows = []
    for number, name in sorted(names):
        for location, where in (("indoor", _("indoors")), ("outdoor", _("outdoors"))):
            key = f"count_{number}_{location}"
            value = post.get(key, "") if post is not None else held.get((number, location), "")
            rows.append(Row(f"{name} ({where})", held.get((number, location), ""), value, key))
    return rows


def record_text(record: Mapping[str, Any], names: Mapping[int, str]) -> str:
    """A logged survey record as an officer reads it: status, then type (place) n/positive."""
    status = dict(HouseSurvey.Status.choices).get(record.get("status", ""), "")
    rows = [
        f"{names.get(r['type'], r['type'])} "
        f"({_('indoors') if r['location'] == 'indoor' else _('outdoors')}) "
        f"{r['containers']}/{r['positive']}"
        for r in record.get("containers", [])
    ]
    return "; ".join([str(status), *rows])

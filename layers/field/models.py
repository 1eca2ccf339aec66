"""Read-only views of the larval surveys published through the OGC API (issue 18).

Two database views (migration 0024_field_office), each `security_invoker`, so the row-level
security of the survey tables applies to whoever reads them:

- `LarvalHouseVisit`: one feature per house visit with a location (the building's point,
  else its place's): place, round, day, status, counts, and whether it is a repeat (not
  counted). No surveyor, no house number. Read by health officers only (`view_cases_exact`).
- `LarvalPlaceRound`: one feature per survey place and round (at the place's point): the
  summed counts of its counted visits, HI, CI, BI and the risk level under the municipality's
  newest bands (TanRabad's without one). Read by every staff role that sees masked cases.

Both apply decision 0016's rule (the latest surveyed visit per house and round counts), as
`layers.field.sql` does.
"""

from __future__ import annotations

from django.contrib.gis.db import models
from django.utils.translation import gettext_lazy as _

WGS84 = 4326


class LarvalHouseVisit(models.Model):
    """A house visit as the health officers' API layer shows it (a database view)."""

    municipality = models.ForeignKey(
        "layers.Municipality", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    place = models.CharField(_("place"), max_length=200)
    place_type = models.CharField(_("kind of place"), max_length=20)
    round_number = models.PositiveSmallIntegerField(_("round"))
    surveyed_on = models.DateField(_("surveyed on"))
    status = models.CharField(_("status"), max_length=10)
    containers = models.IntegerField(_("containers"))
    containers_positive = models.IntegerField(_("containers with larvae"))
    is_repeat = models.BooleanField(_("repeat visit (not counted)"))
    geom = models.PointField(_("location"), srid=WGS84)

    class Meta:
        managed = False
        db_table = "layers_larvalhousevisit"
        verbose_name = _("larval survey house visit")
        verbose_name_plural = _("larval survey house visits")


class LarvalPlaceRound(models.Model):
    """The indices of one survey place in one round (a database view)."""

    municipality = models.ForeignKey(
        "layers.Municipality", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    place = models.CharField(_("place"), max_length=200)
    place_type = models.CharField(_("kind of place"), max_length=20)
    round_number = models.PositiveSmallIntegerField(_("round"))
    first_day = models.DateField(_("first day surveyed"))
    last_day = models.DateField(_("last day surveyed"))
    houses_surveyed = models.IntegerField(_("houses surveyed"))
    houses_positive = models.IntegerField(_("houses with larvae"))
    containers = models.IntegerField(_("containers"))
    containers_positive = models.IntegerField(_("containers with larvae"))
    houses_vacant = models.IntegerField(_("vacant houses"))
    houses_closed = models.IntegerField(_("closed houses"))
    houses_refused = models.IntegerField(_("refusals"))
    hi = models.FloatField(_("HI"), null=True)
    ci = models.FloatField(_("CI"), null=True)
    bi = models.FloatField(_("BI"), null=True)
    risk_level = models.CharField(_("risk level"), max_length=10, null=True)
    geom = models.PointField(_("location"), srid=WGS84)

    class Meta:
        managed = False
        db_table = "layers_larvalplaceround"
        verbose_name = _("larval indices per place and round")
        verbose_name_plural = _("larval indices per place and round")

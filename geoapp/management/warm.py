"""Fill the shared cache after a data change, in the job worker, before anyone asks.

A change bumps a layer version, which changes the keys of every result read from that layer
(`layers.caching`): the first page after it would compute everything again (the dengue
situation and map, the flood assessment and map: seconds on the demo machine). The job
worker, when its queue is empty, looks at the layer versions of every municipality and, where
they moved since it last looked, computes what the dashboards open with: today's dengue
situation, clusters, endemic channel and map; the flood assessment, tables and map of each hazard
kind as the page opens it (latest event, first depth raster, the DEM's default water level), in
each language. The pages then find them in the shared table. `manage.py warm_caches` does the
same once (after a deploy or an import).
"""

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, QueryDict
from django.utils import timezone, translation

from geoapp.dengue import pages as dengue_pages
from geoapp.flood import views as flood_views
from layers.dengue import selectors as dengue
from layers.dengue.channel import dengue_channel
from layers.flood import selectors as flood
from layers.models import LayerVersion, Municipality
from layers.tenancy import all_tenants_scope, tenant_scope

log = logging.getLogger(__name__)


def _page_request(query: str = "") -> HttpRequest:
    """A request carrying only what the pages' helpers read: the query and an empty nonce."""
    request = HttpRequest()
    request.GET = QueryDict(query)
    request.csp_nonce = ""  # type: ignore[attr-defined]  (the cached copy never has one)
    return request


def warm_dengue(municipality: Municipality) -> None:
    """Today's dengue situation, clusters, channel and dashboard map, in every language."""
    from geoapp.dengue.views import _dashboard_map  # the view's own key, not a copy of it

    today = timezone.localdate()
    situation = dengue.dengue_situation(municipality=municipality, on=today)
    dengue.cluster_summaries(situation)
    dengue_channel(municipality=municipality, on=today)
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            _context, frames = dengue_pages.dashboard_context(situation, as_of=today)
            _dashboard_map(_page_request(), situation, frames, as_of=today)


def warm_flood(municipality: Municipality) -> None:
    """The flood assessment, tables and map of each hazard kind at its default, every language."""
    inputs = flood_views._hazard_inputs(municipality)
    profile = flood.needs_profile_current(municipality=municipality)
    for kind in inputs.kinds:
        request = _page_request(f"hazard={kind}")
        hazard = flood_views._hazard_param(request, inputs)
        situation = flood.flood_situation(municipality=municipality, hazard=hazard, needs=profile)
        for language, _name in settings.LANGUAGES:
            with translation.override(language):
                flood_views._map_html(request, municipality, situation)
                flood_views._situation_tables(municipality, situation, profile)


def warm_municipality(municipality: Municipality) -> None:
    """Everything the dashboards of one municipality open with, in its tenant scope."""
    with tenant_scope(municipality_ids=[municipality.pk]):
        warm_dengue(municipality)
        warm_flood(municipality)


class Warmer:
    """Remembers the versions it warmed; `run()` warms the municipalities whose data moved."""

    def __init__(self) -> None:
        self.seen: dict[int, int] = {}

    def latest_versions(self) -> dict[int, int]:
        """Each municipality's newest layer version (one sequence for all: any change raises it)."""
        with all_tenants_scope(), connection.cursor() as cursor:
            cursor.execute(
                f"SELECT municipality_id, max(version) FROM {LayerVersion._meta.db_table} "
                "GROUP BY municipality_id"
            )
            return dict(cursor.fetchall())

    def run(self) -> int:
        """Warm what changed since the last run; the number of municipalities warmed."""
        latest = self.latest_versions()
        moved = [pk for pk, version in sorted(latest.items()) if self.seen.get(pk) != version]
        if not moved:
            return 0
        with all_tenants_scope():
            municipalities = list(Municipality.objects.filter(pk__in=moved).order_by("pk"))
        done = 0
        for municipality in municipalities:
            start = time.perf_counter()
            try:
                warm_municipality(municipality)
            except Exception:  # a page that cannot be built now is built by its first request
                log.exception("warming the caches of %s failed", municipality.code)
            else:
                done += 1
                log.info("warmed %s in %.1f s", municipality.code, time.perf_counter() - start)
            # Versions read before the warm-up: a change during it is warmed next time.
            self.seen[municipality.pk] = latest[municipality.pk]
        return done

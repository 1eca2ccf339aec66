"""The web site: tenancy, roles, pages and maps."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoappConfig(AppConfig):
    name = "geoapp"
    verbose_name = _("Municipal access")

    def ready(self) -> None:
        # Register the kinds of background job (geoapp.jobs.queue) in every process, worker or
        # web: the import (geoapp.imports.job) and the OGC processes (geoapp.jobs.processes).
        from geoapp.imports import job  # noqa: F401
        from geoapp.jobs import processes  # noqa: F401

"""The web site: tenancy, roles, pages and maps."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoappConfig(AppConfig):
    name = "geoapp"
    verbose_name = _("Municipal access")

    def ready(self) -> None:
        # Register the kinds of background job (geoapp.jobs) in every process, worker or web.
        from geoapp import job_kinds, processes  # noqa: F401

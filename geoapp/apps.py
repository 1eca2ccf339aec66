"""The web site: tenancy, roles, pages and maps."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class GeoappConfig(AppConfig):
    name = "geoapp"
    verbose_name = _("Municipal access")

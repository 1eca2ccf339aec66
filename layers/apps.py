"""Spatial layers, the dataset catalogue and the PostGIS queries over them."""

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LayersConfig(AppConfig):
    name = "layers"
    verbose_name = _("Data layers")

    def ready(self) -> None:
        # Before any request or job can open a user's file: GDAL keeps only the drivers we
        # accept and has no network (analysis/gdal_guard.py).
        from analysis.gdal_guard import gdal_guard

        gdal_guard()

"""A headless QGIS 3.22 session against a live Mueang, as GIS staff would use it.

Run by Debian's `/usr/bin/python3` (the interpreter Debian's `python3-qgis` is built for), never
imported by the test process: it takes its job as JSON on stdin and prints what QGIS saw as JSON
on stdout. It stores a Basic authentication configuration (login name + API token) in a fresh
QGIS authentication database (`QGIS_AUTH_DB_DIR_PATH`, set by the caller, with a master password
set here), then through that configuration only:

- opens the private collection with QGIS's OGC API - Features provider (`OAPIF`) and counts its
  features by reading every one;
- opens the landing page as `.../api` (no slash: the URL QGIS users type, which QGIS 3.22 does
  not redirect) with the same provider;
- opens the tile layer's XYZ vector tiles (`vectortile` provider) and renders a map of its data
  extent to a PNG with QgsMapRendererSequentialJob, counting the pixels that are not the
  background.
"""

from __future__ import annotations

import json
import sys

from qgis.core import (
    Qgis,
    QgsApplication,
    QgsAuthMethodConfig,
    QgsCoordinateReferenceSystem,
    QgsCoordinateTransform,
    QgsMapRendererSequentialJob,
    QgsMapSettings,
    QgsProject,
    QgsRectangle,
    QgsVectorLayer,
    QgsVectorTileLayer,
)
from qgis.PyQt.QtCore import QSize
from qgis.PyQt.QtGui import QColor

BACKGROUND = QColor(255, 255, 255)


def basic_auth_config(username: str, password: str) -> str:
    """The id of a stored Basic configuration (the auth database is new and empty)."""
    manager = QgsApplication.authManager()
    if not manager.setMasterPassword("mueang-test-master", True):
        raise SystemExit("QGIS could not set the master password of its auth database")
    config = QgsAuthMethodConfig()
    config.setMethod("Basic")
    config.setName("Mueang API token")
    config.setConfig("username", username)
    config.setConfig("password", password)
    if not manager.storeAuthenticationConfig(config)[0]:
        raise SystemExit("QGIS could not store the Basic configuration")
    return config.id()


def oapif_layer(api_url: str, collection_id: str, authcfg: str) -> QgsVectorLayer:
    uri = f"url='{api_url}' typename='{collection_id}' authcfg={authcfg} pagingEnabled='true'"
    return QgsVectorLayer(uri, collection_id, "OAPIF")


def render(layer: QgsVectorTileLayer, extent_crs84: list[float], png: str) -> int:
    """Pixels of the rendered map that are not the background."""
    crs84 = QgsCoordinateReferenceSystem("OGC:CRS84")
    web_mercator = QgsCoordinateReferenceSystem("EPSG:3857")
    to_map = QgsCoordinateTransform(crs84, web_mercator, QgsProject.instance())
    settings = QgsMapSettings()
    settings.setLayers([layer])
    settings.setDestinationCrs(web_mercator)
    settings.setOutputSize(QSize(512, 512))
    settings.setBackgroundColor(BACKGROUND)
    settings.setExtent(to_map.transformBoundingBox(QgsRectangle(*extent_crs84)))
    job = QgsMapRendererSequentialJob(settings)
    job.start()
    job.waitForFinished()
    image = job.renderedImage()
    image.save(png, "PNG")
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if QColor(image.pixel(x, y)) != BACKGROUND
    )


def session(job: dict) -> dict:
    """What QGIS reads and draws; its layers are gone when this returns."""
    authcfg = basic_auth_config(job["username"], job["password"])
    seen: dict = {"qgis": Qgis.version()}

    cases = oapif_layer(job["api"], job["collection"], authcfg)
    seen["collection_valid"] = cases.isValid()
    seen["features_read"] = sum(1 for _ in cases.getFeatures()) if cases.isValid() else -1
    seen["geometries"] = (
        sorted({f.geometry().type() for f in cases.getFeatures()}) if cases.isValid() else []
    )

    no_slash = oapif_layer(job["api"].rstrip("/"), job["collection"], authcfg)
    seen["no_slash_valid"] = no_slash.isValid()
    seen["no_slash_features_read"] = (
        sum(1 for _ in no_slash.getFeatures()) if no_slash.isValid() else -1
    )

    tiles_uri = f"type=xyz&url={job['tiles']}&zmin=0&zmax=14&authcfg={authcfg}"
    tiles = QgsVectorTileLayer(tiles_uri, "tiles")
    seen["tiles_valid"] = tiles.isValid()
    seen["painted_pixels"] = render(tiles, job["extent"], job["png"]) if tiles.isValid() else 0

    return seen


def main() -> None:
    job = json.load(sys.stdin)
    app = QgsApplication([], False)
    app.initQgis()
    seen = session(job)
    print(json.dumps(seen), flush=True)
    app.exitQgis()


if __name__ == "__main__":
    main()

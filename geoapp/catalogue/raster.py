"""The catalogue's raster datasets: metadata, a map preview from the overviews, the COG download.

Kept apart from `geoapp.catalogue.views` (which calls in here for datasets of kind raster): who
may read a dataset is decided there, exactly as for vector datasets, so a public raster is
downloadable under /open/<code>/ without a login and an internal one only by members.
"""

from __future__ import annotations

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from geoapp.web.maps import map_fragments
from geoapp.web.page_maps import map_assets
from geoapp.web.raster import ramp_legend_html, ramp_rgba, raster_map
from layers import selectors
from layers.models import Dataset, Municipality
from layers.rasters import raster_file, raster_preview

RASTER_FORMAT = "tif"


def is_raster(dataset: Dataset | None) -> bool:
    """Whether the catalogue handles the dataset here."""
    return dataset is not None and dataset.kind == Dataset.Kind.RASTER


#: Cell value types as officers read them (numpy's names otherwise).
DTYPE_LABELS = {
    "float32": gettext_lazy("decimal number (32-bit)"),
    "float64": gettext_lazy("decimal number (64-bit)"),
    "uint8": gettext_lazy("whole number 0 to 255"),
    "uint16": gettext_lazy("whole number 0 to 65,535"),
    "int16": gettext_lazy("whole number (16-bit)"),
    "int32": gettext_lazy("whole number (32-bit)"),
}


def _value(number: object, digits: int = 3) -> str:
    if number is None:
        return "–"
    if isinstance(number, str):
        return number
    return f"{float(number):,.{digits}f}".rstrip("0").rstrip(".")


def raster_rows(dataset: Dataset) -> list[tuple[str, str]]:
    """The raster's metadata as (label, value) rows for the dataset page."""
    meta = dataset.raster_metadata or {}
    if not meta:
        return []
    unit = "°" if meta.get("geographic") else " m"
    x, y = meta["resolution"]
    west, south, east, north = meta["bounds_wgs84"]
    rows = [
        # The EPSG registry's name of the system is an identifier: quoted as registered.
        (
            _("Coordinate system"),
            format_html(
                '{} (<span translate="no">{}</span>)', meta["crs"], meta.get("crs_name", "")
            ),
        ),
        (_("Size (cells)"), f"{meta['width']:,} x {meta['height']:,}"),
        (_("Cell size"), f"{_value(x, 6)}{unit}" if x == y else f"{_value(x)} x {_value(y)}{unit}"),
        (_("Bands"), str(meta["band_count"])),
        (_("Data type"), str(DTYPE_LABELS.get(meta["dtype"], meta["dtype"]))),
        (_("Value meaning no data"), _value(meta["nodata"])),
        (
            _("Extent (WGS 84)"),
            f"{_value(west, 5)}, {_value(south, 5)} – {_value(east, 5)}, {_value(north, 5)}",
        ),
        (
            _("Levels of overview images"),
            ", ".join(str(f) for f in meta.get("overviews", [])) or "–",
        ),
        (_("File size"), _("%(mb)s MB") % {"mb": _value(meta.get("file_bytes", 0) / 1e6, 2)}),
    ]
    for band in meta["bands"]:
        label = _("Band %(n)s") % {"n": band["band"]}
        units = f" {band['units']}" if band.get("units") else ""
        text = _("%(min)s to %(max)s%(units)s") % {
            "min": _value(band["min"]),
            "max": _value(band["max"]),
            "units": units,
        }
        if band.get("description"):
            # The file's own words for its band: data, quoted as the file has it.
            text = format_html('<span translate="no">{}</span>: {}', band["description"], text)
        if band.get("scale", 1) != 1 or band.get("offset", 0) != 0:
            text += " · " + _("scale %(scale)s, offset %(offset)s") % {
                "scale": _value(band["scale"]),
                "offset": _value(band["offset"]),
            }
        rows.append((label, text))
    return rows


def raster_dataset_context(
    request: HttpRequest, municipality: Municipality, dataset: Dataset
) -> dict[str, object]:
    """What the dataset page shows for a raster: metadata rows and the preview map."""
    context: dict[str, object] = {"raster": True, "raster_rows": raster_rows(dataset)}
    path = raster_file(dataset=dataset)
    meta = dataset.raster_metadata or {}
    if path is None or not meta:
        return context
    band = meta["bands"][0]
    low = band["min"] if band["min"] is not None else 0.0
    high = band["max"] if band["max"] is not None else 1.0
    # The preview shows values in units: the stored range is of raw values.
    low = low * band.get("scale", 1) + band.get("offset", 0)
    high = high * band.get("scale", 1) + band.get("offset", 0)
    preview = raster_preview(path)
    fmap = raster_map(
        boundary=selectors.boundary_frame(municipality=municipality),
        preview=preview,
        rgba=ramp_rgba(preview.values, low=low, high=high),
        name=dataset.title,
        legend=ramp_legend_html(
            band.get("description") or dataset.title,
            low=_value(low),
            high=_value(high),
            units=band.get("units", ""),
        ),
        attribution=dataset.attribution or municipality.name_th,
        assets=map_assets(),
        boundary_name=_("Municipal boundary"),
        basemap_url=settings.MUEANG_BASEMAP_URL,
        basemap_attribution=settings.MUEANG_BASEMAP_ATTRIBUTION,
        basemap_label=_("Basemap"),
    )
    context["map"] = map_fragments(fmap, script_nonce=request.csp_nonce)
    return context


def raster_downloads(dataset: Dataset, url_name: str) -> list[tuple[str, str]]:
    """The one download of a raster: its cloud-optimised GeoTIFF."""
    url = reverse(
        url_name,
        kwargs={"code": dataset.municipality.code, "slug": dataset.slug, "fmt": RASTER_FORMAT},
    )
    return [("GeoTIFF (COG)", url)]


def raster_export_response(dataset: Dataset, fmt: str) -> FileResponse:
    """The stored COG as a download; other formats, or a missing file, answer 404."""
    path = raster_file(dataset=dataset)
    if fmt != RASTER_FORMAT or path is None:
        raise Http404("No such dataset or format")
    return FileResponse(
        open(path, "rb"),
        as_attachment=True,
        filename=f"{dataset.municipality.code}-{dataset.slug}.tif",
        content_type="image/tiff; application=geotiff; profile=cloud-optimized",
    )

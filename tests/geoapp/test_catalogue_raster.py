"""Raster datasets in the catalogue: metadata, a preview drawn from the COG, the COG download.

The demo's GENERATED depth raster (`flood-depth-scenario-east`, imported by load_demo through
`layers.imports.raster`) is the dataset under test.
"""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
import rasterio
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext
from PIL import Image
from rasterio.io import MemoryFile

from fixtures import demo_city
from layers.imports.raster import raster_dataset_path
from layers.models import Dataset

NST = "nakhon-si-thammarat"
DEPTH = "flood-depth-scenario-east"


def client_for(username: str | None) -> Client:
    client = Client(HTTP_HOST="127.0.0.1")
    if username:
        client.force_login(get_user_model().objects.get(username=username))
    return client


def page_url(slug: str = DEPTH) -> str:
    return reverse("catalogue-dataset", kwargs={"code": NST, "slug": slug})


def export_url(fmt: str = "tif", slug: str = DEPTH, name: str = "catalogue-export") -> str:
    return reverse(name, kwargs={"code": NST, "slug": slug, "fmt": fmt})


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_dataset_page_shows_the_raster_metadata(db):
    response = client_for("nst-viewer").get(page_url())

    text = response.content.decode()
    assert response.status_code == 200
    assert "EPSG:32647" in text
    assert "UTM zone 47N" in text
    dataset = Dataset.objects.get(municipality__code=NST, slug=DEPTH)
    meta = dataset.raster_metadata
    assert f"{meta['width']:,} x {meta['height']:,}" in text
    assert "10 m" in text
    assert "-9,999" in text  # the nodata value
    with translation.override("th"):
        band_range = gettext("%(min)s to %(max)s%(units)s") % {"min": 0, "max": 2, "units": " m"}
    assert band_range in text  # min to max, with the band's units
    assert "ข้อมูลสร้างขึ้น" in text  # GENERATED, labelled


def test_the_preview_is_a_png_data_uri_coloured_by_value_with_a_legend(db):
    response = client_for("nst-viewer").get(page_url())

    text = response.content.decode()
    found = re.search(r'"data:image/png;base64,([A-Za-z0-9+/=]+)"', text)
    assert found, "the overlay image travels inside the page"
    image = Image.open(io.BytesIO(base64.b64decode(found.group(1)))).convert("RGBA")
    pixels = np.asarray(image)
    opaque = pixels[..., 3] > 0
    assert opaque.any()
    assert not opaque.all()
    colours = {tuple(p) for p in pixels[opaque][:, :3]}
    assert len(colours) > 5, "coloured by value, not a single colour"
    assert "mueang-raster-legend" in text
    assert "L.imageOverlay" in text
    assert "http://" not in re.sub(r"http://www\.w3\.org[^\"']*", "", text.split("<body")[1])


def test_export_downloads_the_cog_byte_for_byte(db):
    dataset = Dataset.objects.get(municipality__code=NST, slug=DEPTH)
    stored = raster_dataset_path(municipality_code=NST, slug=DEPTH)

    response = client_for("nst-viewer").get(export_url())

    data = body(response)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("image/tiff")
    assert f"{NST}-{DEPTH}.tif" in response["Content-Disposition"]
    assert data == stored.read_bytes()
    with MemoryFile(data) as memory, memory.open() as cog:
        assert cog.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert cog.crs.to_epsg() == 32647
        assert cog.nodata == demo_city.RASTER_NODATA
        values = cog.read(1)
    assert values.shape == (dataset.raster_metadata["height"], dataset.raster_metadata["width"])
    assert float(values[values != cog.nodata].max()) == pytest.approx(2.0, abs=0.01)


def test_a_raster_has_no_vector_formats(db):
    client = client_for("nst-admin")

    assert client.get(export_url("geojson")).status_code == 404
    assert client.get(export_url("gpkg")).status_code == 404
    assert client.get(export_url("tif", slug="roads-osm")).status_code == 404


def test_the_page_offers_the_cog_download(db):
    response = client_for("nst-viewer").get(page_url())

    assert response.context["downloads"] == [("GeoTIFF (COG)", export_url())]


def test_a_public_raster_downloads_without_login_an_internal_one_does_not(db):
    Dataset.objects.filter(municipality__code=NST, slug=DEPTH).update(
        visibility=Dataset.Visibility.PUBLIC
    )
    anonymous = client_for(None)
    open_url = export_url(name="open-dataset-export")

    response = anonymous.get(open_url)
    internal = anonymous.get(export_url(name="open-dataset-export", slug="dem-scenario-east"))
    listing = anonymous.get(reverse("open-datasets", kwargs={"code": NST})).content.decode()

    assert response.status_code == 200
    assert body(response) == raster_dataset_path(municipality_code=NST, slug=DEPTH).read_bytes()
    assert open_url in listing
    assert internal.status_code == 404


@pytest.mark.parametrize("username", ["chon-viewer", "chon-disaster", "chon-admin"])
def test_another_municipalitys_members_cannot_see_or_download_the_raster(db, username):
    client = client_for(username)

    assert client.get(page_url()).status_code in (403, 404)
    assert client.get(export_url()).status_code in (403, 404)


def test_anonymous_visitors_are_sent_to_log_in_for_the_members_download(db):
    response = client_for(None).get(export_url())

    assert response.status_code == 302


def test_the_stored_demo_depth_raster_is_a_cog_with_the_generated_values(db):
    with rasterio.open(raster_dataset_path(municipality_code=NST, slug=DEPTH)) as cog:
        assert cog.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert cog.units == ("m",)
        values = cog.read(1)
    city = Dataset.objects.get(municipality__code=NST, slug=DEPTH)
    assert city.is_generated
    assert city.raster_metadata["role"] == "depth"
    valid = values[values != demo_city.RASTER_NODATA]
    assert float(valid.min()) == 0.0
    assert float(valid.max()) == pytest.approx(2.0, abs=0.01)

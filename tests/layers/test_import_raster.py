"""GeoTIFF imports: a raster dataset stored as a cloud-optimised GeoTIFF, hostile files refused.

Each test writes its GeoTIFF with rasterio in tmp_path and imports it as a user would, through
`import_layer CODE dataset FILE.tif` or the service behind it.
"""

from __future__ import annotations

import zipfile

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from layers.imports import ImportLimits, ImportRefused, layer_import
from layers.imports.raster import raster_dataset_path
from layers.models import Dataset
from tests.layers.import_data import cli, database_state, vrt_text

CODE = "nakhon-si-thammarat"
# A 600 m x 400 m block in the middle of the town, in UTM 47N.
ORIGIN = (605_000.0, 931_500.0)
NODATA = -9999.0


@pytest.fixture
def media(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path / "media"


def depth_values(height: int = 40, width: int = 60) -> np.ndarray:
    """Depths in metres with a nodata corner; values vary so a shuffled copy would show."""
    rows, cols = np.mgrid[0:height, 0:width]
    depth = (rows * 0.05 + cols * 0.01).astype(np.float32)
    depth[:5, :7] = NODATA
    return depth


def write_tif(
    path,
    data: np.ndarray | None = None,
    *,
    crs: str | None = "EPSG:32647",
    origin=ORIGIN,
    cell_m: float = 10.0,
    units: str = "m",
    scale: float = 1.0,
    offset: float = 0.0,
    **profile,
):
    data = depth_values() if data is None else data
    height, width = data.shape
    options = {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": 1,
        "dtype": str(data.dtype),
        "transform": from_origin(*origin, cell_m, cell_m),
        "nodata": NODATA,
    }
    if crs is not None:
        options["crs"] = crs
    options.update(profile)
    with rasterio.open(path, "w", **options) as dst:
        dst.write(data, 1)
        dst.units = (units,)
        dst.scales = (scale,)
        dst.offsets = (offset,)
        dst.set_band_description(1, "flood depth")
    return path


def import_tif(nst, path, callbacks, **options):
    with callbacks(execute=True):
        return layer_import(municipality=nst, kind="dataset", path=path, **options)


def test_a_geotiff_in_utm_with_nodata_becomes_a_valid_cog(
    nst, media, tmp_path, django_capture_on_commit_callbacks
):
    source = write_tif(tmp_path / "depth-2569.tif", depth_values(700, 600), scale=0.5, offset=0.25)

    report = import_tif(nst, source, django_capture_on_commit_callbacks)

    stored = raster_dataset_path(municipality_code=CODE, slug="depth-2569")
    assert stored == media / "datasets" / CODE / "depth-2569.tif"
    assert report.created == 1
    assert report.written
    with rasterio.open(source) as original, rasterio.open(stored) as cog:
        assert cog.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
        assert cog.profile["tiled"]
        assert cog.block_shapes == [(512, 512)]
        assert cog.overviews(1), "a COG this size has overviews"
        assert cog.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"
        assert cog.crs == original.crs
        assert cog.crs.to_epsg() == 32647
        assert cog.transform == original.transform
        assert cog.nodata == NODATA
        assert cog.units == ("m",)
        assert cog.scales == (0.5,)
        assert cog.offsets == (0.25,)
        assert np.array_equal(cog.read(1), original.read(1))
    assert not list(stored.parent.glob(".*tmp*"))


def test_the_catalogue_entry_carries_the_raster_metadata(
    nst, media, tmp_path, django_capture_on_commit_callbacks
):
    data = depth_values()
    source = write_tif(tmp_path / "depth.tif", data)

    import_tif(nst, source, django_capture_on_commit_callbacks, dataset_title="ความลึกน้ำ")

    dataset = Dataset.objects.get(municipality=nst, slug="depth")
    meta = dataset.raster_metadata
    valid = data[data != NODATA]
    assert dataset.kind == Dataset.Kind.RASTER
    assert dataset.title == "ความลึกน้ำ"
    assert meta["crs"] == "EPSG:32647"
    assert meta["width"] == 60
    assert meta["height"] == 40
    assert meta["band_count"] == 1
    assert meta["resolution"] == [10.0, 10.0]
    assert meta["bounds"] == [ORIGIN[0], ORIGIN[1] - 400, ORIGIN[0] + 600, ORIGIN[1]]
    west, south, east, north = meta["bounds_wgs84"]
    assert 99.9 < west < east < 100.0
    assert 8.3 < south < north < 8.5
    assert meta["dtype"] == "float32"
    assert meta["nodata"] == NODATA
    band = meta["bands"][0]
    assert band["min"] == pytest.approx(float(valid.min()))
    assert band["max"] == pytest.approx(float(valid.max()))
    assert band["units"] == "m"
    assert band["description"] == "flood depth"
    assert band["valid_cells"] == valid.size
    assert meta["role"] == "depth"
    assert dataset.source_checksum == meta["checksum"]


def test_dry_run_converts_but_stores_nothing(nst, media, tmp_path):
    source = write_tif(tmp_path / "depth.tif")
    before = database_state()
    datasets = Dataset.objects.count()

    code, output = cli(CODE, "dataset", source, "--dry-run")

    assert code == 0, output
    assert "dry run" in output
    assert "Cloud-Optimised GeoTIFF" in output
    assert database_state() == before
    assert Dataset.objects.count() == datasets
    assert not (media / "datasets" / CODE).exists() or not any(
        (media / "datasets" / CODE).iterdir()
    )


def test_the_command_imports_a_geotiff_and_prints_the_report(nst, media, tmp_path):
    source = write_tif(tmp_path / "dem.tif", units="metre")

    code, output = cli(CODE, "dataset", source)

    assert code == 0, output
    assert "EPSG:32647" in output
    assert Dataset.objects.get(municipality=nst, slug="dem").raster_metadata["role"] == "dem"


def test_a_zipped_geotiff_is_unpacked_through_the_archive_checks(
    nst, media, tmp_path, django_capture_on_commit_callbacks
):
    source = write_tif(tmp_path / "depth.tif")
    archive = tmp_path / "depth-zipped.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(source, "folder/depth.tif")
        out.writestr("folder/readme.txt", "not data")

    report = import_tif(nst, archive, django_capture_on_commit_callbacks)

    assert report.created == 1
    with rasterio.open(media / "datasets" / CODE / "depth-zipped.tif") as cog:
        assert np.array_equal(cog.read(1), depth_values())


def test_a_zip_of_vector_data_with_a_map_image_beside_it_is_vector_data(tmp_path):
    from layers.imports.raster import is_raster_file

    scan = write_tif(tmp_path / "scan.tif")
    shapefile = tmp_path / "roads-with-scan.zip"
    with zipfile.ZipFile(shapefile, "w") as out:
        for suffix in (".shp", ".shx", ".dbf", ".prj"):
            out.writestr(f"roads{suffix}", b"")
        out.write(scan, "scanned-map.tif")
    mac = tmp_path / "depth-mac.zip"
    with zipfile.ZipFile(mac, "w") as out:
        out.writestr("points.geojson", '{"type": "FeatureCollection", "features": []}')
        out.write(scan, "__MACOSX/._points.tif")
    only_raster = tmp_path / "depth-only.zip"
    with zipfile.ZipFile(only_raster, "w") as out:
        out.write(scan, "depth.tif")
        out.writestr("depth.tfw", "10\n0\n0\n-10\n500000\n900000\n")

    assert not is_raster_file(shapefile)
    assert not is_raster_file(mac)
    assert is_raster_file(only_raster)


def test_reimporting_the_same_file_changes_nothing(
    nst, media, tmp_path, django_capture_on_commit_callbacks
):
    source = write_tif(tmp_path / "depth.tif")
    import_tif(nst, source, django_capture_on_commit_callbacks)
    updated = Dataset.objects.get(municipality=nst, slug="depth").updated_at

    report = import_tif(nst, source, django_capture_on_commit_callbacks)

    assert report.unchanged == 1
    assert report.created == 0
    assert Dataset.objects.get(municipality=nst, slug="depth").updated_at == updated


def test_crs_option_supplies_a_missing_crs(
    nst, media, tmp_path, django_capture_on_commit_callbacks
):
    source = write_tif(tmp_path / "no-crs.tif", crs=None)

    report = import_tif(nst, source, django_capture_on_commit_callbacks, crs="EPSG:32647")

    assert report.created == 1
    with rasterio.open(media / "datasets" / CODE / "no-crs.tif") as cog:
        assert cog.crs.to_epsg() == 32647


def test_reimporting_the_same_file_with_a_corrected_crs_updates_it(
    nst, media, tmp_path, django_capture_on_commit_callbacks
):
    source = write_tif(tmp_path / "no-crs.tif", crs=None)
    # First with the wrong zone (it lands 650 km east, so it needed confirming) ...
    import_tif(
        nst, source, django_capture_on_commit_callbacks, crs="EPSG:32648", confirm_outside=True
    )

    # ... then the same file again with the right one.
    report = import_tif(nst, source, django_capture_on_commit_callbacks, crs="EPSG:32647")

    assert report.updated == 1
    assert report.unchanged == 0
    with rasterio.open(media / "datasets" / CODE / "no-crs.tif") as cog:
        assert cog.crs.to_epsg() == 32647


# Hostile and broken files: a clear reason in Thai and English, nothing written.


def refused(*args: object, expect: list[str]) -> str:
    before = database_state()
    datasets = Dataset.objects.count()
    code, output = cli(CODE, *args)
    assert code == 1, output
    assert "Traceback" not in output
    for fragment in expect:
        assert fragment in output, output
    assert database_state() == before
    assert Dataset.objects.count() == datasets
    return output


def test_missing_crs_without_the_option_is_refused_with_suggestions(nst, media, tmp_path):
    source = write_tif(tmp_path / "no-crs.tif", crs=None)

    refused(
        "dataset",
        source,
        expect=["no-crs.tif", "ไฟล์ไม่มีระบบพิกัด", "has no coordinate system", "EPSG:32647"],
    )


def test_a_vrt_reading_etc_passwd_is_refused(nst, media, tmp_path):
    vrt = tmp_path / "secrets.vrt"
    vrt.write_text(vrt_text("/etc/passwd"), encoding="utf-8")

    output = refused("dataset", vrt, expect=["secrets.vrt", "GDAL", "ไม่รับไฟล์"])

    assert "root:" not in output


def test_a_raster_vrt_renamed_to_tif_is_refused_before_gdal_opens_it(nst, media, tmp_path):
    renamed = tmp_path / "innocent.tif"
    renamed.write_text(
        '<VRTDataset rasterXSize="10" rasterYSize="10"><VRTRasterBand dataType="Byte" band="1">'
        "<SimpleSource><SourceFilename>/etc/passwd</SourceFilename></SimpleSource>"
        "</VRTRasterBand></VRTDataset>",
        encoding="utf-8",
    )

    refused(
        "dataset",
        renamed,
        expect=["innocent.tif", "is not a GeoTIFF file", "ไม่ใช่ไฟล์ GeoTIFF", "no TIFF header"],
    )


def test_a_vrt_inside_a_zip_is_refused(nst, media, tmp_path):
    archive = tmp_path / "rasters.zip"
    with zipfile.ZipFile(archive, "w") as out:
        out.write(write_tif(tmp_path / "depth.tif"), "depth.tif")
        out.writestr("depth.vrt", vrt_text("/etc/passwd"))

    refused("dataset", archive, expect=["depth.vrt", "GDAL"])


def test_a_text_file_named_tif_is_refused(nst, media, tmp_path):
    fake = tmp_path / "photo.tif"
    fake.write_text("hello, this is not an image", encoding="utf-8")

    refused("dataset", fake, expect=["photo.tif", "ไม่ใช่ไฟล์ GeoTIFF", "is not a GeoTIFF"])


def test_absurd_declared_dimensions_are_refused_before_reading_pixels(nst, media, tmp_path):
    # A sparse GeoTIFF declaring 100,000 x 100,000 cells is a few kilobytes on disk.
    huge = tmp_path / "huge.tif"
    with rasterio.open(
        huge,
        "w",
        driver="GTiff",
        width=100_000,
        height=100_000,
        count=1,
        dtype="float32",
        crs="EPSG:32647",
        transform=from_origin(*ORIGIN, 0.1, 0.1),
        tiled=True,
        sparse_ok=True,
        compress="deflate",
    ):
        pass
    assert huge.stat().st_size < 50 * 1024 * 1024

    refused(
        "dataset",
        huge,
        expect=["huge.tif", "100000 x 100000", "the limit is", "จำกัดไว้ที่"],
    )


def test_a_side_beyond_the_limit_is_refused(nst, media, tmp_path):
    wide = write_tif(tmp_path / "wide.tif", np.zeros((2, 300), dtype=np.float32))

    with pytest.raises(ImportRefused) as refusal:
        layer_import(
            municipality=nst,
            kind="dataset",
            path=wide,
            limits=ImportLimits(max_raster_side=200),
        )

    assert refusal.value.issues[0].code == "raster_too_wide"
    assert "at most 200" in str(refusal.value)


def test_a_raster_far_from_the_municipality_is_refused_unless_confirmed(
    nst, media, tmp_path, django_capture_on_commit_callbacks
):
    bangkok = write_tif(tmp_path / "bangkok.tif", origin=(665_000.0, 1_520_000.0))

    refused("dataset", bangkok, expect=["bangkok.tif", "does not touch the municipality"])
    report = import_tif(nst, bangkok, django_capture_on_commit_callbacks, confirm_outside=True)

    assert report.created == 1
    assert report.outside == 1


def test_a_geotiff_into_a_vector_layer_is_refused(nst, media, tmp_path):
    source = write_tif(tmp_path / "depth.tif")

    refused("flood_zones", source, expect=["KIND dataset", "ต้องนำเข้าเป็นชนิด dataset"])


def test_a_raster_without_georeferencing_is_refused(nst, media, tmp_path):
    plain = tmp_path / "scan.tif"
    with rasterio.open(
        plain, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8"
    ) as dst:
        dst.write(np.ones((4, 4), dtype=np.uint8), 1)

    refused("dataset", plain, expect=["scan.tif", "no georeferencing", "ไม่มีการอ้างอิงพิกัด"])

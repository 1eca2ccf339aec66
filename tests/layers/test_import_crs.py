"""Coordinate systems: Indian 1975 goes to WGS 84 by the pinned EPSG:1812 transformation.

The expected WGS 84 position of the known point is computed here independently of PROJ's
pipeline: inverse UTM on the Everest 1830 (1937 adjustment) ellipsoid, then geodetic ->
geocentric, the 7-parameter position-vector Helmert of EPSG:1812 "Indian 1975 to WGS 84 (4)"
(tx 293 m, ty 836 m, tz 318 m, rx 0.5", ry 1.6", rz -2.8", ds 2.1 ppm; Thailand onshore,
accuracy 3 m), and geocentric -> geodetic on WGS 84. PROJ's best available transformation for
Thailand is the same operation, which the last test checks too.
"""

from __future__ import annotations

import math

import geopandas as gpd
import numpy as np
import pytest
import shapely
from pyproj import CRS, Geod, Proj, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.transformer import TransformerGroup

from layers.imports import ImportRefused, layer_import
from layers.imports.crs import transformation_to_wgs84
from layers.models import Landmark
from tests.layers.import_data import cli, landmarks_frame, write_shapefile_zip

# A point in Nakhon Si Thammarat in Indian 1975 / UTM zone 47N (EPSG:24047), metres.
KNOWN_E, KNOWN_N = 605740.00, 931587.00
EVEREST_1937 = (6377276.345, 300.8017)  # a, 1/f
WGS84_ELLIPSOID = (6378137.0, 298.257223563)
EPSG_1812 = {"tx": 293.0, "ty": 836.0, "tz": 318.0, "rx": 0.5, "ry": 1.6, "rz": -2.8, "ds": 2.1}
WGS84_GEOD = Geod(ellps="WGS84")


def _geocentric(lon: float, lat: float, a: float, inverse_f: float) -> np.ndarray:
    e2 = (1 / inverse_f) * (2 - 1 / inverse_f)
    lam, phi = math.radians(lon), math.radians(lat)
    n = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
    return np.array(
        [
            n * math.cos(phi) * math.cos(lam),
            n * math.cos(phi) * math.sin(lam),
            n * (1 - e2) * math.sin(phi),
        ]
    )


def _geodetic(xyz: np.ndarray, a: float, inverse_f: float) -> tuple[float, float]:
    e2 = (1 / inverse_f) * (2 - 1 / inverse_f)
    x, y, z = xyz
    p = math.hypot(x, y)
    phi = math.atan2(z, p * (1 - e2))
    for _ in range(10):
        n = a / math.sqrt(1 - e2 * math.sin(phi) ** 2)
        h = p / math.cos(phi) - n
        phi = math.atan2(z, p * (1 - e2 * n / (n + h)))
    return math.degrees(math.atan2(y, x)), math.degrees(phi)


def indian_1975_utm_to_wgs84(easting: float, northing: float, zone: int) -> tuple[float, float]:
    """EPSG:1812 by hand (position vector convention), for an Indian 1975 / UTM point."""
    lon, lat = Proj(proj="utm", zone=zone, ellps="evrst30")(easting, northing, inverse=True)
    xyz = _geocentric(lon, lat, *EVEREST_1937)
    arcsec = math.pi / (180 * 3600)
    rx, ry, rz = (EPSG_1812[k] * arcsec for k in ("rx", "ry", "rz"))
    rotation = np.array([[1, -rz, ry], [rz, 1, -rx], [-ry, rx, 1]])
    shifted = (
        np.array([EPSG_1812["tx"], EPSG_1812["ty"], EPSG_1812["tz"]])
        + (1 + EPSG_1812["ds"] * 1e-6) * rotation @ xyz
    )
    return _geodetic(shifted, *WGS84_ELLIPSOID)


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> float:
    return WGS84_GEOD.inv(a[0], a[1], b[0], b[1])[2]


def known_point_shapefile(tmp_path, *, prj: str):
    frame = gpd.GeoDataFrame(
        {"id": ["k1"], "ชื่อ": ["หมุดหลักฐาน"]},
        geometry=[shapely.Point(KNOWN_E, KNOWN_N)],
        crs="EPSG:24047",
    )
    return write_shapefile_zip(frame, tmp_path / "benchmark.zip", prj=prj, crs="EPSG:24047")


def test_indian_1975_point_lands_where_epsg_1812_puts_it_about_600_m_from_a_naive_reading(
    nst, tmp_path
):
    path = known_point_shapefile(tmp_path, prj="esri")  # ESRI-style .prj, as ArcGIS writes it

    report = layer_import(municipality=nst, kind="landmarks", path=path, id_field="id")

    stored = Landmark.objects.get(municipality=nst, source_id="k1").geom
    expected = indian_1975_utm_to_wgs84(KNOWN_E, KNOWN_N, zone=47)
    naive = Transformer.from_crs("EPSG:32647", "EPSG:4326", always_xy=True).transform(
        KNOWN_E, KNOWN_N
    )
    assert "EPSG:24047" in report.crs
    assert "EPSG:1812" in report.transformation
    assert distance_m((stored.x, stored.y), expected) < 0.01
    assert 550 < distance_m(expected, naive) < 700  # the datum shift the import must not miss
    assert 550 < distance_m((stored.x, stored.y), naive) < 700


def test_crs_option_overrides_a_wrong_prj(nst, tmp_path):
    # The .prj claims WGS 84 / UTM 47N, but the surveyor's coordinates are Indian 1975.
    frame = gpd.GeoDataFrame(
        {"id": ["k1"]}, geometry=[shapely.Point(KNOWN_E, KNOWN_N)], crs="EPSG:32647"
    )
    path = write_shapefile_zip(frame, tmp_path / "wrong-prj.zip")

    report = layer_import(
        municipality=nst, kind="landmarks", path=path, crs="EPSG:24047", id_field="id"
    )

    stored = Landmark.objects.get(municipality=nst, source_id="k1").geom
    assert distance_m((stored.x, stored.y), indian_1975_utm_to_wgs84(KNOWN_E, KNOWN_N, 47)) < 0.01
    assert any(note.code == "crs_overridden" for note in report.notes)


def test_shapefile_without_prj_asks_for_a_crs_and_suggests_the_utm_options(nst, tmp_path):
    path = known_point_shapefile(tmp_path, prj=None)

    code, output = cli("nakhon-si-thammarat", "landmarks", path)

    assert code == 1
    assert "ไฟล์ไม่มีระบบพิกัด ระบุด้วย --crs" in output
    assert "the file has no coordinate system; give one with --crs" in output
    assert "EPSG:24047 (Indian 1975 / UTM zone 47N)" in output
    assert "EPSG:32647 (WGS 84 / UTM zone 47N)" in output

    code, output = cli("nakhon-si-thammarat", "landmarks", path, "--crs", "EPSG:24047")
    assert code == 0, output


def test_indian_1975_utm_48n_uses_the_same_pinned_transformation():
    # Ubon Ratchathani, east of 102°E: Indian 1975 / UTM zone 48N.
    easting, northing = 480000.0, 1685000.0
    to_wgs84 = transformation_to_wgs84(CRS.from_epsg(24048))

    lon, lat = to_wgs84(np.array([[easting, northing]]))[0]

    assert distance_m((lon, lat), indian_1975_utm_to_wgs84(easting, northing, zone=48)) < 0.01


@pytest.mark.parametrize("code", [24047, 24048, 4240])
def test_pinned_transformation_is_pyprojs_best_available_for_thailand(code):
    best = TransformerGroup(
        CRS.from_epsg(code),
        CRS.from_epsg(4326),
        always_xy=True,
        area_of_interest=AreaOfInterest(99.9, 8.4, 100.0, 8.5),
    ).transformers[0]
    assert "Indian 1975 to WGS 84 (4)" in best.description  # = EPSG:1812
    assert "EPSG:1812" in transformation_to_wgs84(CRS.from_epsg(code)).description


def test_a_datum_with_only_a_ballpark_transformation_in_thailand_is_refused():
    with pytest.raises(ImportRefused) as refused:
        transformation_to_wgs84(CRS.from_epsg(4230))  # ED50

    assert "EPSG:4326" in str(refused.value)


@pytest.mark.parametrize(
    "text", ["+proj=utm +zone=47 +init=/etc/passwd", "http://x/crs", "nonsense"]
)
def test_crs_option_accepts_only_authority_codes_and_wkt(nst, tmp_path, text):
    path = write_shapefile_zip(landmarks_frame(1), tmp_path / "p.zip")

    with pytest.raises(ImportRefused) as refused:
        layer_import(municipality=nst, kind="landmarks", path=path, crs=text)

    assert "unknown coordinate system" in str(refused.value)

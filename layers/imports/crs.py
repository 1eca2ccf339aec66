"""Coordinate systems of imported files and the transformation of their coordinates to WGS 84.

The usual Thai CRSs are WGS 84 (EPSG:4326), WGS 84 / UTM 47N and 48N (EPSG:32647, 32648) and the
older Indian 1975 / UTM 47N and 48N (EPSG:24047, 24048). Indian 1975 lies about 600 m from WGS 84
in Thailand, and PROJ also knows a zero-shift "ballpark" operation between the two datums: a
transformer picked carelessly (or a `.prj` whose datum PROJ cannot pin down) would store every
feature 600 m off without a word. So the datum step is chosen explicitly here:

- Indian 1975 -> WGS 84 uses EPSG:1812 ("Indian 1975 to WGS 84 (4)", 7-parameter position
  vector, Thailand onshore, accuracy 3 m); municipalities are onshore.
- any other datum uses PROJ's best transformation for Thailand, and a ballpark-only one is
  refused.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyproj import CRS, Transformer
from pyproj.aoi import AreaOfInterest
from pyproj.exceptions import CRSError, ProjError
from pyproj.transformer import TransformerGroup

from layers.imports.messages import quoted, refuse

WGS84 = CRS.from_epsg(4326)
THAILAND = AreaOfInterest(west_lon_degree=97.3, south_lat_degree=5.6, east_lon_degree=105.7,
                          north_lat_degree=20.5)  # fmt: skip
INDIAN_1975_DATUM = ("EPSG", "6240")
INDIAN_1975_TO_WGS84 = ("EPSG", "1812")
# The CRSs offered when a file has none, by the municipality's UTM zone.
SUGGESTED = {
    32647: ("EPSG:32647", "EPSG:24047", "EPSG:4326"),
    32648: ("EPSG:32648", "EPSG:24048", "EPSG:4326"),
}
MAX_PROJECTED_M = 1e8  # no projected coordinate on Earth is anywhere near this
CONFIDENCE = 70  # pyproj's identification confidence for `.prj` files


@dataclass(frozen=True)
class CrsChoice:
    """The CRS data is read in, where it came from, and how it goes to WGS 84."""

    crs: CRS
    origin: str  # "file", "--crs", "assumed"
    file_crs: CRS | None = None

    @property
    def label(self) -> str:
        """'EPSG:24047 Indian 1975 / UTM zone 47N' or the CRS name."""
        code = self.crs.to_epsg(min_confidence=CONFIDENCE)
        return f"EPSG:{code} {self.crs.name}" if code else self.crs.name


def crs_parse(text: str, *, file: str = "") -> CRS:
    """A CRS from user input ('EPSG:24047', '24047', WKT); refuse anything else."""
    cleaned = text.strip()
    if cleaned.isdigit():
        cleaned = f"EPSG:{cleaned}"
    # Only authority codes and WKT: PROJ strings and URLs could ask PROJ to read files.
    if not (cleaned.upper().startswith(("EPSG:", "ESRI:", "OGC:")) or cleaned[:1].isalpha()):
        raise refuse("crs_invalid", file=file, crs=quoted(text))
    if "+" in cleaned.split("[", 1)[0] or "://" in cleaned:
        raise refuse("crs_invalid", file=file, crs=quoted(text))
    try:
        return CRS.from_user_input(cleaned)
    except CRSError:
        raise refuse("crs_invalid", file=file, crs=quoted(text)) from None


def crs_identify(crs: CRS) -> CRS:
    """The EPSG CRS a file's CRS (often an ESRI `.prj`) stands for, if PROJ is confident."""
    code = crs.to_epsg(min_confidence=CONFIDENCE)
    if code is None:
        return crs
    return CRS.from_epsg(code)


def crs_choose(*, file_crs: str | None, given: str | None, file: str) -> CrsChoice | None:
    """The CRS to read with: `--crs` wins over the file (old `.prj` files can be wrong)."""
    found = crs_identify(CRS.from_user_input(file_crs)) if file_crs else None
    if given:
        return CrsChoice(crs_identify(crs_parse(given, file=file)), "--crs", file_crs=found)
    if found is not None:
        return CrsChoice(found, "file")
    return None


def _datum_id(crs: CRS) -> tuple[str, str] | None:
    datum = crs.geodetic_crs.datum if crs.geodetic_crs else None
    if datum is None:
        return None
    identifier = datum.to_json_dict().get("id")
    if identifier:
        return (str(identifier["authority"]), str(identifier["code"]))
    name = datum.name.lower().replace("_", " ")
    if "indian" in name and "1975" in name:
        return INDIAN_1975_DATUM  # ESRI writes D_Indian_1975
    if name in ("wgs 1984", "d wgs 1984", "world geodetic system 1984"):
        return ("EPSG", "6326")
    return None


def _operation_ids(transformer: Transformer) -> set[tuple[str, str]]:
    ids = set()
    for operation in transformer.operations or ():
        identifier = operation.to_json_dict().get("id")
        if identifier:
            ids.add((str(identifier["authority"]), str(identifier["code"])))
    return ids


def _is_ballpark(transformer: Transformer) -> bool:
    return "ballpark" in transformer.description.lower() or transformer.accuracy in (None, -1)


@dataclass(frozen=True)
class ToWgs84:
    """A coordinate transformation to WGS 84 lon/lat, with what it is (for the report)."""

    transformer: Transformer | None  # None: already WGS 84
    description: str

    def __call__(self, xy: np.ndarray) -> np.ndarray:
        """Transform an (n, 2) array of x/y (lon/lat for geographic CRSs)."""
        if self.transformer is None:
            return xy
        x, y = self.transformer.transform(xy[:, 0], xy[:, 1], errcheck=False)
        return np.column_stack([x, y])


def transformation_to_wgs84(crs: CRS, *, file: str = "") -> ToWgs84:
    """The transformation of `crs` coordinates to WGS 84 lon/lat, with the datum step pinned."""
    if (
        crs.is_geographic
        and crs.geodetic_crs
        and crs.geodetic_crs.equals(WGS84, ignore_axis_order=True)
    ):
        return ToWgs84(None, "none (already WGS 84)")
    datum = _datum_id(crs)
    try:
        if datum == ("EPSG", "6326"):
            transformer = Transformer.from_crs(crs, WGS84, always_xy=True)
            return ToWgs84(transformer, "map projection only (WGS 84 datum)")
        group = TransformerGroup(crs, WGS84, always_xy=True, area_of_interest=THAILAND)
    except (CRSError, ProjError):
        raise refuse("crs_no_transformation", file=file, crs=quoted(crs.name)) from None
    if datum == INDIAN_1975_DATUM:
        pinned = [t for t in group.transformers if INDIAN_1975_TO_WGS84 in _operation_ids(t)]
        if not pinned:
            raise refuse("crs_no_transformation", file=file, crs=quoted(crs.name))
        return ToWgs84(pinned[0], "EPSG:1812 Indian 1975 to WGS 84 (4), accuracy 3 m")
    usable = [t for t in group.transformers if not _is_ballpark(t)]
    if not usable:
        raise refuse("crs_no_transformation", file=file, crs=quoted(crs.name))
    best = usable[0]
    return ToWgs84(best, f"{best.description} (accuracy {best.accuracy} m)")


def coordinate_limit(crs: CRS) -> float:
    """The largest absolute coordinate that can be real in `crs` (degrees or metres)."""
    return 360.0 if crs.is_geographic else MAX_PROJECTED_M


def crs_suggestions(
    *, bounds: tuple[float, float, float, float] | None, metric_srid: int
) -> list[str]:
    """CRSs to offer when a file has none: WGS 84 for degrees, else the zone's UTM options."""
    if bounds is not None and all(np.isfinite(bounds)):
        xmin, ymin, xmax, ymax = bounds
        if -180 <= xmin <= xmax <= 180 and -90 <= ymin <= ymax <= 90:
            return ["EPSG:4326"]
    return list(SUGGESTED.get(metric_srid, SUGGESTED[32647]))


def crs_describe(code: str) -> str:
    """'EPSG:24047 (Indian 1975 / UTM zone 47N)'."""
    return f"{code} ({CRS.from_user_input(code).name})"

"""Coordinate reference systems: pick the metric CRS a Thai municipality measures in."""

from __future__ import annotations

UTM_47N = 32647
UTM_48N = 32648
UTM_ZONE_BOUNDARY_LON = 102.0


def metric_epsg_for(longitude: float) -> int:
    """Return the UTM zone EPSG code (47N or 48N) used for distances at a Thai longitude.

    Parameters
    ----------
    longitude : float
        Longitude in degrees east (WGS 84).

    Returns
    -------
    int
        32647 west of 102°E, 32648 from 102°E eastwards.

    Examples
    --------
    >>> metric_epsg_for(99.96)
    32647
    >>> metric_epsg_for(102.8)
    32648
    """
    return UTM_47N if longitude < UTM_ZONE_BOUNDARY_LON else UTM_48N

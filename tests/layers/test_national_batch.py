"""national_batch and national_snapshot on the demo database: one file per municipality."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from geopandas.testing import assert_geodataframe_equal

from analysis.national import LAYERS
from layers.models import Building, DengueCase, FloodZone, Municipality, Road
from layers.national import PostgisSource, batch_municipalities

pytestmark = pytest.mark.django_db
CODES = ("chon-buri", "nakhon-si-thammarat")


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("analysis", ["spray-plan", "radius", "flood-exposure"])
def test_the_command_writes_one_file_per_demo_municipality(analysis, db, tmp_path):
    out, err = run("national_batch", analysis, "--out", str(tmp_path), "--permutations", "19")
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{c}.parquet" for c in CODES]
    assert "2/2" in err  # the progress bar
    assert f"{analysis}: 2 computed, 0 already there, 2 municipalities" in out
    for code in CODES:
        assert set(pd.read_parquet(tmp_path / f"{code}.parquet")["municipality"]) <= {code}
    again, _ = run("national_batch", analysis, "--out", str(tmp_path), "--json")
    assert json.loads(again)["skipped"] == 2


def test_each_partition_holds_only_its_own_municipalitys_rows(db):
    source = PostgisSource()
    for municipality in batch_municipalities():
        part = source.load(municipality, LAYERS)
        for model, layer in (
            (Building, "buildings"),
            (Road, "roads"),
            (DengueCase, "cases"),
            (FloodZone, "flood_zones"),
        ):
            own = set(
                model.objects.filter(municipality_id=municipality.municipality_id).values_list(
                    "id", flat=True
                )
            )
            assert set(part.frames[layer]["id"]) == own
            assert part.frames[layer].crs.to_epsg() == municipality.epsg
        assert max(len(part.frames["buildings"]), 1) == municipality.weight


def test_a_snapshot_and_dask_give_what_postgis_in_one_process_gives(db, tmp_path):
    run("national_batch", "spray-plan", "--out", str(tmp_path / "db"))
    run("national_snapshot", "--out", str(tmp_path / "snap"))
    assert len(list((tmp_path / "snap").glob("*.parquet"))) == 2 * len(LAYERS) + 1
    run(
        "national_batch",
        "spray-plan",
        "--from-snapshot",
        str(tmp_path / "snap"),
        "--workers",
        "2",
        "--out",
        str(tmp_path / "dask"),
    )
    zones = 0
    for code in CODES:
        want = gpd.read_parquet(tmp_path / "db" / f"{code}.parquet")
        got = gpd.read_parquet(tmp_path / "dask" / f"{code}.parquet")
        assert_geodataframe_equal(got, want, check_less_precise=False)
        zones += len(want)
    assert zones > 0  # Nakhon Si Thammarat has cases; Chon Buri has none


def test_one_municipality_and_unknown_codes(db, tmp_path):
    run("national_batch", "radius", "--municipalities", "chon-buri", "--out", str(tmp_path))
    assert [p.name for p in tmp_path.iterdir()] == ["chon-buri.parquet"]
    with pytest.raises(CommandError, match="no municipality with code nowhere"):
        run("national_batch", "radius", "--municipalities", "nowhere", "--out", str(tmp_path))
    with pytest.raises(CommandError, match="carry no larval survey rows"):
        run("national_batch", "larval-indices", "--out", str(tmp_path))
    assert Municipality.objects.filter(code__in=CODES).count() == 2

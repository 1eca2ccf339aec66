"""national_batch and national_snapshot on the demo database: one file per municipality."""

from __future__ import annotations

import io
import json

import geopandas as gpd
import pandas as pd
import pytest
from django.core.management import CommandError, call_command
from geopandas.testing import assert_geodataframe_equal

from analysis.national import ALL_PLACES, LARVAL_INDEX_COLUMNS, LAYERS
from layers.field.selectors import larval_indices_for
from layers.models import Building, DengueCase, FloodZone, HouseSurvey, Municipality, Road
from layers.national import PostgisSource, batch_municipalities
from layers.tenancy import tenant_scope
from tests.layers.test_field_larval import random_surveys, surveys_clear

pytestmark = pytest.mark.django_db
CODES = ("chon-buri", "nakhon-si-thammarat")


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


@pytest.mark.parametrize("analysis", ["spray-plan", "radius", "flood-exposure", "larval-indices"])
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
    with pytest.raises(CommandError, match="invalid choice: 'larval'"):
        run("national_batch", "larval", "--out", str(tmp_path))
    assert Municipality.objects.filter(code__in=CODES).count() == 2


COUNTS = ["houses_surveyed", "houses_positive", "containers", "containers_positive"]
COUNTS += ["houses_vacant", "houses_refused", "houses_closed", "houses_without_containers"]


def test_larval_indices_from_postgis_are_the_municipalitys_own(nst, chon, tmp_path):
    surveys_clear(nst)  # the demo's generated surveys: this test counts its own
    surveys_clear(chon)
    with tenant_scope(municipality_ids=[nst.pk]):
        random_surveys(nst, seed=23)  # 60 houses, 3 places, 2 rounds, repeats, every status
    assert HouseSurvey.objects.filter(municipality=chon).count() == 0
    out, _ = run("national_batch", "larval-indices", "--out", str(tmp_path))
    assert "larval-indices: 2 computed" in out
    got = pd.read_parquet(tmp_path / "nakhon-si-thammarat.parquet")
    assert list(got.columns) == list(LARVAL_INDEX_COLUMNS)
    with tenant_scope(municipality_ids=[nst.pk]):
        by_round = larval_indices_for(municipality=nst, by="round")
        by_place_type = larval_indices_for(municipality=nst, by="place_type")
    whole = got[got["place_type"] == ALL_PLACES].reset_index(drop=True)
    assert whole["round"].tolist() == [int(value) for value, _ in by_round.groups] == [1, 2]
    for row, (_, want) in zip(whole.to_dict("records"), by_round.groups, strict=True):
        assert [row[name] for name in COUNTS] == [getattr(want, name) for name in COUNTS]
        assert (row["hi"], row["ci"], row["bi"]) == (want.hi, want.ci, want.bi)
        repeats = [v for v in by_round.repeat_visits if v.round == str(row["round"])]
        assert row["repeat_visits"] == len(repeats)
    assert whole["repeat_visits"].sum() == len(by_round.repeat_visits) > 0
    typed = got[got["place_type"] != ALL_PLACES].groupby("place_type")[COUNTS].sum()
    assert typed.index.tolist() == [value for value, _ in by_place_type.groups]
    for value, want in by_place_type.groups:
        assert typed.loc[value].tolist() == [getattr(want, name) for name in COUNTS]
    # Chon Buri has no surveys: a file of the same columns and no rows, no error.
    empty = pd.read_parquet(tmp_path / "chon-buri.parquet")
    assert empty.empty
    assert empty.dtypes.astype(str).to_dict() == LARVAL_INDEX_COLUMNS


def test_larval_surveys_go_into_the_snapshot_and_give_the_same_indices(nst, tmp_path):
    surveys_clear(nst)
    with tenant_scope(municipality_ids=[nst.pk]):
        random_surveys(nst, seed=5)
    run("national_batch", "larval-indices", "--out", str(tmp_path / "db"))
    run("national_snapshot", "--out", str(tmp_path / "snap"))
    run(
        "national_batch",
        "larval-indices",
        "--from-snapshot",
        str(tmp_path / "snap"),
        "--workers",
        "2",
        "--out",
        str(tmp_path / "dask"),
    )
    for code in CODES:
        want = pd.read_parquet(tmp_path / "db" / f"{code}.parquet")
        got = pd.read_parquet(tmp_path / "dask" / f"{code}.parquet")
        pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert len(pd.read_parquet(tmp_path / "db" / "nakhon-si-thammarat.parquet")) > 0

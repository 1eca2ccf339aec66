"""National batches: Dask gives the single-process answer, whatever the partitioning or failures."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from geopandas.testing import assert_geodataframe_equal

from analysis.larval import larval_indices as larval_survey_indices
from analysis.national import (
    ALL_PLACES,
    ANALYSES,
    LARVAL_DTYPES,
    LARVAL_INDEX_COLUMNS,
    BatchParams,
    PartitionInput,
    SnapshotSource,
    balanced_groups,
    larval_frame,
    larval_indices,
    makespan_s,
    municipality_seed,
    run_national,
    simulated_efficiency,
    spray_plan,
)
from fixtures.nation import NationSource, nation_municipalities, nation_snapshot_write, unit_frames

SEED = 7
SCALE = 0.002  # 15 units, 40,000 buildings, about 200 cases
PARAMS = BatchParams(permutations=49)
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def units():
    return nation_municipalities(scale=SCALE, seed=SEED)


@pytest.fixture(scope="module")
def client():
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with Client(cluster) as connected:
        yield connected
    cluster.close()


@pytest.fixture(scope="module")
def reference(units, tmp_path_factory):
    """Each analysis run in this process, one municipality after another."""
    out = {}
    for name in ANALYSES:
        folder = tmp_path_factory.mktemp(f"single-{name}")
        summary = run_national(
            name, units, out_dir=folder, source=NationSource(SEED), params=PARAMS
        )
        assert summary.done == len(units)
        out[name] = folder
    return out


def read(path: Path) -> pd.DataFrame:
    frame = pd.read_parquet(path)
    return gpd.read_parquet(path) if "geometry" in frame.columns else frame


def assert_same_outputs(folder: Path, expected: Path) -> None:
    names = sorted(p.name for p in folder.iterdir())
    assert names == sorted(p.name for p in expected.iterdir())
    for name in names:
        got, want = read(folder / name), read(expected / name)
        if isinstance(want, gpd.GeoDataFrame):
            assert_geodataframe_equal(got, want, check_less_precise=False)
        else:
            pd.testing.assert_frame_equal(got, want, check_exact=True)


def test_the_synthetic_nation_has_what_each_analysis_reads(units, reference):
    assert len(units) == 15
    assert sum(u.weight for u in units) == pytest.approx(40_000, rel=0.01)
    assert {u.epsg for u in units} == {32647, 32648}
    spray = pd.concat(pd.read_parquet(p) for p in reference["spray-plan"].iterdir())
    assert spray["n_cases"].sum() > 100
    assert spray["n_buildings"].sum() > 0
    radius = pd.concat(pd.read_parquet(p) for p in reference["radius"].iterdir())
    assert radius["n_cases"].max() >= 30  # at least one town runs its permutations
    flood = pd.concat(pd.read_parquet(p) for p in reference["flood-exposure"].iterdir())
    assert set(flood["layer"]) == {"building", "road"}
    assert flood["affected"].any()
    assert (flood["wet_length_m"] > 0).any()
    larval = pd.concat(pd.read_parquet(p) for p in reference["larval-indices"].iterdir())
    whole = larval[larval["place_type"] == ALL_PLACES]
    assert len(whole) == 2 * len(units)  # two rounds everywhere
    assert set(larval["place_type"]) == {ALL_PLACES, "community", "religious", "school"}
    assert whole["houses_surveyed"].min() >= 30
    assert (whole["repeat_visits"] > 0).all()
    assert (whole[["houses_vacant", "houses_closed", "houses_refused"]].sum() > 0).all()
    ci = whole["containers_positive"].sum() / whole["containers"].sum()
    assert 0.005 < ci < 0.05  # a few percent of containers hold larvae


def test_a_unit_is_the_same_whatever_was_generated_before(units):
    again = unit_frames(units[3], seed=SEED)
    for name, frame in unit_frames(units[3], seed=SEED).items():
        if isinstance(frame, gpd.GeoDataFrame):
            assert_geodataframe_equal(frame, again[name])
        else:
            pd.testing.assert_frame_equal(frame, again[name], check_exact=True)


@pytest.mark.parametrize("analysis", sorted(ANALYSES))
def test_dask_on_two_workers_equals_one_process(analysis, units, client, reference, tmp_path):
    summary = run_national(
        analysis, units, out_dir=tmp_path, source=NationSource(SEED), params=PARAMS, client=client
    )
    assert (summary.done, summary.skipped, summary.workers) == (len(units), 0, 2)
    assert_same_outputs(tmp_path, reference[analysis])


@pytest.mark.parametrize("analysis", sorted(ANALYSES))
def test_random_partitionings_change_nothing(analysis, units, client, reference, tmp_path):
    rng = np.random.default_rng(len(analysis))
    order = list(rng.permutation([u.code for u in units]))
    cuts = sorted(rng.choice(np.arange(1, len(order)), size=5, replace=False))
    groups = [list(g) for g in np.split(np.array(order, dtype=object), cuts)]
    run_national(
        analysis,
        units,
        out_dir=tmp_path,
        source=NationSource(SEED),
        params=PARAMS,
        client=client,
        groups=groups,
    )
    assert_same_outputs(tmp_path, reference[analysis])


def test_a_rerun_computes_only_the_missing_files(units, client, reference, tmp_path):
    run_national("spray-plan", units, out_dir=tmp_path, source=NationSource(SEED))
    deleted = {units[1].code, units[-1].code}
    for code in deleted:
        (tmp_path / f"{code}.parquet").unlink()
    kept = {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir()}
    seen = []
    summary = run_national(
        "spray-plan",
        units,
        out_dir=tmp_path,
        source=NationSource(SEED),
        client=client,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert set(summary.task_s) == deleted
    assert (summary.skipped, summary.total) == (len(units) - 2, len(units))
    assert seen == [(1, 2), (2, 2)]
    assert {p.name: p.stat().st_mtime_ns for p in tmp_path.iterdir() if p.name in kept} == kept
    assert all((tmp_path / f"{code}.parquet").exists() for code in deleted)
    assert_same_outputs(tmp_path, reference["spray-plan"])


def spray_plan_dying_once(part: PartitionInput, params: BatchParams, *, marker: Path, code: str):
    """The spray plan, except that the first worker to reach `code` dies on the spot."""
    if part.municipality.code == code and not marker.exists():
        marker.touch()
        os._exit(1)
    return spray_plan(part, params)


def test_a_worker_killed_mid_run_changes_nothing(units, client, reference, tmp_path):
    marker = tmp_path / "killed"
    victim = units[len(units) // 2].code
    out = tmp_path / "out"
    summary = run_national(
        functools.partial(spray_plan_dying_once, marker=marker, code=victim),
        units,
        out_dir=out,
        source=NationSource(SEED),
        params=BatchParams(),
        client=client,
    )
    assert marker.exists()  # a worker really died, inside the task of `victim`
    assert summary.done == len(units)
    assert_same_outputs(out, reference["spray-plan"])
    client.wait_for_workers(2, timeout=30)


def test_a_snapshot_gives_the_same_answers_as_generating(units, reference, tmp_path):
    snapshot = tmp_path / "snapshot"
    nation_snapshot_write(snapshot, scale=SCALE, seed=SEED)
    assert len(list(snapshot.glob("*.cases.parquet"))) == len(units)
    assert len(list(snapshot.glob("*.larval.parquet"))) == len(units)
    for analysis in ("spray-plan", "larval-indices"):
        out = tmp_path / analysis
        run_national(analysis, units, out_dir=out, source=SnapshotSource(snapshot))
        assert_same_outputs(out, reference[analysis])


def test_larval_indices_of_a_municipality_are_analysis_larval_on_its_rows(units, reference):
    for unit in units[:4]:
        rows = unit_frames(unit, seed=SEED)["larval"]
        got = pd.read_parquet(reference["larval-indices"] / f"{unit.code}.parquet")
        assert list(got.columns) == list(LARVAL_INDEX_COLUMNS)
        for place_type, subset in [(ALL_PLACES, rows), *rows.groupby("place_type")]:
            survey = larval_survey_indices(subset, by="round")
            mine = got[got["place_type"] == place_type].reset_index(drop=True)
            assert mine["round"].tolist() == [int(value) for value, _ in survey.groups]
            for row, (_, want) in zip(mine.itertuples(), survey.groups, strict=True):
                assert row.houses_surveyed == want.houses_surveyed
                assert row.houses_positive == want.houses_positive
                assert row.containers == want.containers
                assert row.containers_positive == want.containers_positive
                assert (row.hi, row.ci, row.bi) == (want.hi, want.ci, want.bi)
                assert (row.houses_vacant, row.houses_refused, row.houses_closed) == (
                    want.houses_vacant,
                    want.houses_refused,
                    want.houses_closed,
                )
                assert row.houses_without_containers == want.houses_without_containers
                repeats = [v for v in survey.repeat_visits if v.round == str(row.round)]
                assert row.repeat_visits == len(repeats)
        typed = got[got["place_type"] != ALL_PLACES].groupby("round")
        whole = got[got["place_type"] == ALL_PLACES].set_index("round")
        counts = ["houses_surveyed", "containers", "containers_positive", "repeat_visits"]
        pd.testing.assert_frame_equal(typed[counts].sum(), whole[counts], check_exact=True)


def test_a_municipality_without_surveys_gives_no_rows(units):
    empty = larval_frame()
    assert empty.dtypes.astype(str).to_dict() == LARVAL_DTYPES
    out = larval_indices(PartitionInput(units[0], {"larval": empty}), PARAMS)
    assert out.empty
    assert out.dtypes.astype(str).to_dict() == LARVAL_INDEX_COLUMNS


def test_a_snapshot_without_survey_files_reads_as_no_surveys(units, tmp_path):
    nation_snapshot_write(tmp_path, scale=SCALE, seed=SEED)
    (tmp_path / f"{units[0].code}.larval.parquet").unlink()
    source = SnapshotSource(tmp_path)
    assert source.load(units[0], ("larval",)).frames["larval"].empty
    written = source.load(units[1], ("larval",)).frames["larval"]
    pd.testing.assert_frame_equal(
        written, unit_frames(units[1], seed=SEED)["larval"], check_exact=True
    )


def test_groups_must_name_every_municipality_once(units, tmp_path):
    with pytest.raises(ValueError, match="exactly once"):
        run_national(
            "radius",
            units,
            out_dir=tmp_path,
            source=NationSource(SEED),
            groups=[[units[0].code]],
        )


def test_seeds_are_per_municipality_and_groups_balance_by_weight(units):
    assert municipality_seed(1, 2) == municipality_seed(1, 2) != municipality_seed(1, 3)
    groups = balanced_groups(units, 4)
    weight = {u.code: u.weight for u in units}
    loads = [sum(weight[c] for c in g) for g in groups]
    assert sorted(c for g in groups for c in g) == sorted(weight)
    assert max(loads) - min(loads) <= max(weight.values())


def test_simulated_scaling_from_task_times():
    assert makespan_s([4, 3, 3, 2], 2) == 6.0
    assert simulated_efficiency([1.0] * 64, 8) == 1.0
    assert simulated_efficiency([10.0] + [1.0] * 10, 10) == pytest.approx(2.0 / 10.0)


def test_the_generator_imports_no_django():
    code = "import sys, fixtures.nation, analysis.national; print('django' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def test_a_municipalitys_own_container_type_numbers_are_counted(units):
    rows = unit_frames(units[0], seed=SEED)["larval"]
    own = rows.copy()
    own.loc[own["container_type"] == 3, "container_type"] = 13  # a type only this town lists
    assert (own["container_type"] == 13).any()
    want = larval_indices(PartitionInput(units[0], {"larval": rows}), PARAMS)
    got = larval_indices(PartitionInput(units[0], {"larval": own}), PARAMS)
    pd.testing.assert_frame_equal(got, want, check_exact=True)

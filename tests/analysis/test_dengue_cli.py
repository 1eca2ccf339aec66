"""`python -m analysis dengue-radius | dengue-clusters | spray-zones`: files in, JSON out."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from analysis.cli import main
from fixtures.dengue_sim import TransmissionParams, simulate_dengue_cases

ROOT = Path(__file__).resolve().parents[2]
UTM47 = "EPSG:32647"


@pytest.fixture(scope="module")
def cases() -> gpd.GeoDataFrame:
    params = TransmissionParams(
        step_max_m=100, offspring_mean=0.5, offspring_dispersion=100, background_cases_per_week=20
    )
    frame = simulate_dengue_cases(
        area=box(600_000, 900_000, 610_000, 910_000),
        crs=UTM47,
        start_date="2024-01-01",
        days=365,
        params=params,
        seed=11,
    )
    frame["x"], frame["y"] = frame.geometry.x, frame.geometry.y
    wgs84 = frame.to_crs(4326)
    frame["lon"], frame["lat"] = wgs84.geometry.x, wgs84.geometry.y
    frame["day"] = (frame["onset_date"] - frame["onset_date"].min()).dt.days
    return frame


@pytest.fixture(scope="module")
def cases_csv(cases, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "cases.csv"
    cases.drop(columns="geometry").to_csv(path, index=False)
    return path


@pytest.fixture(scope="module")
def cases_gpkg(cases, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("cli") / "cases.gpkg"
    cases[["case_id", "onset_date", "geometry"]].to_crs(4326).to_file(path)
    return path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


RADIUS_OPTIONS = ("--permutations", "99", "--seed", "5", "--json")


def test_dengue_radius_json_has_the_documented_shape(capsys, cases_csv):
    code, out, _ = run(
        capsys,
        "dengue-radius",
        cases_csv,
        "--x-col",
        "x",
        "--y-col",
        "y",
        "--crs",
        UTM47,
        "--time-col",
        "onset_date",
        *RADIUS_OPTIONS,
    )

    assert code == 0
    payload = json.loads(out)
    assert payload["evidence"] == "sufficient"
    assert payload["radius_m_90"] == 100
    assert payload["n_cases"] > 1000
    assert isinstance(payload["clustering_end_m"], float)
    assert len(payload["rings"]) == 100
    assert {"from_m", "to_m", "observed", "expected", "envelope_high"} <= set(payload["rings"][0])
    assert payload["crs"] == UTM47


def test_dengue_radius_backtest_adds_the_documented_list_and_the_advice(capsys, cases_csv):
    code, out, _ = run(
        capsys,
        "dengue-radius",
        cases_csv,
        "--x-col",
        "x",
        "--y-col",
        "y",
        "--crs",
        UTM47,
        "--time-col",
        "onset_date",
        "--report-col",
        "report_date",
        "--backtest",
        *RADIUS_OPTIONS,
    )

    assert code == 0
    payload = json.loads(out)
    assert payload["radius_m_90"] == 100  # the ring analysis is unchanged by --backtest
    keys = {"radius_m", "covered", "secondary", "share", "share_low", "share_high", "area_km2",
            "share_per_km2"}  # fmt: skip
    rows = {row["radius_m"]: row for row in payload["backtest"]}
    assert all(keys <= set(row) for row in rows.values())
    assert {50.0, 100.0, 200.0} <= set(rows)
    assert rows[100.0]["share_low"] <= rows[100.0]["share"] <= rows[100.0]["share_high"]
    assert rows[100.0]["share_per_km2"] > rows[200.0]["share_per_km2"]
    assert rows[50.0]["share"] < rows[100.0]["share"]
    assert payload["advice"]["radius_m"] == 100
    assert payload["advice"]["reason"] in ("policy_holds", "wider_not_confirmed")


def test_a_missing_report_column_fails_with_a_clear_message(capsys, cases_csv):
    code, _, err = run(
        capsys, "dengue-radius", cases_csv, "--x-col", "x", "--y-col", "y", "--crs", UTM47,
        "--time-col", "onset_date", "--report-col", "reported", "--backtest", *RADIUS_OPTIONS,
    )  # fmt: skip

    assert code == 2
    assert "reported" in err


def test_lon_lat_days_and_vector_files_give_the_same_answer(capsys, cases_csv, cases_gpkg):
    by_xy = run(
        capsys,
        "dengue-radius",
        cases_csv,
        "--x-col",
        "x",
        "--y-col",
        "y",
        "--crs",
        UTM47,
        "--time-col",
        "onset_date",
        *RADIUS_OPTIONS,
    )
    by_lonlat = run(
        capsys,
        "dengue-radius",
        cases_csv,
        "--lon-col",
        "lon",
        "--lat-col",
        "lat",
        "--time-col",
        "day",
        *RADIUS_OPTIONS,
    )
    by_file = run(capsys, "dengue-radius", cases_gpkg, "--time-col", "onset_date", *RADIUS_OPTIONS)

    answers = [json.loads(result[1]) for result in (by_xy, by_lonlat, by_file)]
    keys = ("radius_m_80", "radius_m_90", "clustering_end_m", "evidence", "n_cases", "n_pairs")
    assert {tuple(a[k] for k in keys) for a in answers} == {tuple(answers[0][k] for k in keys)}
    assert answers[1]["crs"] == answers[2]["crs"] == UTM47  # UTM 47N chosen from the longitude


def test_the_human_summary_without_json(capsys, cases_gpkg):
    code, out, _ = run(
        capsys,
        "dengue-radius",
        cases_gpkg,
        "--time-col",
        "onset_date",
        "--permutations",
        "19",
        "--seed",
        "1",
    )

    assert code == 0
    assert "recommended radius: 100 m (80%), 100 m (90%)" in out


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--x-col", "x", "--y-col", "y", "--crs", "EPSG:4326"], "not a projected CRS in metres"),
        (["--x-col", "x", "--y-col", "y"], "--crs is required"),
        (["--x-col", "x", "--y-col", "north", "--crs", UTM47], "no column 'north' (--y-col)"),
        (["--x-col", "x"], "--x-col and --y-col go together"),
        (["--x-col", "x", "--y-col", "y", "--lon-col", "lon", "--lat-col", "lat"], "not both"),
        (["--lon-col", "x", "--lat-col", "y"], "out of range"),
        (["--x-col", "x", "--y-col", "y", "--crs", "EPSG:999999"], "is not a CRS"),
        ([], "has no geometry"),
    ],
)
def test_bad_coordinates_fail_with_a_clear_message(capsys, cases_csv, options, message):
    code, out, err = run(capsys, "dengue-radius", cases_csv, "--time-col", "day", *options)

    assert code == 2
    assert out == ""
    assert message in err
    assert err.startswith("error: ")


@pytest.mark.parametrize(
    ("time_col", "message"),
    [("onset", "no column 'onset' (--time-col)"), ("diagnosis", "not dates or numbers of days")],
)
def test_bad_onsets_fail_with_a_clear_message(capsys, cases_csv, time_col, message):
    code, _, err = run(
        capsys,
        "dengue-radius",
        cases_csv,
        "--x-col",
        "x",
        "--y-col",
        "y",
        "--crs",
        UTM47,
        "--time-col",
        time_col,
    )

    assert code == 2
    assert message in err


def test_a_missing_file_fails_cleanly(capsys, tmp_path):
    code, _, err = run(capsys, "dengue-radius", tmp_path / "none.csv", "--time-col", "day")

    assert code == 2
    assert "no such file" in err


def test_dengue_clusters_writes_geojson_with_cluster_ids(capsys, cases_gpkg, tmp_path):
    out_file = tmp_path / "clusters.geojson"

    code, _, err = run(
        capsys, "dengue-clusters", cases_gpkg, "--time-col", "onset_date", "--out", out_file
    )

    assert code == 0
    labelled = gpd.read_file(out_file)
    assert labelled.crs.to_epsg() == 4326
    assert {"case_id", "onset_date", "cluster_id"} <= set(labelled.columns)
    assert (labelled["cluster_id"] >= 0).any()
    assert f"{len(labelled)} cases" in err


def test_spray_zones_to_stdout_without_case_ids(capsys, cases_csv):
    code, out, _ = run(
        capsys,
        "spray-zones",
        cases_csv,
        "--lon-col",
        "lon",
        "--lat-col",
        "lat",
        "--time-col",
        "onset_date",
        "--radius-m",
        "150",
        "--as-of",
        "2024-12-01",
    )

    assert code == 0
    collection = json.loads(out)
    properties = collection["features"][0]["properties"]
    assert set(properties) == {
        "zone_id",
        "n_cases",
        "first_onset",
        "last_onset",
        "closes_on",
        "active",
        "area_m2",
    }
    assert properties["first_onset"] == "2024-01-01"
    assert any(f["properties"]["active"] for f in collection["features"])


def test_spray_zones_with_day_numbers_needs_a_day_number_as_of(capsys, cases_csv):
    code, _, err = run(
        capsys,
        "spray-zones",
        cases_csv,
        "--x-col",
        "x",
        "--y-col",
        "y",
        "--crs",
        UTM47,
        "--time-col",
        "day",
        "--as-of",
        "2024-12-01",
    )

    assert code == 2
    assert "--as-of must be a day number" in err


def test_python_dash_m_analysis_runs_the_subcommand(cases_gpkg):
    """The real entry point, as an analyst types it."""
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "analysis",
            "dengue-radius",
            str(cases_gpkg),
            "--time-col",
            "onset_date",
            "--permutations",
            "19",
            "--seed",
            "2",
            "--json",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )

    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["radius_m_90"] == 100

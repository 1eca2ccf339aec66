"""The worked notebooks run headless, top to bottom, and produce their results."""

import json
from functools import cache
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

from analysis.dengue import (
    RecordedRound,
    radius_advice,
    recommended_radius,
    rolling_backtest,
    round_cycle,
    round_on_plan,
    spray_zones,
    zone_contents,
)
from fixtures import demo_city

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


@cache
def execute(path: Path):
    """Run the notebook once per test session (both tests read the same run)."""
    notebook = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(
        notebook,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    client.execute()
    return notebook


def stream_text(notebook) -> str:
    return "".join(
        output.get("text", "")
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream"
    )


@pytest.mark.parametrize("path", sorted(NOTEBOOKS.glob("*.ipynb")), ids=lambda p: p.stem)
def test_notebook_runs_without_errors(path):
    notebook = execute(path)
    errors = [
        output
        for cell in notebook.cells
        if cell.cell_type == "code"
        for output in cell.get("outputs", [])
        if output.get("output_type") == "error"
    ]
    assert not errors


def test_flood_bathtub_notebook_computes_a_flooded_area():
    notebook = execute(NOTEBOOKS / "flood_bathtub_khlongtoei.ipynb")
    last = stream_text(notebook).strip().splitlines()[-1]
    result = json.loads(last)
    assert result["flooded_area_m2"] > 0
    assert sum(result["area_by_class_m2"].values()) == result["flooded_area_m2"]
    assert result["connected_cells"] <= result["threshold_cells"]


def last_json(notebook) -> dict:
    """The notebook's key numbers: the JSON it prints last."""
    return json.loads(stream_text(notebook).strip().splitlines()[-1])


@cache
def demo_city_frames():
    """The demo city, its generated cases and its buildings in its metric CRS (no database)."""
    city = demo_city.nakhon_si_thammarat(NOTEBOOKS.parent / "fixtures" / "data")
    cases = city.dengue_cases.to_crs(city.metric_epsg)
    for column in ("onset_date", "report_date"):
        cases[column] = pd.to_datetime(cases[column])
    return city, cases, city.buildings.to_crs(city.metric_epsg)


def test_radius_backtest_notebook_supports_the_true_step_and_keeps_100_m_on_the_demo():
    result = last_json(execute(NOTEBOOKS / "dengue_radius_backtest.ipynb"))

    step_100, step_200 = result["simulated"]["100"], result["simulated"]["200"]
    assert (step_100["supported_m"], step_100["verdict"]) == (100, "policy")
    assert step_100["steps"]["125"] == "not worth it"  # a wider radius loses
    assert (step_200["supported_m"], step_200["verdict"]) == (200, "wider")
    assert all(step_200["steps"][r] == "worth it" for r in ("125", "150", "200"))
    assert step_200["steps"]["300"] != "worth it"
    shuffled = result["shuffled"]
    assert (shuffled["evidence"], shuffled["supported_m"]) == ("insufficient", 100)
    assert "worth it" not in shuffled["steps"].values()
    demo = result["demo"]
    # The radius page: the ring analysis suggests wider, the backtest keeps the policy.
    assert demo["candidate_m"] > 100
    assert (demo["supported_m"], demo["reason"]) == (100, "wider_not_confirmed")


def test_radius_backtest_notebook_demo_numbers_match_the_analysis_run_directly():
    result = last_json(execute(NOTEBOOKS / "dengue_radius_backtest.ipynb"))["demo"]
    city, cases, households = demo_city_frames()
    rings = recommended_radius(cases, permutations=199, seed=2569)
    radii = (50.0, 100.0, 150.0, 200.0, float(rings.radius_m_80), float(rings.radius_m_90))
    town = gpd.GeoSeries([city.boundary], crs=demo_city.WGS84).to_crs(city.metric_epsg)
    backtest = rolling_backtest(
        cases,
        households,
        radii_m=radii,
        round_days=(0, 7),
        report_col="report_date",
        seed=2569,
        boundary=town.union_all(),
    )
    advice = radius_advice(rings, backtest)

    assert result["candidate_m"] == advice.candidate_m
    assert result["supported_m"] == advice.radius_m == backtest.supported_m
    assert result["n_follow_on"] == backtest.n_follow_on


def test_spray_plan_notebook_counts_zones_and_rounds_like_the_analysis():
    result = last_json(execute(NOTEBOOKS / "dengue_spray_plan.ipynb"))
    _, cases, buildings = demo_city_frames()
    on = cases["report_date"].max().date()
    zones = spray_zones(cases, radius_m=100, active_days=28, as_of=on, id_col="source_id")
    active = zones[zones["active"]]
    latest_report = {
        zone_id: max(cases.loc[cases["source_id"].isin(ids), "report_date"]).date()
        for zone_id, ids in zip(zones["zone_id"], zones["case_ids"], strict=True)
    }
    statuses: dict[str, list[str]] = {"nothing": [], "on_time": []}
    upcoming = 0
    for zone_id in active["zone_id"]:
        cycle = round_cycle(anchor=latest_report[zone_id], round_days=(0, 7), recorded=[])
        done = [RecordedRound(n, p, p) for n, p, _ in cycle if p < on]
        for name, recorded in (("nothing", []), ("on_time", done)):
            entry = round_on_plan(
                round_cycle(anchor=latest_report[zone_id], round_days=(0, 7), recorded=recorded),
                on=on,
            )
            if entry is not None:
                statuses[name].append(entry.status)
        upcoming += sum(0 <= (p - on).days <= 7 for _, p, _ in cycle)

    assert result["on"] == on.isoformat()
    assert (result["n_cases"], result["zones"]) == (len(cases), len(zones))
    assert result["active_zones"] == len(active) > 0
    assert result["active_zone_ids"] == [int(z) for z in active["zone_id"]]
    for name, key in (("nothing", "plan_nothing_recorded"), ("on_time", "plan_rounds_on_time")):
        counted = {s: statuses[name].count(s) for s in ("due", "overdue", "done")}
        assert result[key] == counted
    assert result["plan_rounds_on_time"]["overdue"] == 0
    assert result["rounds_next_7_days"] == upcoming
    households = zone_contents(active, households=buildings)["n_households"].sum()
    assert result["households_exact"] == households
    assert result["area_exact_km2"] == round(float(active["area_m2"].sum()) / 1e6, 4)


def test_spray_plan_notebook_prints_zones_that_cover_the_rule_and_hide_the_house():
    result = last_json(execute(NOTEBOOKS / "dengue_spray_plan.ipynb"))

    assert result["printed_holds_exact"]
    assert result["min_hidden_among"] >= 50
    assert result["area_printed_km2"] > result["area_exact_km2"]
    assert result["households_printed"] >= result["households_exact"]

"""The endemic channel of a municipality on a date: what is usual for each week, and the alert.

The channel (DESIGN.md section 3) comes from the municipality's own cases when its records
reach back five epidemiological years before the first week shown; else from its province's
monthly series in OpenDengue (``MUEANG_DATA_DIR/opendengue``, the latest five years it has),
spread over the weeks and scaled by the municipality's share of the province's registered
population (``opendengue/provinces.csv``: the crosswalk from our province names to OpenDengue's,
with each province's population and its source). Without either, there is no channel, and
`DengueChannel.missing` says why. The science is in `analysis.dengue.channel`.

Callers check `Action.VIEW_CASES_EXACT` first, as for the epidemic curve.
"""

from __future__ import annotations

import csv
import functools
import hashlib
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd
from django.conf import settings

from analysis.dengue import (
    CHANNEL_YEARS,
    ChannelAlert,
    channel_alert,
    endemic_channel,
    epi_curve,
    epi_week_number,
    epi_week_start,
    monthly_to_weekly,
    scale_to_population,
)
from layers.caching import cached_result, layer_versions, result_key
from layers.models import DengueCase, Municipality

#: Files under MUEANG_DATA_DIR: the OpenDengue subset and the province crosswalk.
OPENDENGUE_DIR = "opendengue"
OPENDENGUE_FILE = "opendengue_V1_3_THA_demo_provinces.csv"
PROVINCES_FILE = "provinces.csv"
OPENDENGUE_ATTRIBUTION = "OpenDengue V1.3 (opendengue.org), CC BY-SA 4.0"
#: The channel is cached this long per municipality, data version and date.
CHANNEL_CACHE_SECONDS = 600


class ChannelSource:
    """Where the channel comes from."""

    OWN = "own"
    PROVINCE = "province"
    NONE = "none"


class ChannelMissing:
    """Why there is no channel."""

    NO_SERIES = "no_series"  # too little history of its own, and no province series
    NO_POPULATION = "no_population"  # the province series cannot be scaled to the town
    NO_PROVINCE_POPULATION = "no_province_population"


@dataclass(frozen=True)
class ChannelWeek:
    """One week of the curve: cases by onset, and the channel (None where it has none)."""

    week_start: date
    observed: int
    q1: float | None
    median: float | None
    q3: float | None


@dataclass(frozen=True)
class DengueChannel:
    """The channel of the weeks shown, where it comes from, and the alert."""

    source: str
    weeks: tuple[ChannelWeek, ...]
    alert: ChannelAlert | None = None
    first_year: int | None = None
    last_year: int | None = None
    missing: str = ""
    province: str = ""
    population: int | None = None
    province_population: int | None = None
    province_population_year: int | None = None
    province_population_source: str = ""

    @property
    def has_channel(self) -> bool:
        """True when at least one week shown has a channel."""
        return any(w.median is not None for w in self.weeks)

    @property
    def population_share(self) -> float | None:
        """The municipality's population as a share of the province's (scaled channels only)."""
        if self.source != ChannelSource.PROVINCE or not self.province_population:
            return None
        return (self.population or 0) / self.province_population


@dataclass(frozen=True)
class ProvinceSeries:
    """A province in the crosswalk: OpenDengue's name, its population and that figure's source."""

    name: str
    population: int | None
    population_year: int | None
    population_source: str


def _data_dir() -> Path:
    return Path(settings.MUEANG_DATA_DIR) / OPENDENGUE_DIR


def _files_stamp() -> str:
    parts = []
    for name in (OPENDENGUE_FILE, PROVINCES_FILE):
        path = _data_dir() / name
        parts.append(f"{path.stat().st_size}:{path.stat().st_mtime_ns}" if path.exists() else "-")
    return "|".join(parts)


def _normal(name: str) -> str:
    return " ".join(name.replace("-", " ").split()).casefold()


def province_series(*, municipality: Municipality) -> ProvinceSeries | None:
    """The OpenDengue province of a municipality, by its English or Thai province name."""
    path = _data_dir() / PROVINCES_FILE
    if not path.exists():
        return None
    wanted = {_normal(municipality.province_en), _normal(municipality.province_th)} - {""}
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            names = {_normal(row["province_en"]), _normal(row["province_th"])}
            if wanted & names:
                return ProvinceSeries(
                    name=row["adm_1_name"],
                    population=int(row["population"]) if row["population"] else None,
                    population_year=int(row["population_year"]) if row["population_year"] else None,
                    population_source=row["population_source"],
                )
    return None


@functools.lru_cache(maxsize=4)
def _opendengue_monthly(path: Path, stamp: str) -> pd.DataFrame:
    frame = pd.read_csv(
        path,
        usecols=["adm_1_name", "calendar_start_date", "calendar_end_date", "dengue_total",
                 "S_res", "T_res"],
    )  # fmt: skip
    frame = frame[(frame["S_res"] == "Admin1") & (frame["T_res"] == "Month")]
    return frame.rename(
        columns={
            "calendar_start_date": "start_date",
            "calendar_end_date": "end_date",
            "dengue_total": "n_cases",
        }
    )[["adm_1_name", "start_date", "end_date", "n_cases"]]


def province_monthly(name: str) -> pd.DataFrame:
    """OpenDengue's monthly counts of a province (OpenDengue's spelling), oldest first."""
    path = _data_dir() / OPENDENGUE_FILE
    if not path.exists():
        return pd.DataFrame(columns=["start_date", "end_date", "n_cases"])
    frame = _opendengue_monthly(path, _files_stamp())
    rows = frame[frame["adm_1_name"] == name].drop(columns="adm_1_name")
    return rows.sort_values("start_date").reset_index(drop=True)


def dengue_channel(*, municipality: Municipality, on: date, weeks: int = 52) -> DengueChannel:
    """The endemic channel for the `weeks` weeks up to `on`, cached per data version.

    Cases counted are those reported on or before `on`, by week of onset, as on the epidemic
    curve; the alert reads the latest week (`analysis.dengue.channel_alert`).
    """
    inputs = "|".join(
        [str(municipality.population), municipality.province_en, municipality.province_th]
    )
    digest = hashlib.sha256(f"{inputs}|{_files_stamp()}".encode()).hexdigest()[:16]
    # From the cases' counts per week only: what every role that may see the curve may see.
    key = result_key(
        "dengue-channel",
        municipality_id=municipality.pk,
        tier="members",
        version=layer_versions(municipality_id=municipality.pk, layers=["cases"]),
        extra=[f"{on:%Y%m%d}", str(weeks), digest],
    )
    return cached_result(
        key,
        lambda: dengue_channel_compute(municipality=municipality, on=on, weeks=weeks),
        timeout=CHANNEL_CACHE_SECONDS,
    )


def dengue_channel_compute(
    *, municipality: Municipality, on: date, weeks: int = 52
) -> DengueChannel:
    """`dengue_channel` without the cache."""
    onsets = list(
        DengueCase.objects.filter(municipality=municipality, report_date__lte=on).values_list(
            "onset_date", flat=True
        )
    )
    curve = epi_curve(onsets, last_day=on, weeks=weeks)
    shown = list(curve["week_start"])
    observed = [int(n) for n in curve["n_cases"]]
    first_year = epi_week_number(shown[0])[0]
    if onsets and epi_week_number(min(onsets))[0] <= first_year - CHANNEL_YEARS:
        return _own_channel(onsets, on=on, shown=shown, observed=observed)
    return _province_channel(municipality, shown=shown, observed=observed)


def _own_channel(onsets: list[date], *, on: date, shown: list[date], observed: list[int]):
    start = epi_week_start(date(epi_week_number(shown[0])[0] - CHANNEL_YEARS, 1, 4))
    history = epi_curve(onsets, last_day=on, weeks=(epi_week_start(on) - start).days // 7 + 1)
    channel = endemic_channel(history, week_starts=shown)
    return _result(ChannelSource.OWN, channel, observed)


def _province_channel(municipality: Municipality, *, shown: list[date], observed: list[int]):
    province = province_series(municipality=municipality)
    monthly = province_monthly(province.name) if province else None
    if province is None or monthly is None or monthly.empty:
        return _without(ChannelMissing.NO_SERIES, shown, observed)
    details = {
        "province": province.name,
        "population": municipality.population,
        "province_population": province.population,
        "province_population_year": province.population_year,
        "province_population_source": province.population_source,
    }
    if not municipality.population:
        return _without(ChannelMissing.NO_POPULATION, shown, observed, **details)
    if not province.population:
        return _without(ChannelMissing.NO_PROVINCE_POPULATION, shown, observed, **details)
    weekly = scale_to_population(
        monthly_to_weekly(monthly),
        population=municipality.population,
        reference_population=province.population,
    )
    last_year = int(pd.to_datetime(monthly["end_date"]).max().year)
    channel = endemic_channel(weekly, week_starts=shown, last_year=last_year)
    return _result(ChannelSource.PROVINCE, channel, observed, **details)


def _without(missing: str, shown: list[date], observed: list[int], **details) -> DengueChannel:
    weeks = tuple(ChannelWeek(w, n, None, None, None) for w, n in zip(shown, observed, strict=True))
    return DengueChannel(source=ChannelSource.NONE, weeks=weeks, missing=missing, **details)


def _result(source: str, channel: pd.DataFrame, observed: list[int], **details) -> DengueChannel:
    def value(x: float) -> float | None:
        return None if pd.isna(x) else round(float(x), 3)

    weeks = tuple(
        ChannelWeek(row.week_start, n, value(row.q1), value(row.median), value(row.q3))
        for row, n in zip(channel.itertuples(), observed, strict=True)
    )
    if not any(w.median is not None for w in weeks):
        return _without(
            ChannelMissing.NO_SERIES, [w.week_start for w in weeks], observed, **details
        )
    known = channel.dropna(subset=["median"])
    return DengueChannel(
        source=source,
        weeks=weeks,
        alert=channel_alert(channel, observed=observed, partial_last_week=True),
        first_year=int(known["first_year"].min()),
        last_year=int(known["last_year"].max()),
        **details,
    )

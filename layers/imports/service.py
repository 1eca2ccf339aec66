"""The one import service behind the `import_layer` command and (later) the web wizard.

`layer_import` reads a file in batches, checks and converts every row, and writes them in one
transaction inside the municipality's tenant scope: every row or none. Any row error (an empty
geometry, an unparseable date, an id used twice), or features outside the municipality that
were not confirmed, refuse the whole import with `ImportRefused`, whose report lists every
problem with its file, row and field in Thai and English. A dry run does the same reading and
checking and returns the report of what would change, writing nothing.

`source_inspect` answers the wizard's first questions without touching the database: layers,
columns, detected encoding and CRS (or the CRSs to offer), the suggested mapping and a sample.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import shapely
from django.db import DatabaseError, InterfaceError, OperationalError, connection, transaction
from django.utils.text import slugify

from layers.history.services import import_run_recorded
from layers.imports.crs import (
    WGS84,
    CrsChoice,
    ToWgs84,
    coordinate_limit,
    crs_choose,
    crs_describe,
    crs_suggestions,
    transformation_to_wgs84,
)
from layers.imports.geometry import (
    PreparedBatch,
    Problem,
    geometries_prepare,
    latlon_swapped,
    looks_like_degrees,
    parse_coordinate,
    split_latlon,
)
from layers.imports.kinds import KINDS, Kind
from layers.imports.limits import ImportLimits
from layers.imports.mapping import (
    CHOICE_SYNONYMS,
    KML_NOISE,
    Mapping,
    id_column_suggest,
    mapping_resolve,
)
from layers.imports.messages import (
    ImportCancelled,
    ImportRefused,
    Issue,
    Severity,
    quoted,
    refuse,
)
from layers.imports.personal import personal_columns, sample_masked
from layers.imports.raster import is_raster_file, raster_import
from layers.imports.report import ImportReport
from layers.imports.sources import (
    RawBatch,
    Source,
    first_batch,
    fork_safe,
    read_ahead,
    read_in_child,
    source_batches,
    source_open,
)
from layers.imports.values import (
    ValueProblem,
    blank_value,
    by_distinct_value,
    by_distinct_value_flagged,
    field_parser,
    is_missing,
    json_value,
)
from layers.imports.writers import (
    DatasetFileWriter,
    LayerWriter,
    RowBatch,
)
from layers.models import Dataset, DengueCase, FloodZone, Landmark, Municipality
from layers.storage import dataset_file_path
from layers.tenancy import tenant_scope

SLUG = re.compile(r"^[-a-zA-Z0-9_]+$")
SLUG_MAX = 60
SOURCE_ID_MAX = 64
SOURCE_KIND_MAX = 60
OUTSIDE_ROWS_LISTED = 10
MAX_AHEAD = 16  # batches read ahead at most (small batches: `ImportLimits.batch_size`)
Progress = Callable[[int, int], None]


@dataclass
class Plan:
    """Everything decided before the first row is read."""

    kind: Kind
    mapping: Mapping
    crs: CrsChoice
    to_wgs84: ToWgs84
    boundary: shapely.Geometry
    id_field: str | None
    csv_points: bool
    swapped: bool
    derived: list[str]

    @property
    def read_columns(self) -> list[str]:
        """Columns to read: mapped, id and coordinate columns."""
        columns = [*self.mapping.fields.values(), self.id_field]
        columns += [self.mapping.x_column, self.mapping.y_column, self.mapping.latlon_column]
        return list(dict.fromkeys(c for c in columns if c))

    @property
    def fields(self) -> list[str]:
        """Model fields written: mapped ones and derived ones."""
        return list(dict.fromkeys([*self.mapping.fields, *self.derived]))


def kind_get(kind: str) -> Kind:
    """The `Kind` named `kind`, or `ImportRefused`."""
    if kind not in KINDS:
        raise refuse("kind_unknown", kind=quoted(kind), kinds=", ".join(KINDS))
    return KINDS[kind]


def default_slug(name: str, kind: str) -> str:
    """The dataset identifier for a file: its slugified stem, or kind + hash for Thai names.

    Examples
    --------
    >>> default_slug("Street Lights 2569.zip", "landmarks")
    'street-lights-2569'
    """
    stem = Path(name).name.split(".", 1)[0]
    slug = slugify(stem)[:SLUG_MAX].strip("-")
    if slug:
        return slug
    return f"{kind.replace('_', '-')}-{hashlib.sha1(stem.encode()).hexdigest()[:8]}"


def _boundary(municipality: Municipality) -> shapely.Geometry:
    return shapely.from_wkb(bytes(municipality.boundary.wkb))


def _coordinate_arrays(
    source: Source, mapping: Mapping, limits: ImportLimits
) -> tuple[np.ndarray, np.ndarray]:
    """All x (longitude) and y (latitude) values of a CSV, NaN where blank or unreadable."""
    xs, ys = [], []
    columns = [c for c in (mapping.x_column, mapping.y_column, mapping.latlon_column) if c]
    for batch in source_batches(
        source, columns=columns, batch_size=limits.batch_size * 10, read_geometry=False
    ):
        x, y, _problems = _batch_xy(batch, mapping, swapped=False)
        xs.append(x)
        ys.append(y)
    if not xs:
        return np.array([]), np.array([])
    return np.concatenate(xs), np.concatenate(ys)


def _batch_xy(
    batch: RawBatch, mapping: Mapping, *, swapped: bool
) -> tuple[np.ndarray, np.ndarray, dict[int, tuple[str, object]]]:
    """x/y of a CSV batch; problems: {index: (column, raw)} for text that is not a number."""
    count = len(batch.values[next(iter(batch.values))]) if batch.values else 0
    x = np.full(count, np.nan)
    y = np.full(count, np.nan)
    problems: dict[int, tuple[str, object]] = {}
    for index in range(count):
        if mapping.latlon_column:
            raw = batch.values[mapping.latlon_column][index]
            lat, lon = split_latlon(raw)
            if (lat is None or lon is None) and not is_missing(raw):
                problems[index] = (mapping.latlon_column, raw)
            x[index] = np.nan if lon is None else lon
            y[index] = np.nan if lat is None else lat
            continue
        for column, target in ((mapping.x_column, x), (mapping.y_column, y)):
            raw = batch.values[column][index]
            value = parse_coordinate(raw)
            if value is None and not is_missing(raw):
                problems.setdefault(index, (column, raw))
            target[index] = np.nan if value is None else value
    if swapped:
        x, y = y, x
    return x, y, problems


def _plan(
    source: Source,
    *,
    municipality: Municipality,
    kind: Kind,
    crs: str | None,
    mapping: dict[str, str],
    id_field: str | None,
    limits: ImportLimits,
    notes: list[Issue],
) -> Plan:
    file = source.name
    csv_points = source.format == "CSV" and source.geometry_type is None
    exclude = set()
    if source.format == "KML":
        exclude |= KML_NOISE & set(source.columns)
    if source.format == "CSV" and not csv_points:
        exclude.add("WKT")
    if id_field:
        if id_field not in source.columns:
            raise refuse(
                "id_field_missing",
                file=file,
                field=quoted(id_field),
                columns=", ".join(source.columns),
            )
        if kind.model is not None:
            exclude.add(id_field)
    resolved = mapping_resolve(
        source.columns, kind, given=mapping, file=file, coordinates=csv_points, exclude=exclude
    )
    derived = []
    if (
        kind.model is Landmark
        and "category" in resolved.fields
        and "source_kind" not in resolved.fields
    ):
        derived.append("source_kind")
    if (
        kind.model is FloodZone
        and "hazard_class" not in resolved.fields
        and "depth_max_m" in resolved.fields
    ):
        derived.append("hazard_class")
    missing = [f for f in kind.required() if f not in resolved.fields and f not in derived]
    if missing:
        raise ImportRefused(
            [Issue("required_unmapped", file=file, params={"field": f}) for f in missing]
        )

    swapped = degrees = False
    bounds = source.bounds
    if csv_points:
        if not (resolved.latlon_column or (resolved.x_column and resolved.y_column)):
            raise refuse("csv_no_coordinates", file=file)
        x, y = _coordinate_arrays(source, resolved, limits)
        degrees = looks_like_degrees(x, y)
        swapped = degrees and latlon_swapped(x, y)
        finite = np.isfinite(x) & np.isfinite(y)
        if finite.any():
            bounds = (x[finite].min(), y[finite].min(), x[finite].max(), y[finite].max())
        x_name = resolved.x_column or resolved.latlon_column
        y_name = resolved.y_column or resolved.latlon_column
        notes.append(
            Issue("csv_coordinates", Severity.INFO, file=file, params={"x": x_name, "y": y_name})
        )
        if swapped:
            notes.append(
                Issue(
                    "latlon_swapped",
                    Severity.INFO,
                    file=file,
                    params={"lat": y_name, "lon": x_name},
                )
            )
    choice = crs_choose(file_crs=source.crs, given=crs, file=file)
    if choice is None:
        if csv_points and degrees:
            choice = CrsChoice(WGS84, "assumed: CSV coordinates in degrees")
        else:
            options = crs_suggestions(bounds=bounds, metric_srid=municipality.metric_srid)
            raise refuse(
                "crs_missing", file=file, suggestions=" / ".join(crs_describe(c) for c in options)
            )
    if choice.file_crs is not None and not choice.file_crs.equals(choice.crs):
        notes.append(
            Issue(
                "crs_overridden",
                Severity.INFO,
                file=file,
                params={"file_crs": choice.file_crs.name, "crs": choice.label},
            )
        )
    to_wgs84 = transformation_to_wgs84(choice.crs, file=file)
    notes.append(
        Issue(
            "crs_used",
            Severity.INFO,
            file=file,
            params={
                "crs": choice.label,
                "origin": choice.origin,
                "transformation": to_wgs84.description,
            },
        )
    )
    if id_field is None and kind.model is not None:
        hint = id_column_suggest(source.columns)
        if hint:
            notes.append(Issue("id_field_hint", Severity.INFO, file=file, params={"column": hint}))
    return Plan(
        kind=kind,
        mapping=resolved,
        crs=choice,
        to_wgs84=to_wgs84,
        boundary=_boundary(municipality),
        id_field=id_field,
        csv_points=csv_points,
        swapped=swapped,
        derived=derived,
    )


def _csv_wkb(batch: RawBatch, plan: Plan) -> tuple[np.ndarray, dict[int, tuple[str, object]]]:
    x, y, problems = _batch_xy(batch, plan.mapping, swapped=plan.swapped)
    wkb = np.full(len(x), None, dtype=object)
    present = ~(np.isnan(x) & np.isnan(y))
    for index in np.flatnonzero(present):
        if index in problems:
            continue
        if not (np.isfinite(x[index]) and np.isfinite(y[index])):
            # A NaN point has no WKB of its own (it reads back as empty): say what it is.
            problems[int(index)] = ("", "nan")
            continue
        wkb[index] = shapely.to_wkb(shapely.Point(x[index], y[index]))
    return wkb, problems


def _hazard_from_depth(depth_m: object) -> str:
    depth = float(depth_m)
    if depth < 0.1:
        return FloodZone.HazardClass.DRY
    if depth < 0.7:
        return FloodZone.HazardClass.LOW
    if depth < 1.5:
        return FloodZone.HazardClass.MEDIUM
    return FloodZone.HazardClass.HIGH


@dataclass(frozen=True)
class _Refused:
    """Stands for a value that cannot be stored: the message's code and parameters."""

    code: str
    params: dict[str, object]


def _is_refused(value: object) -> bool:
    return type(value) is _Refused


@dataclass
class _Checked:
    """A batch's rows checked.

    `issues` by row index (only rows that have some), the converted values per model field
    (None where refused), and the source ids ('' where refused or not used).
    """

    issues: dict[int, list[Issue]]
    values: dict[str, np.ndarray]
    source_ids: np.ndarray


class _RowReader:
    """Converts a batch's values for the plan's kind a column at a time, collecting problems.

    Each distinct value of a column is converted once (`by_distinct_value`); the issues are
    the same, row by row and in the same order, as converting every cell on its own would give.
    """

    def __init__(self, plan: Plan, file: str):
        self.plan = plan
        self.file = file
        self.required = set(plan.kind.required())
        self.converters: dict[str, Callable[[object], object]] = {}
        if plan.kind.model is not None:
            for target in plan.mapping.fields:
                model_field = plan.kind.model._meta.get_field(target)
                self.converters[target] = self._converter(
                    field_parser(model_field, synonyms=CHOICE_SYNONYMS.get(target)),
                    blank=blank_value(model_field),
                    required=target in self.required and target not in plan.derived,
                )

    @staticmethod
    def _converter(
        parse: Callable[[object], object], *, blank: object, required: bool
    ) -> Callable[[object], object]:
        missing = _Refused("required_missing", {}) if required else blank

        def convert(raw: object) -> object:
            if is_missing(raw):
                return missing
            try:
                return parse(raw)
            except ValueProblem as problem:
                return _Refused(problem.code, problem.params)

        return convert

    def check(self, batch: RawBatch, seen: dict[str, int]) -> _Checked:
        """Convert every mapped column and the id column of `batch` (ids are added to `seen`)."""
        count = len(batch)
        issues: dict[int, list[Issue]] = {}
        if self.plan.kind.model is None:
            values = {
                target: by_distinct_value(batch.values[column], json_value)
                for target, column in self.plan.mapping.fields.items()
            }
            return _Checked(issues, values, self._source_ids(batch, seen, issues))
        values = {}
        for target, column in self.plan.mapping.fields.items():
            converted, flags = by_distinct_value_flagged(
                batch.values[column], self.converters[target], _is_refused
            )
            refused = np.flatnonzero(flags)
            for index in refused:
                problem = converted[index]
                issues.setdefault(int(index), []).append(
                    Issue(
                        problem.code,
                        file=self.file,
                        row=batch.start + int(index) + 1,
                        field=column,
                        target=target,
                        params=dict(problem.params),
                    )
                )
            converted[refused] = None
            values[target] = converted
        self._derive(batch, count, values, issues)
        return _Checked(issues, values, self._source_ids(batch, seen, issues))

    def _derive(
        self, batch: RawBatch, count: int, values: dict[str, np.ndarray], issues: dict
    ) -> None:
        model = self.plan.kind.model
        fields = self.plan.mapping.fields
        if "source_kind" in self.plan.derived:
            values["source_kind"] = by_distinct_value(
                batch.values[fields["category"]],
                lambda raw: "" if is_missing(raw) else str(raw).strip()[:SOURCE_KIND_MAX],
            )
        if "hazard_class" in self.plan.derived:
            depth = values.get("depth_max_m", np.full(count, None, dtype=object))
            values["hazard_class"] = by_distinct_value(
                depth, lambda value: None if value is None else _hazard_from_depth(value)
            )
            for index in np.flatnonzero(np.equal(depth, None)):
                issues.setdefault(int(index), []).append(
                    Issue(
                        "required_missing",
                        file=self.file,
                        row=batch.start + int(index) + 1,
                        field="hazard_class",
                    )
                )
        if model is DengueCase and "onset_date" in values and "report_date" in values:
            pairs = zip(values["onset_date"], values["report_date"], strict=True)
            for index, (onset, report) in enumerate(pairs):
                if onset and report and report < onset:
                    issues.setdefault(index, []).append(
                        Issue(
                            "report_before_onset",
                            file=self.file,
                            row=batch.start + index + 1,
                            params={"report": report.isoformat(), "onset": onset.isoformat()},
                        )
                    )

    def _source_ids(self, batch: RawBatch, seen: dict[str, int], issues: dict) -> np.ndarray:
        """The id of each row ('' where there is none or it is refused); issues for the rest.

        An id is taken (and later ones with it are duplicates) even when its row has other
        problems.
        """
        count = len(batch)
        column = self.plan.id_field
        ids = np.full(count, "", dtype=object)
        if column is None:
            return ids
        texts = by_distinct_value(batch.values[column], _source_id_text)
        for index, text in enumerate(texts.tolist()):
            number = batch.start + index + 1
            where = {"file": self.file, "row": number, "field": column}
            if text is None:
                issue = Issue("id_empty", **where)
            elif len(text) > SOURCE_ID_MAX:
                issue = Issue("id_too_long", params={"limit": SOURCE_ID_MAX}, **where)
            elif text in seen:
                issue = Issue(
                    "id_duplicate", params={"value": quoted(text), "first": seen[text]}, **where
                )
            else:
                seen[text] = number
                ids[index] = text
                continue
            issues.setdefault(index, []).append(issue)
        return ids


def _source_id_text(raw: object) -> str | None:
    """An id as text (12.0 as '12'), None when missing."""
    if is_missing(raw):
        return None
    value = raw.item() if isinstance(raw, np.generic) else raw
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _dataset_get(
    *,
    municipality: Municipality,
    kind: Kind,
    slug: str,
    title: str,
    source_name: str,
    user: object | None,
    create: bool,
    defaults: dict[str, object],
) -> tuple[Dataset | None, bool]:
    dataset = Dataset.objects.filter(municipality=municipality, slug=slug).first()
    if dataset is not None:
        if dataset.kind != kind.dataset_kind:
            raise refuse(
                "dataset_kind_mismatch",
                file=source_name,
                slug=quoted(slug),
                existing=dataset.kind,
                kind=kind.dataset_kind,
            )
        return dataset, False
    if not create:
        return None, True
    dataset = Dataset.objects.create(
        **{
            "title": title[:200],
            "source": source_name,
            "visibility": kind.default_visibility,
            **defaults,
            "municipality": municipality,
            "slug": slug,
            "kind": kind.dataset_kind,
            "created_by": user,
            "updated_by": user,
        }
    )
    return dataset, True


def _report_start(
    source: Source, plan: Plan, *, kind: str, municipality: Municipality, limits: ImportLimits
) -> ImportReport:
    return ImportReport(
        file=source.name,
        kind=kind,
        municipality=municipality.code,
        format=source.format,
        driver=source.driver,
        layer=source.layer,
        encoding=(
            f"{source.encoding.codec} ({source.encoding.origin})" if source.encoding else None
        ),
        crs=f"{plan.crs.label} ({plan.crs.origin})",
        transformation=plan.to_wgs84.description,
        id_field=plan.id_field,
        mapping=dict(plan.mapping.fields),
        ignored_columns=list(plan.mapping.ignored),
        max_issues=limits.max_issues_listed,
    )


def layer_import(
    *,
    municipality: Municipality,
    kind: str,
    path: Path | str,
    layer: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    mapping: dict[str, str] | None = None,
    id_field: str | None = None,
    dry_run: bool = False,
    confirm_outside: bool = False,
    delete_missing: bool = False,
    dataset_slug: str | None = None,
    dataset_title: str | None = None,
    user: object | None = None,
    limits: ImportLimits | None = None,
    progress: Progress | None = None,
    display_name: str | None = None,
) -> ImportReport:
    """Import the features of a file into a municipality's layer (or a `dataset` file).

    Parameters
    ----------
    municipality, kind, path
        Where to, what (a key of `KINDS`) and from which file.
    layer, crs, encoding
        Override what the file says or what is detected (`--layer`, `--crs`, `--encoding`).
    mapping
        {column: field} overrides of the suggested mapping; field '-' leaves a column out.
    id_field
        Match rows to the dataset's features by this column (update instead of replace).
    dry_run
        Read and check everything, write nothing; the report says what would change.
    confirm_outside
        Import features outside the municipality (otherwise they refuse the import).
    delete_missing
        With `id_field`, delete the dataset's features that the file no longer holds.
    dataset_slug, dataset_title
        The catalogue entry (default: from the file name).
    progress
        Called as `progress(rows_done, rows_total)`; may raise `ImportCancelled`.
    display_name
        The file's name as the user knows it (an upload is stored under another name).

    Returns
    -------
    ImportReport
        What was (or in a dry run would be) done. A dry run with problems returns a report
        whose `ok` is False; a real import with problems raises `ImportRefused` carrying it.
    """
    kind_get(kind)
    limits = limits or ImportLimits.from_settings()
    if is_raster_file(path):
        return _raster_import(
            municipality=municipality,
            kind=kind,
            path=Path(path),
            layer=layer,
            crs=crs,
            dry_run=dry_run,
            confirm_outside=confirm_outside,
            dataset_slug=dataset_slug,
            dataset_title=dataset_title,
            user=user,
            limits=limits,
            display_name=display_name,
        )
    with source_open(
        path, layer=layer, encoding=encoding, limits=limits, display_name=display_name
    ) as source:
        job = import_job_prepare(
            source,
            municipality=municipality,
            kind=kind,
            crs=crs,
            mapping=mapping,
            id_field=id_field,
            dataset_slug=dataset_slug,
            dataset_title=dataset_title,
            dry_run=dry_run,
            limits=limits,
        )
        import_jobs_run(
            [job],
            municipality=municipality,
            user=user,
            limits=limits,
            dry_run=dry_run,
            confirm_outside=confirm_outside,
            delete_missing=delete_missing,
            progress=progress,
        )
    return job.report


@dataclass
class ImportJob:
    """One source going into one dataset: what was decided, and the report being filled."""

    source: Source
    plan: Plan
    report: ImportReport
    dataset_defaults: dict[str, object] = field(default_factory=dict)


def import_job_prepare(
    source: Source,
    *,
    municipality: Municipality,
    kind: str,
    crs: str | None = None,
    mapping: dict[str, str] | None = None,
    id_field: str | None = None,
    dataset_slug: str | None = None,
    dataset_title: str | None = None,
    dataset_defaults: dict[str, object] | None = None,
    dry_run: bool = False,
    limits: ImportLimits,
) -> ImportJob:
    """Plan the import of an opened source (mapping, CRS, dataset) without reading its rows.

    `dataset_defaults` are catalogue fields (licence, attribution, ...) of a dataset created by
    the import.
    """
    spec = kind_get(kind)
    notes = list(source.notes)
    plan = _plan(
        source,
        municipality=municipality,
        kind=spec,
        crs=crs,
        mapping=mapping or {},
        id_field=id_field,
        limits=limits,
        notes=notes,
    )
    slug = dataset_slug or default_slug(source.name, kind)
    if not SLUG.match(slug) or len(slug) > 80:
        raise refuse("slug_invalid", file=source.name, slug=quoted(slug))
    report = _report_start(source, plan, kind=kind, municipality=municipality, limits=limits)
    report.notes.extend(notes)
    report.dataset = slug
    report.dataset_title = dataset_title or Path(source.name).name.split(".", 1)[0]
    report.dry_run = dry_run
    return ImportJob(source, plan, report, dict(dataset_defaults or {}))


def import_jobs_run(
    jobs: list[ImportJob],
    *,
    municipality: Municipality,
    user: object | None = None,
    limits: ImportLimits,
    dry_run: bool = False,
    confirm_outside: bool = False,
    delete_missing: bool = False,
    progress: Progress | None = None,
) -> None:
    """Read, check and write every job in one transaction: every row of every job, or none.

    Raises `ImportRefused` (carrying the report of the job that failed) when any job has an
    error; otherwise fills each job's report.
    """
    file_writers: list[DatasetFileWriter] = []
    job = jobs[0]
    try:
        with (
            tenant_scope(municipality_ids=[municipality.pk], user_id=getattr(user, "pk", None)),
            transaction.atomic(),
        ):
            for job in jobs:
                # Each source is one import run: its history rows carry the run's id (undo).
                with import_run_recorded(
                    municipality=municipality,
                    kind=job.report.kind,
                    file_name=job.source.name,
                    user=user,
                    report=job.report,
                    enabled=not dry_run,
                ):
                    file_writer = _execute(
                        job.source,
                        job.plan,
                        job.report,
                        municipality=municipality,
                        user=user,
                        limits=limits,
                        dry_run=dry_run,
                        confirm_outside=confirm_outside,
                        delete_missing=delete_missing,
                        progress=progress,
                        dataset_defaults=job.dataset_defaults,
                    )
                    if file_writer is not None:
                        file_writers.append(file_writer)
                    if not job.report.ok and not dry_run:
                        raise ImportRefused(job.report.errors, job.report)
                if file_writer is not None:
                    # Recorded now: the file it replaces is kept for this run's rollback.
                    file_writer.import_run_id = job.report.import_run
            if dry_run:
                transaction.set_rollback(True)
            else:
                for file_writer in file_writers:
                    transaction.on_commit(file_writer.commit)
    except ImportCancelled:
        _discard(file_writers)
        raise ImportRefused([Issue("cancelled", file=job.source.name)], job.report) from None
    except (DatabaseError, InterfaceError) as error:  # InterfaceError is no DatabaseError
        _discard(file_writers)
        detail = quoted(str(error).splitlines()[0] if str(error) else type(error).__name__)
        # A lost connection (server restart, network) is not a refusal of the data.
        code = (
            "database_unavailable"
            if isinstance(error, (OperationalError, InterfaceError))
            else "database_refused"
        )
        raise ImportRefused(
            [Issue(code, file=job.source.name, params={"detail": detail})], job.report
        ) from None
    except BaseException:
        _discard(file_writers)
        raise
    for job in jobs:
        job.report.written = not dry_run


def _raster_import(
    *,
    municipality: Municipality,
    kind: str,
    path: Path,
    dataset_slug: str | None,
    dataset_title: str | None,
    display_name: str | None,
    **options,
) -> ImportReport:
    """GeoTIFFs (and zips holding one) become raster datasets (`layers.imports.raster`)."""
    name = display_name or path.name
    if kind != "dataset":
        raise refuse("raster_kind", file=name, kind=quoted(kind))
    slug = dataset_slug or default_slug(name, kind)
    if not SLUG.match(slug) or len(slug) > 80:
        raise refuse("slug_invalid", file=name, slug=quoted(slug))
    return raster_import(
        municipality=municipality,
        path=path,
        slug=slug,
        title=dataset_title or Path(name).name.split(".", 1)[0],
        display_name=display_name,
        **options,
    )


def _discard(writers: list[DatasetFileWriter]) -> None:
    for writer in writers:
        writer.discard()


def _execute(
    source: Source,
    plan: Plan,
    report: ImportReport,
    *,
    municipality: Municipality,
    user: object | None,
    limits: ImportLimits,
    dry_run: bool,
    confirm_outside: bool,
    delete_missing: bool,
    progress: Progress | None,
    dataset_defaults: dict[str, object],
) -> DatasetFileWriter | None:
    """Read, check and (unless a dry run) write every row; fill `report`."""
    kind = plan.kind
    dataset, created = _dataset_get(
        municipality=municipality,
        kind=kind,
        slug=report.dataset,
        title=report.dataset_title,
        source_name=source.name,
        user=user,
        create=not dry_run,
        defaults=dataset_defaults,
    )
    report.dataset_created = created
    if kind.model is None:
        writer = DatasetFileWriter(
            path=dataset_file_path(municipality_code=municipality.code, slug=report.dataset),
            id_mode=plan.id_field is not None,
            delete_missing=delete_missing,
        )
    else:
        writer = LayerWriter(
            model=kind.model,
            municipality=municipality,
            dataset=dataset,
            fields=plan.fields,
            id_mode=plan.id_field is not None,
            delete_missing=delete_missing,
            write_rows=limits.write_rows,
        )
    apply = not dry_run
    report.deleted += writer.begin(apply=apply)
    reader = _RowReader(plan, source.name)
    seen: dict[str, int] = {}
    outside_rows: list[int] = []
    total = source.feature_count
    # Rows that only create features are all the writer needs in encoded form: then reading,
    # checking and encoding run in a child process (`read_in_child`), so the writing never
    # waits for the GIL.
    in_child = limits.read_in_child and writer.encodes_all and fork_safe()

    def checked_batches() -> Iterator[_Ready]:
        for batch in source_batches(
            source,
            columns=plan.read_columns,
            batch_size=limits.batch_size,
            read_geometry=not plan.csv_points,
        ):
            coordinate_problems: dict[int, tuple[str, object]] = {}
            wkb = batch.wkb
            if plan.csv_points:
                wkb, coordinate_problems = _csv_wkb(batch, plan)
            prepared = geometries_prepare(
                wkb,
                to_wgs84=plan.to_wgs84,
                source_limit=coordinate_limit(plan.crs.crs),
                target=kind.geometry,
                max_vertices=limits.max_vertices_per_feature,
                boundary=plan.boundary,
            )
            checked = reader.check(batch, seen)
            refused = _refused_rows(len(batch), prepared, coordinate_problems, checked)
            accepted = np.flatnonzero(~refused)
            rows = RowBatch(
                numbers=batch.start + 1 + accepted,
                source_ids=checked.source_ids[accepted],
                values={name: column[accepted] for name, column in checked.values.items()},
                geometries=prepared.geometries[accepted],
            )
            ready = _Ready(
                start=batch.start,
                count=len(batch),
                problems=prepared.problems,
                repaired=prepared.repaired,
                outside=prepared.outside,
                coordinate_problems=coordinate_problems,
                issues=checked.issues,
                refused=refused,
                rows=rows,
                accepted=len(rows),
                encoded=writer.encode(rows) if apply else None,
            )
            # Only what the report needs and the encoded rows cross to the writing process.
            yield ready.without_rows() if in_child else ready

    # The next batches are read, checked and encoded while this one is written (nothing there
    # touches the database or the report); enough of them to fill the writer's next write.
    ahead = min(limits.write_rows // max(limits.batch_size, 1) + 1, MAX_AHEAD)
    batches = read_in_child if in_child else read_ahead
    # A forked reader of an uploaded file may read its folder only, with no network (an OSM
    # extract's reader keeps its node index in a temporary folder of its own: not confined).
    confined = {"readable": [source.path.parent]} if in_child and source.batches is None else {}
    # While the next batch is not ready, the rows collected so far are written: the database
    # starts with the first batch instead of the first `write_rows`.
    for ready in batches(
        checked_batches(), ahead=ahead, on_wait=writer.flush if apply else None, **confined
    ):
        _report_rows(report, source.name, ready, outside_rows)
        blocked = not report.ok or (outside_rows and not confirm_outside)
        if ready.rows is None:
            planned = writer.add_encoded(ready.accepted, ready.encoded, apply=apply and not blocked)
        else:
            planned = writer.add(ready.rows, apply=apply and not blocked, encoded=ready.encoded)
        report.created += planned.created
        report.updated += planned.updated
        report.unchanged += planned.unchanged
        for row, other in planned.conflicts or []:
            report.rejected += 1
            report.add(
                Issue(
                    "id_taken",
                    file=source.name,
                    row=row.number,
                    field=plan.id_field,
                    params={"value": quoted(row.source_id), "dataset": quoted(other)},
                )
            )
        if progress is not None:
            progress(report.features, max(total, report.features))
    blocked = not report.ok or (outside_rows and not confirm_outside)
    deleted, kept = writer.finish(seen_ids=list(seen), apply=apply and not blocked)
    report.deleted += deleted
    report.kept += kept
    _summarise(report, source.name, outside_rows, confirm_outside=confirm_outside)
    if apply and report.ok and dataset is not None:
        if kind.model is DengueCase:
            _cases_subdistricts_assign(dataset)
        dataset.source_checksum = source.checksum
        dataset.updated_by = user if user is not None else dataset.updated_by
        if not dataset.source:
            dataset.source = source.name
        dataset.save(update_fields=["source_checksum", "updated_by", "source", "updated_at"])
    return writer if isinstance(writer, DatasetFileWriter) else None


def _refused_rows(
    count: int,
    prepared: PreparedBatch,
    coordinate_problems: dict[int, tuple[str, object]],
    checked: _Checked,
) -> np.ndarray:
    """Which rows of a batch have an issue (and are not written)."""
    refused = np.zeros(count, dtype=bool)
    for indices in (list(coordinate_problems), list(prepared.problems), list(checked.issues)):
        refused[np.asarray(indices, dtype=np.int64)] = True
    return refused


@dataclass
class _Ready:
    """A batch read and checked: what the report needs, and the accepted rows to write.

    `start` is the 0-based index of its first row; `problems`, `repaired` and `outside` are the
    geometry check's, `issues` the values' (by row index); `refused` marks the rows not
    written. `rows` are the accepted rows, or None where only `accepted` (their number) and
    `encoded` (the writer's `encode(rows)`) are kept (`without_rows`).
    """

    start: int
    count: int
    problems: dict[int, Problem]
    repaired: dict[int, str]
    outside: np.ndarray
    coordinate_problems: dict[int, tuple[str, object]]
    issues: dict[int, list[Issue]]
    refused: np.ndarray
    rows: RowBatch | None
    accepted: int
    encoded: bytes | None

    def without_rows(self) -> _Ready:
        """The same batch without its rows (the values and geometries): small to send."""
        return replace(self, rows=None)


def _report_rows(report: ImportReport, file: str, ready: _Ready, outside_rows: list[int]) -> None:
    """Count the batch's rows and report their issues, repairs and outside features.

    Row by row, in the order a row-at-a-time reader would report them.
    """
    refused, count = ready.refused, ready.count
    report.features += count
    noted = np.zeros(count, dtype=bool)
    noted[np.asarray(list(ready.repaired), dtype=np.int64)] = True
    noted |= ready.outside
    for index in np.flatnonzero(refused | noted).tolist():
        number = ready.start + index + 1
        if refused[index]:
            issues = _geometry_issues(file, number, index, ready)
            issues += ready.issues.get(index, [])
            report.rejected += 1
            for issue in issues:
                report.add(issue)
            continue
        if index in ready.repaired:
            report.repaired += 1
            report.add(
                Issue(
                    "geometry_repaired",
                    Severity.WARNING,
                    file=file,
                    row=number,
                    params={"reason": ready.repaired[index]},
                )
            )
        if ready.outside[index]:
            report.outside += 1
            outside_rows.append(number)
            report.add(Issue("outside", Severity.WARNING, file=file, row=number))


def _geometry_issues(file: str, number: int, index: int, ready: _Ready) -> list[Issue]:
    if index in ready.coordinate_problems:
        column, raw = ready.coordinate_problems[index]
        if not column:
            return [Issue("coordinate_not_finite", file=file, row=number)]
        return [
            Issue(
                "invalid_number", file=file, row=number, field=column, params={"value": quoted(raw)}
            )
        ]
    problem = ready.problems.get(index)
    if problem is None:
        return []
    return [Issue(problem.code, file=file, row=number, params=problem.params)]


def _summarise(
    report: ImportReport, file: str, outside_rows: list[int], *, confirm_outside: bool
) -> None:
    if outside_rows:
        listed = ", ".join(str(n) for n in outside_rows[:OUTSIDE_ROWS_LISTED])
        if len(outside_rows) > OUTSIDE_ROWS_LISTED:
            listed += ", …"
        if confirm_outside:
            report.add(
                Issue(
                    "outside_confirmed",
                    Severity.WARNING,
                    file=file,
                    params={"count": len(outside_rows)},
                )
            )
        else:
            report.add(
                Issue(
                    "outside_summary",
                    file=file,
                    params={"count": len(outside_rows), "rows": listed},
                )
            )
    if report.rejected:
        report.add(Issue("rows_rejected", file=file, params={"count": report.rejected}))


def _cases_subdistricts_assign(dataset: Dataset) -> None:
    """Put each case of the dataset in the subdistrict that holds it (public counts need it)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE layers_denguecase c SET subdistrict_id = s.id FROM layers_subdistrict s "
            "WHERE c.dataset_id = %s AND s.municipality_id = c.municipality_id "
            "AND ST_Covers(s.geom, c.geom) AND c.subdistrict_id IS DISTINCT FROM s.id",
            [dataset.pk],
        )


def source_inspect(
    *,
    municipality: Municipality,
    kind: str,
    path: Path | str,
    layer: str | None = None,
    crs: str | None = None,
    encoding: str | None = None,
    mapping: dict[str, str] | None = None,
    limits: ImportLimits | None = None,
    display_name: str | None = None,
    sample_size: int = 20,
    people: bool = False,
    reveal_personal: bool = False,
) -> dict[str, object]:
    """What the wizard shows before an import: layers, columns, encoding, CRS, mapping, sample.

    When the file has no CRS and none is given, `crs` is None and `crs_suggestions` lists the
    ones to offer; the sample then has no geometry. Personal columns (`personal_columns`; by
    name too when the data is of `people`) are listed and masked in the sample unless
    `reveal_personal` (the caller logs why). Raises `ImportRefused` for unsafe files.
    """
    spec = kind_get(kind)
    limits = limits or ImportLimits.from_settings()
    with source_open(
        path, layer=layer, encoding=encoding, limits=limits, display_name=display_name
    ) as source:
        notes: list[Issue] = list(source.notes)
        info: dict[str, object] = {
            "file": source.name,
            "format": source.format,
            "driver": source.driver,
            "layer": source.layer,
            "layers": source.layers,
            "columns": source.columns,
            "features": source.feature_count,
            "encoding": source.encoding.codec if source.encoding else None,
            "encoding_origin": source.encoding.origin if source.encoding else None,
            "id_field_suggestion": id_column_suggest(source.columns),
            "crs": None,
            "crs_suggestions": [],
        }
        try:
            plan = _plan(
                source,
                municipality=municipality,
                kind=spec,
                crs=crs,
                mapping=mapping or {},
                id_field=None,
                limits=limits,
                notes=notes,
            )
        except ImportRefused as refused:
            if refused.issues[0].code != "crs_missing":
                raise
            info["crs_suggestions"] = crs_suggestions(
                bounds=source.bounds, metric_srid=municipality.metric_srid
            )
            plan = None
        if plan is not None:
            info["crs"] = plan.crs.label
            info["transformation"] = plan.to_wgs84.description
            info["mapping"] = dict(plan.mapping.fields)
            info["ignored_columns"] = plan.mapping.ignored
            sample = _sample(source, plan, sample_size, limits)
            rows = [feature["properties"] for feature in sample["features"]]
            hidden = personal_columns(source.columns, rows, people=people)
            info["personal_columns"] = hidden
            info["sample"] = sample if reveal_personal else sample_masked(sample, hidden)
        info["notes"] = [note.as_dict() for note in notes]
        return info


def _sample(source: Source, plan: Plan, size: int, limits: ImportLimits) -> dict[str, object]:
    """The first rows as a GeoJSON FeatureCollection in WGS 84 (raw attribute values)."""
    batch = first_batch(
        source, columns=plan.read_columns, size=size, read_geometry=not plan.csv_points
    )
    features = []
    if batch is not None:
        wkb = _csv_wkb(batch, plan)[0] if plan.csv_points else batch.wkb
        prepared = geometries_prepare(
            wkb[:size],
            to_wgs84=plan.to_wgs84,
            source_limit=coordinate_limit(plan.crs.crs),
            target=plan.kind.geometry,
            max_vertices=limits.max_vertices_per_feature,
            boundary=plan.boundary,
        )
        for index in range(min(size, len(batch))):
            geometry = prepared.geometries[index]
            features.append(
                {
                    "type": "Feature",
                    "properties": {
                        column: json_value(values[index]) for column, values in batch.values.items()
                    },
                    "geometry": json.loads(shapely.to_geojson(geometry))
                    if geometry is not None
                    else None,
                }
            )
    return {"type": "FeatureCollection", "features": features}

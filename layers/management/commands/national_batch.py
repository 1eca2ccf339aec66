"""Run one analysis for every municipality, on Dask or in this process (issue 23)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from analysis.national import (
    ANALYSES,
    UNAVAILABLE,
    BatchParams,
    SnapshotSource,
    run_national,
    snapshot_index_read,
)
from layers.national import PostgisSource, batch_municipalities


class Command(BaseCommand):
    help = (
        "Run ANALYSIS for every municipality (or --municipalities), writing OUT/<code>.parquet; "
        "municipalities whose file exists are skipped. Reads PostGIS (one tenant scope per "
        "municipality) or a snapshot of national_snapshot (--from-snapshot)."
    )

    def add_arguments(self, parser):
        parser.add_argument("analysis", choices=sorted([*ANALYSES, *UNAVAILABLE]))
        engine = parser.add_mutually_exclusive_group()
        engine.add_argument("--scheduler", metavar="ADDRESS", help="a Dask scheduler to use")
        engine.add_argument(
            "--workers", type=int, metavar="N", help="start a local Dask cluster of N processes"
        )
        parser.add_argument("--municipalities", nargs="+", metavar="CODE")
        parser.add_argument("--out", required=True, type=Path, metavar="DIR")
        parser.add_argument("--from-snapshot", type=Path, metavar="DIR")
        parser.add_argument("--as-of", type=date.fromisoformat, help="spray zones active on")
        parser.add_argument("--permutations", type=int, default=BatchParams.permutations)
        parser.add_argument("--seed", type=int, default=BatchParams.seed)
        parser.add_argument("--json", action="store_true", help="print the summary as JSON")

    def handle(self, *args, analysis: str, **options):
        if analysis in UNAVAILABLE:
            raise CommandError(f"{analysis}: {UNAVAILABLE[analysis]}")
        if options["workers"] is not None and options["workers"] < 1:
            raise CommandError("--workers must be at least 1")
        municipalities, source = self._inputs(options["from_snapshot"], options["municipalities"])
        params = BatchParams(
            as_of=options["as_of"], permutations=options["permutations"], seed=options["seed"]
        )
        with tqdm(total=0, unit="municipality", file=self.stderr._out, disable=False) as bar:

            def progress(done: int, total: int) -> None:
                bar.total = total
                bar.update(done - bar.n)

            summary = run_national(
                analysis,
                municipalities,
                out_dir=options["out"],
                source=source,
                params=params,
                workers=options["workers"],
                scheduler=options["scheduler"],
                progress=progress,
            )
        self.stdout.write(
            json.dumps(summary.as_dict(), indent=2) if options["json"] else summary.text()
        )

    def _inputs(self, snapshot: Path | None, codes: list[str] | None):
        if snapshot is None:
            try:
                return batch_municipalities(codes), PostgisSource()
            except ValueError as error:
                raise CommandError(str(error)) from None
        municipalities = snapshot_index_read(snapshot)
        if codes:
            missing = sorted(set(codes) - {m.code for m in municipalities})
            if missing:
                raise CommandError(f"not in the snapshot: {', '.join(missing)}")
            municipalities = [m for m in municipalities if m.code in codes]
        return municipalities, SnapshotSource(snapshot)

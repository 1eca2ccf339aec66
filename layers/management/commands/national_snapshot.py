"""Export every municipality's layers as a GeoParquet snapshot for national batches."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from analysis.national import LAYERS
from layers.national import batch_municipalities, snapshot_export


class Command(BaseCommand):
    help = (
        "Write OUT/<code>.<layer>.parquet for every municipality (or --municipalities) and "
        f"layer ({', '.join(LAYERS)}), in its metric CRS, each read under its own tenant "
        "scope; OUT/municipalities.parquet lists them. Holds exact case houses: keep it private."
    )

    def add_arguments(self, parser):
        parser.add_argument("--out", required=True, type=Path, metavar="DIR")
        parser.add_argument("--municipalities", nargs="+", metavar="CODE")

    def handle(self, *args, out: Path, municipalities: list[str] | None, **options):
        try:
            chosen = batch_municipalities(municipalities)
        except ValueError as error:
            raise CommandError(str(error)) from None
        with tqdm(
            total=len(chosen), unit="municipality", file=self.stderr._out, disable=False
        ) as bar:
            snapshot_export(out, chosen, progress=lambda m: bar.update(1))
        self.stdout.write(f"{len(chosen)} municipalities x {len(LAYERS)} layers written to {out}")

"""Import a spatial file into a municipality's layer (`layers.imports.layer_import`)."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from layers.imports import KINDS, ImportLimits, ImportRefused, layer_import
from layers.imports.mapping import parse_map_options
from layers.imports.messages import Issue, quoted
from layers.imports.service import kind_get
from layers.models import Municipality

MAX_ERRORS_SHOWN = 20
USAGE_ERROR = 2


def _refusal_text(refused: ImportRefused) -> str:
    shown = [str(issue) for issue in refused.issues[:MAX_ERRORS_SHOWN]]
    hidden = len(refused.issues) - len(shown)
    if hidden > 0:
        shown.append(str(Issue("issues_truncated", params={"count": hidden})))
    return "\n".join(shown)


class Command(BaseCommand):
    help = (
        "Import a GeoJSON, GeoPackage, zipped Shapefile, KML/KMZ or CSV file into a "
        "municipality's layer, in one transaction (นำเข้าข้อมูลเชิงพื้นที่). KIND: "
        + ", ".join(KINDS)
        + ". Without --id-field a re-import replaces the dataset's features; with it, rows "
        "update the features with the same id and other features are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("municipality_code", metavar="MUNICIPALITY_CODE")
        parser.add_argument("kind", metavar="KIND")
        parser.add_argument("file", metavar="FILE")
        parser.add_argument("--layer", help="layer of a GeoPackage or KML, or file of a zip")
        parser.add_argument("--crs", help="coordinate system, e.g. EPSG:24047 (overrides the file)")
        parser.add_argument("--encoding", help="text encoding, e.g. cp874 (overrides .cpg)")
        parser.add_argument(
            "--map",
            nargs="+",
            action="extend",
            default=[],
            metavar="COLUMN=FIELD",
            help="use COLUMN for FIELD (FIELD '-' leaves it out; lat/lon/x/y name CSV coordinates)",
        )
        parser.add_argument("--dry-run", action="store_true", help="report only, write nothing")
        parser.add_argument("--id-field", help="column whose value identifies a feature")
        parser.add_argument(
            "--confirm-outside",
            action="store_true",
            help="import features that lie outside the municipality",
        )
        parser.add_argument(
            "--delete-missing",
            action="store_true",
            help="with --id-field, delete the dataset's features that the file no longer holds",
        )
        parser.add_argument("--dataset", help="catalogue identifier (default: from the file name)")
        parser.add_argument("--title", help="catalogue title of a new dataset")
        parser.add_argument("--max-vertices", type=int, help="vertex limit per feature")
        parser.add_argument("--batch-size", type=int, help="rows read and written at a time")

    def handle(self, *args, **options):
        code = options["municipality_code"]
        municipality = Municipality.objects.filter(code=code).first()
        try:
            kind_get(options["kind"])
            mapping = parse_map_options(options["map"])
            if municipality is None:
                raise ImportRefused([Issue("municipality_unknown", params={"code": quoted(code)})])
        except ImportRefused as refused:
            raise CommandError(_refusal_text(refused), returncode=USAGE_ERROR) from None
        limits = ImportLimits.from_settings(
            max_vertices_per_feature=options["max_vertices"], batch_size=options["batch_size"]
        )
        bar = None

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None:
                bar = tqdm(total=total, unit=" rows", file=sys.stderr, disable=None, leave=False)
            bar.update(done - bar.n)

        try:
            report = layer_import(
                municipality=municipality,
                kind=options["kind"],
                path=options["file"],
                layer=options["layer"],
                crs=options["crs"],
                encoding=options["encoding"],
                mapping=mapping,
                id_field=options["id_field"],
                dry_run=options["dry_run"],
                confirm_outside=options["confirm_outside"],
                delete_missing=options["delete_missing"],
                dataset_slug=options["dataset"],
                dataset_title=options["title"],
                limits=limits,
                progress=progress,
            )
        except ImportRefused as refused:
            if refused.report is not None:
                for line in refused.report.lines():
                    self.stdout.write(line)
            raise CommandError(
                _refusal_text(refused) + "\nไม่ได้นำเข้าข้อมูลใดเลย / nothing was imported"
            ) from None
        except Exception as error:
            if options.get("traceback"):
                raise
            # A file must never show a stack trace: say what broke and that nothing changed.
            raise CommandError(
                f"{options['file']}: เกิดข้อผิดพลาดที่ไม่คาดคิด ไม่ได้นำเข้าข้อมูลใดเลย / "
                f"unexpected error ({type(error).__name__}: {error}); nothing was imported"
            ) from None
        finally:
            if bar is not None:
                bar.close()
        for line in report.lines():
            self.stdout.write(line)
        if report.dry_run and not report.ok:
            raise CommandError(
                _refusal_text(ImportRefused(report.errors))
                + "\nทดลองนำเข้า: การนำเข้าจริงจะถูกปฏิเสธ / dry run: the import would be refused"
            )

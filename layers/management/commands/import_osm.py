"""Import a municipality's roads and landmarks from an OpenStreetMap extract (`osm_import`)."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from layers.imports import ImportLimits, ImportRefused
from layers.imports.cli import USAGE_ERROR, RowProgress, import_errors, refusal_text
from layers.imports.messages import Issue, quoted
from layers.imports.osm import osm_import
from layers.models import Municipality


class Command(BaseCommand):
    # System checks (about 0.5 s) belong to deploys and `manage.py check`, not to every import.
    requires_system_checks: list[str] = []
    help = (
        "Import the roads and landmarks that lie in a municipality from an OpenStreetMap "
        "extract (.osm or .osm.pbf), in one transaction (นำเข้าถนนและสถานที่สำคัญจาก "
        "OpenStreetMap). Features are matched by OSM id in the datasets roads-osm and "
        "landmarks-osm, so a newer extract updates them instead of adding copies."
    )

    def add_arguments(self, parser):
        parser.add_argument("municipality_code", metavar="MUNICIPALITY_CODE")
        parser.add_argument("file", metavar="FILE.osm.pbf|FILE.osm")
        parser.add_argument("--dry-run", action="store_true", help="report only, write nothing")
        parser.add_argument(
            "--delete-missing",
            action="store_true",
            help="delete the features of both datasets that the extract no longer holds",
        )

    def handle(self, *args, **options):
        code = options["municipality_code"]
        municipality = Municipality.objects.filter(code=code).first()
        if municipality is None:
            issue = Issue("municipality_unknown", params={"code": quoted(code)})
            raise CommandError(str(issue), returncode=USAGE_ERROR)
        progress = RowProgress()
        try:
            with import_errors(self, options["file"], traceback=bool(options.get("traceback"))):
                reports = osm_import(
                    municipality=municipality,
                    path=options["file"],
                    dry_run=options["dry_run"],
                    delete_missing=options["delete_missing"],
                    limits=ImportLimits.from_settings(),
                    progress=progress,
                )
        finally:
            progress.close()
        for report in reports:
            for line in report.lines():
                self.stdout.write(line)
            self.stdout.write("")
        errors = [issue for report in reports for issue in report.errors]
        if errors:
            raise CommandError(
                refusal_text(ImportRefused(errors))
                + "\nทดลองนำเข้า: การนำเข้าจริงจะถูกปฏิเสธ / dry run: the import would be refused"
            )

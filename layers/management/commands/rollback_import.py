"""Undo a whole import: delete what it created, put back what it changed or deleted."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from layers.history.selectors import HistoryError
from layers.history.services import rollback_import
from layers.management.commands._history import municipality_get, refused


class Command(BaseCommand):
    help = (
        "Roll back an import (ย้อนกลับการนำเข้า) by its id (import_layer prints it). Refused "
        "when a feature it touched was changed again afterwards, unless --force."
    )

    def add_arguments(self, parser):
        parser.add_argument("municipality_code", metavar="CODE")
        parser.add_argument("import_id", metavar="IMPORT_ID", type=int)
        parser.add_argument("--dry-run", action="store_true", help="report only, change nothing")
        parser.add_argument(
            "--force", action="store_true", help="roll back over later changes of its features"
        )

    def handle(self, *args, municipality_code: str, import_id: int, **options):
        municipality = municipality_get(municipality_code)
        try:
            result = rollback_import(
                municipality=municipality,
                import_id=import_id,
                force=options["force"],
                dry_run=options["dry_run"],
            )
        except HistoryError as error:
            raise refused(error) from None
        self.stdout.write(
            f"ลบรายการที่นำเข้า / removed: {result.removed}; "
            f"คืนค่าที่ถูกแก้ / restored: {result.restored}; "
            f"สร้างรายการที่ถูกลบกลับคืน / recreated: {result.recreated} ({result.layer})"
        )
        if result.conflicts:
            listed = ", ".join(str(pk) for pk in result.conflicts[:20])
            self.stdout.write(
                f"ถูกแก้ไขอีกหลังการนำเข้า / changed again afterwards: {listed}"
                + (" …" if len(result.conflicts) > 20 else "")
            )
        if result.dry_run:
            self.stdout.write("ทดลอง ไม่มีการเปลี่ยนแปลง / dry run: nothing was changed")
            if result.conflicts and not options["force"]:
                raise CommandError(
                    "การย้อนกลับจริงจะถูกปฏิเสธ เว้นแต่ใช้ --force / "
                    "the rollback would be refused without --force"
                )

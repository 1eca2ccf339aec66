"""Put a deleted or overwritten feature back as it was (recorded as a change itself)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from layers.history.selectors import HistoryError
from layers.history.services import restore_feature
from layers.management.commands._history import municipality_get, refused


class Command(BaseCommand):
    help = (
        "Restore a feature (กู้คืนรายการ): a deleted one as it was when deleted, an existing one "
        "as before its last change, or as at --version N (see feature_history)."
    )

    def create_parser(self, prog_name, subcommand, **kwargs):
        # The issue names the option --version; it replaces Django's own (the program version).
        return super().create_parser(prog_name, subcommand, conflict_handler="resolve", **kwargs)

    def add_arguments(self, parser):
        parser.add_argument("municipality_code", metavar="CODE")
        parser.add_argument("layer", metavar="LAYER")
        parser.add_argument("feature_id", metavar="ID", type=int)
        parser.add_argument("--version", type=int, metavar="N", help="version to restore")

    def handle(self, *args, municipality_code: str, layer: str, feature_id: int, **options):
        municipality = municipality_get(municipality_code)
        try:
            result = restore_feature(
                municipality=municipality,
                layer=layer,
                feature_id=feature_id,
                version=options["version"],
            )
        except HistoryError as error:
            raise refused(error) from None
        what = "สร้างกลับคืน / recreated" if result.action == "recreated" else "ย้อนคืน / reverted"
        self.stdout.write(
            f"{result.layer} {result.feature_id}: {what} "
            f"เป็นรุ่นที่ {result.version} / as at version {result.version}"
        )

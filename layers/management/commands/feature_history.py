"""Show every recorded change of one feature: who, when, what, which import."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from layers.history.selectors import LAYERS, HistoryError, feature_history, layer_name
from layers.management.commands._history import municipality_get, refused
from layers.tenancy import tenant_scope


class Command(BaseCommand):
    @property
    def help(self) -> str:
        """The layers listed are those of the registry that keep history."""
        return (
            "Show a feature's history (ประวัติการแก้ไขของรายการ): every version with who "
            f"changed it, when, which columns and which import. LAYER: {', '.join(LAYERS)}."
        )

    def add_arguments(self, parser):
        parser.add_argument("municipality_code", metavar="CODE")
        parser.add_argument("layer", metavar="LAYER")
        parser.add_argument("feature_id", metavar="ID", type=int)

    def handle(self, *args, municipality_code: str, layer: str, feature_id: int, **options):
        municipality = municipality_get(municipality_code)
        try:
            layer = layer_name(layer)
            with tenant_scope(municipality_ids=[municipality.pk]):
                versions = feature_history(
                    municipality=municipality, layer=layer, feature_id=feature_id
                )
        except HistoryError as error:
            raise refused(error) from None
        if not versions:
            raise CommandError(
                f"ไม่มีประวัติของรายการ {feature_id} ในชั้นข้อมูล {layer} / "
                f"no history for feature {feature_id} of {layer}"
            )
        for version in versions:
            at = timezone.localtime(version.changed_at).strftime("%Y-%m-%d %H:%M:%S")
            parts = [f"v{version.number}", at, version.op, version.username or "-"]
            if version.import_run_id:
                parts.append(f"import {version.import_run_id}")
            if version.context:
                parts.append(version.context)
            self.stdout.write("  ".join(parts))
            for column, before, after in version.changes:
                self.stdout.write(f"    {column}: {before!r} -> {after!r}")
        if versions[-1].op == "delete":
            self.stdout.write("สถานะปัจจุบัน: ถูกลบ / now: deleted")
        else:
            self.stdout.write("สถานะปัจจุบัน: มีอยู่ / now: exists")

"""The import report: what was read, what was (or would be) changed, and every problem found."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from layers.imports.messages import Issue, Severity

COUNTS = ("created", "updated", "unchanged", "deleted", "kept", "repaired", "outside", "rejected")
COUNT_LABELS = {
    "created": "สร้างใหม่ / created",
    "updated": "ปรับปรุง / updated",
    "unchanged": "ไม่เปลี่ยน / unchanged",
    "deleted": "ลบ / deleted",
    "kept": "คงไว้ (ไม่มีในไฟล์) / kept (not in file)",
    "repaired": "ซ่อมรูปทรง / repaired",
    "outside": "นอกเขตเทศบาล / outside",
    "rejected": "ปฏิเสธ / rejected",
}


@dataclass
class ImportReport:
    """What an import did, or in a dry run would do.

    Counts are features: `created`, `updated`, `unchanged` (same attributes and geometry),
    `deleted` (replaced, or absent from the file with `delete_missing`), `kept` (absent from the
    file, left in place), `repaired` (invalid geometry made valid, still imported), `outside`
    (not touching the municipality), `rejected` (rows with an error). `issues` lists errors and
    warnings with their row and field (capped at `ImportLimits.max_issues_listed`;
    `issue_count` counts them all), `notes` what was detected or assumed.
    """

    file: str
    kind: str
    municipality: str
    dataset: str = ""
    dataset_title: str = ""
    dataset_created: bool = False
    format: str = ""
    driver: str = ""
    layer: str = ""
    encoding: str | None = None
    crs: str = ""
    transformation: str = ""
    id_field: str | None = None
    mapping: dict[str, str] = dataclasses.field(default_factory=dict)
    ignored_columns: list[str] = dataclasses.field(default_factory=list)
    features: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    kept: int = 0
    repaired: int = 0
    outside: int = 0
    rejected: int = 0
    dry_run: bool = False
    written: bool = False
    issues: list[Issue] = dataclasses.field(default_factory=list)
    issue_count: int = 0
    notes: list[Issue] = dataclasses.field(default_factory=list)
    max_issues: int = 100
    import_run: int | None = None  # the ImportRun of a committed import (for rollback)

    @property
    def errors(self) -> list[Issue]:
        """The listed issues that stop the import."""
        return [issue for issue in self.issues if issue.severity == Severity.ERROR]

    @property
    def ok(self) -> bool:
        """Whether the import can go ahead (or went ahead)."""
        return not self.errors

    def add(self, issue: Issue) -> None:
        """Record an issue; beyond the cap only errors that summarise are kept."""
        if issue.severity == Severity.INFO:
            self.notes.append(issue)
            return
        self.issue_count += 1
        if len(self.issues) < self.max_issues or issue.row is None:
            self.issues.append(issue)

    def as_dict(self) -> dict[str, object]:
        """JSON-ready (for the wizard and the background job's stored result)."""
        data = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        data["issues"] = [issue.as_dict() for issue in self.issues]
        data["notes"] = [issue.as_dict() for issue in self.notes]
        data["ok"] = self.ok
        data.pop("max_issues")
        return data

    def lines(self) -> list[str]:
        """A plain-text summary in Thai and English, for the command line."""
        lines = [
            f"ไฟล์ / file: {self.file} ({self.format}, {self.driver}, layer {self.layer!r})",
            f"ชุดข้อมูล / dataset: {self.dataset} ({self.kind}"
            + (", new)" if self.dataset_created else ")"),
            f"ระบบพิกัด / CRS: {self.crs}; {self.transformation}",
        ]
        if self.encoding:
            lines.append(f"การเข้ารหัส / encoding: {self.encoding}")
        if self.mapping:
            pairs = ", ".join(f"{column} -> {field}" for field, column in self.mapping.items())
            lines.append(f"คอลัมน์ / columns: {pairs}")
        if self.ignored_columns:
            lines.append(f"ไม่ใช้ / not used: {', '.join(self.ignored_columns)}")
        lines.append(f"อ่าน / read: {self.features}")
        lines.append("; ".join(f"{COUNT_LABELS[name]}: {getattr(self, name)}" for name in COUNTS))
        lines.extend(f"  {note}" for note in self.notes)
        lines.extend(f"  [{issue.severity}] {issue}" for issue in self.issues)
        hidden = self.issue_count - len(self.issues)
        if hidden > 0:
            lines.append(f"  ... {Issue('issues_truncated', params={'count': hidden})}")
        if self.import_run is not None:
            lines.append(
                f"หมายเลขการนำเข้า / import id: {self.import_run} (ย้อนกลับได้ด้วย / undo with: "
                f"manage.py rollback_import {self.municipality} {self.import_run})"
            )
        if self.dry_run:
            lines.append("ทดลองนำเข้า ไม่ได้บันทึกข้อมูล / dry run: nothing was written")
        elif not self.ok:
            lines.append(
                "ไม่ได้บันทึกข้อมูล ตัวเลขข้างต้นคือสิ่งที่จะเกิดขึ้นหากนำเข้าได้ / nothing was "
                "written; the counts are what the import would have done"
            )
        return lines

"""Erase reporters' contacts of reports closed longer than each municipality's retention period."""

from django.core.management.base import BaseCommand, CommandError

from geoapp.reports.retention import report_contacts_erase
from layers.models import Municipality
from layers.tenancy import tenant_scope


class Command(BaseCommand):
    help = (
        "Delete reporters' and followers' contact details of reports closed longer ago than the "
        "municipality's retention period (default 365 days); the reports stay. Run daily."
    )

    def add_arguments(self, parser):
        parser.add_argument("--code", help="only this municipality")
        parser.add_argument("--dry-run", action="store_true", help="count, erase nothing")

    def handle(self, *args, code: str | None, dry_run: bool, **options):
        municipalities = Municipality.objects.order_by("code")
        if code:
            municipalities = municipalities.filter(code=code)
            if not municipalities.exists():
                raise CommandError(f"no municipality {code!r} (ไม่พบเทศบาล)")
        for municipality in municipalities:
            with tenant_scope(municipality_ids=[municipality.pk]):
                result = report_contacts_erase(municipality=municipality, dry_run=dry_run)
            verb = "would erase" if dry_run else "erased"
            self.stdout.write(
                f"{result.municipality_code}: {verb} {result.contacts} contacts of "
                f"{result.reports} reports closed over {result.retention_days} days ago"
            )

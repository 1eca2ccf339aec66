"""Delete personal data of cases older than the retention period (run daily from cron)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from layers.pdpa.services import personal_data_purge
from layers.tenancy import all_tenants_scope


class Command(BaseCommand):
    help = "Delete personal fields of cases reported more than N years ago (PDPA retention)."

    def add_arguments(self, parser):
        parser.add_argument("--years", type=int, default=settings.MUEANG_PII_RETENTION_YEARS)

    def handle(self, *args, years: int, **options):
        with all_tenants_scope():
            count = personal_data_purge(older_than_years=years)
        self.stdout.write(f"purged personal data of {count} cases older than {years} years")

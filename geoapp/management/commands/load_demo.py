"""Load the demo municipalities and their demo users (idempotent)."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from fixtures.load import demo_load
from geoapp.accounts.demo import DEMO_PASSWORD, demo_users_create
from geoapp.reports.demo import demo_categories_create


class Command(BaseCommand):
    help = "Load Nakhon Si Thammarat and Chon Buri demo data and one demo user per role."

    def add_arguments(self, parser):
        parser.add_argument("--data-dir", default=settings.MUEANG_DATA_DIR)

    def handle(self, *args, data_dir: str, **options):
        path = Path(data_dir)
        if not (path / "osm_nakhon_si_thammarat").is_dir():
            raise CommandError(
                f"Demo data not found in {path}: set MUEANG_DATA_DIR or pass --data-dir "
                "(ไม่พบข้อมูลตัวอย่าง)"
            )
        for code, reports in demo_load(path).items():
            parts = [
                f"{layer}: skipped (unchanged)"
                if r.skipped
                else f"{layer}: +{r.created} ~{r.updated} -{r.deleted}"
                for layer, r in reports.items()
            ]
            self.stdout.write(f"{code}: " + "; ".join(parts))
        self.stdout.write(f"report categories: +{demo_categories_create()}")
        users = demo_users_create()
        self.stdout.write(
            f"demo users ({len(users)} + platform-admin), password {DEMO_PASSWORD!r}: "
            + ", ".join(u.username for u in users)
        )

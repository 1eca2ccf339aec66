"""Fill the dashboards' shared caches for every municipality whose data they do not hold yet."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from geoapp.management.warm import Warmer


class Command(BaseCommand):
    help = (
        "Compute what the dengue and flood dashboards open with, for every municipality, into "
        "the shared cache (เตรียมข้อมูลแดชบอร์ดล่วงหน้า). The job worker does this by itself "
        "after data changes; run it after a deploy or a restore."
    )

    def handle(self, *args, **options):
        start = time.perf_counter()
        count = Warmer().run()
        self.stdout.write(f"municipalities warmed: {count} ({time.perf_counter() - start:.1f} s)")

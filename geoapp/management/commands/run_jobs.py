"""Run background jobs (imports, analyses) queued by pages and the API (`geoapp.jobs.queue`)."""

from __future__ import annotations

import signal

from django.core.management.base import BaseCommand

from geoapp.jobs.queue import Worker
from geoapp.management.warm import Warmer


class Command(BaseCommand):
    help = (
        "Run queued background jobs until stopped (ทำงานเบื้องหลังที่รอคิว). Several workers may run "
        "at once; each job runs once. --once runs what is queued now and exits."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="empty the queue, then exit")
        parser.add_argument("--poll", type=float, default=2.0, help="seconds between queue checks")
        parser.add_argument(
            "--no-warm",
            action="store_true",
            help="do not fill the dashboards' caches after data changes while the queue is empty",
        )

    def handle(self, *args, **options):
        # When idle, compute what the dashboards open with for municipalities whose data changed
        # (geoapp.management.warm), so the first page after a change finds it in the shared cache.
        idle = None if options["no_warm"] or options["once"] else Warmer().run
        worker = Worker(poll_s=options["poll"], idle=idle)
        if options["once"]:
            count = 0
            while (job := worker.run_once()) is not None:
                count += 1
                self.stdout.write(f"{job.kind} {job.pk}: {job.status}")
            self.stdout.write(f"งานที่ทำ / jobs run: {count}")
            return
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_args: worker.stopping.set())
        self.stdout.write(f"job worker {worker.name} waiting for jobs")
        worker.run_forever()

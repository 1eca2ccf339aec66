"""Release the due weeks of the public dengue counts, or publish a dated correction of one."""

from __future__ import annotations

from datetime import date

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from analysis.disclosure import DisclosureError
from layers.dengue.releases import dengue_release_correct, dengue_releases_publish
from layers.management.commands._history import USAGE_ERROR, municipality_get


class Command(BaseCommand):
    help = (
        "Release every due week of the public dengue counts (run daily from cron, or let the "
        "page do it); with --correct WEEK, publish a dated correction of a released week."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="municipality code")
        parser.add_argument("--today", type=date.fromisoformat, help="YYYY-MM-DD (default today)")
        parser.add_argument(
            "--correct", type=date.fromisoformat, metavar="WEEK", help="a day of the week"
        )
        parser.add_argument("--note", default="", help="why the week is corrected")

    def handle(self, *args, code: str, today, correct, note: str, **options):
        municipality = municipality_get(code)
        today = today or timezone.localdate()
        if correct is None:
            created = dengue_releases_publish(municipality=municipality, today=today)
            weeks = ", ".join(f"{r.week:%Y-%m-%d}" for r in created) or "none"
            self.stdout.write(f"released {len(created)} weeks: {weeks}")
            return
        try:
            release = dengue_release_correct(
                municipality=municipality, week=correct, on=today, note=note
            )
        except ValueError as error:
            code = USAGE_ERROR if not isinstance(error, DisclosureError) else 1
            raise CommandError(str(error), returncode=code) from error
        if release is None:
            self.stdout.write("nothing published became false: no correction")
        else:
            self.stdout.write(f"published correction {release}")

"""Normalise stored national IDs and phones and recompute their lookup digests."""

from django.core.management.base import BaseCommand

from layers.pdpa.services import personal_identifiers_reindex
from layers.tenancy import all_tenants_scope


class Command(BaseCommand):
    help = (
        "Store every case's national ID and phone as plain digits (Thai digits and separators "
        "normalised) and recompute their digests, e.g. after rotating the first key."
    )

    def handle(self, *args, **options):
        with all_tenants_scope():
            count = personal_identifiers_reindex()
        self.stdout.write(f"reindexed the identifiers of {count} personal records")

"""Issue an Open311 API key for a municipality and print it once."""

from django.core.management.base import BaseCommand, CommandError

from geoapp.reports.services import open311_key_create
from layers.models import Municipality
from layers.tenancy import tenant_scope


class Command(BaseCommand):
    help = (
        "Create an Open311 API key named NAME for the municipality CODE; printed once, kept hashed."
    )

    def add_arguments(self, parser):
        parser.add_argument("code")
        parser.add_argument("name")

    def handle(self, *args, code: str, name: str, **options):
        municipality = Municipality.objects.filter(code=code).first()
        if municipality is None:
            raise CommandError(f"no municipality {code!r} (ไม่พบเทศบาล)")
        with tenant_scope(municipality_ids=[municipality.pk]):
            _key, raw = open311_key_create(municipality=municipality, name=name[:100])
        self.stdout.write(raw)

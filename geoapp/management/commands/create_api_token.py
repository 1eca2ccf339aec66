"""Create an API token for a user and print it once."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from geoapp.accounts.tokens import api_token_create


class Command(BaseCommand):
    help = "Create an API token for USERNAME; the key is printed once and stored only hashed."

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--name", default="script")

    def handle(self, *args, username: str, name: str, **options):
        user = get_user_model().objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"no active user {username!r} (ไม่พบผู้ใช้)")
        self.stdout.write(api_token_create(user=user, name=name))

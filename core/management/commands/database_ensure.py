from django.core.management.base import BaseCommand

from core.services import database_ensure_exists


class Command(BaseCommand):
    help = "Creates the configured PostgreSQL database if the server lacks it."

    def handle(self, *args, **options):
        if database_ensure_exists():
            self.stdout.write("Created the database.")

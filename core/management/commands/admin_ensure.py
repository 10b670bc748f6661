import os

from django.conf import settings
from django.core.management.base import BaseCommand

from core.services import admin_user_ensure


class Command(BaseCommand):
    help = (
        "Makes sure a superuser exists: DJANGO_SUPERUSER_USERNAME/PASSWORD when "
        "set, otherwise 'admin' with a random password kept in var/."
    )

    def handle(self, *args, **options):
        password_file = settings.BASE_DIR / "var" / "admin-password.txt"
        ensured = admin_user_ensure(
            username=os.environ.get("DJANGO_SUPERUSER_USERNAME"),
            password=os.environ.get("DJANGO_SUPERUSER_PASSWORD"),
            password_file=password_file,
        )
        if ensured.password:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Created superuser '{ensured.username}' with password "
                    f"{ensured.password} (also kept in {password_file})."
                )
            )
        elif os.environ.get("DJANGO_SUPERUSER_USERNAME"):
            self.stdout.write(
                f"Log in as '{ensured.username}' with DJANGO_SUPERUSER_PASSWORD."
            )
        else:
            self.stdout.write(
                f"Log in as '{ensured.username}'; its password is in {password_file}."
            )

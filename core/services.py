"""Writes that set up the running system (admin account, database)."""

import secrets
from dataclasses import dataclass
from pathlib import Path

import psycopg
from django.contrib.auth import get_user_model
from django.db import connections
from psycopg import sql


@dataclass(frozen=True)
class AdminEnsured:
    username: str
    created: bool
    password: str | None  # only when this call generated it


def admin_user_ensure(
    *, username: str | None, password: str | None, password_file: Path
) -> AdminEnsured:
    """Makes sure a superuser exists to log in with.

    With ``username`` and ``password`` given, that superuser exists afterwards
    with exactly that password. Without them an ``admin`` account is created
    once with a random password, which is written to ``password_file`` (and
    returned, for printing once).
    """
    user_model = get_user_model()
    if username and password:
        user, created = user_model.objects.get_or_create(
            username=username, defaults={"is_staff": True, "is_superuser": True}
        )
        if created or not user.check_password(password) or not user.is_superuser:
            user.is_staff = user.is_superuser = user.is_active = True
            user.set_password(password)
            user.save()
        return AdminEnsured(username=username, created=created, password=None)

    username = "admin"
    if user_model.objects.filter(username=username).exists():
        return AdminEnsured(username=username, created=False, password=None)
    generated = secrets.token_urlsafe(12)
    user_model.objects.create_superuser(username=username, email="", password=generated)
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password_file.write_text(generated + "\n")
    password_file.chmod(0o600)
    return AdminEnsured(username=username, created=True, password=generated)


def database_ensure_exists(*, alias: str = "default") -> bool:
    """Creates the configured database when the server does not have it yet.

    Returns whether it had to be created.
    """
    settings_dict = connections[alias].settings_dict
    params = connections[alias].get_connection_params()
    try:
        psycopg.connect(**params).close()
        return False
    except psycopg.OperationalError as error:
        if "does not exist" not in str(error):
            raise
    maintenance_params = {**params, "dbname": "postgres"}
    with psycopg.connect(**maintenance_params, autocommit=True) as maintenance:
        maintenance.execute(
            sql.SQL("CREATE DATABASE {}").format(sql.Identifier(settings_dict["NAME"]))
        )
    return True

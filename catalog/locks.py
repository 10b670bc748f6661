"""The catalog's single-writer lock.

Imports and delete-all both rewrite large parts of the products table; running
them together would make counts and reports meaningless. They serialise on one
PostgreSQL advisory lock, which the database releases by itself if the holding
process dies, so a killed worker never leaves the catalog locked.
"""

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection

# Any constant bigint works; this one spells "catalog" to whoever reads
# pg_locks.
CATALOG_WRITE_LOCK_KEY = 0x636174616C6F67


class CatalogWriteLockBusy(Exception):
    """Another process holds the catalog write lock."""


@contextmanager
def catalog_write_lock(*, wait: bool) -> Iterator[None]:
    """Holds the catalog write lock (session level) for the ``with`` block.

    ``wait=False`` raises :class:`CatalogWriteLockBusy` at once when another
    session holds it; ``wait=True`` blocks until it is free.
    """
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_lock(%s)", [CATALOG_WRITE_LOCK_KEY])
        else:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [CATALOG_WRITE_LOCK_KEY])
            if not cursor.fetchone()[0]:
                raise CatalogWriteLockBusy
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [CATALOG_WRITE_LOCK_KEY])


def catalog_write_lock_is_held() -> bool:
    """Whether any session holds the catalog write lock right now."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' "
            "AND granted AND ((classid::bigint << 32) | objid::bigint) = %s)",
            [CATALOG_WRITE_LOCK_KEY],
        )
        return cursor.fetchone()[0]

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connection

from catalog.locks import catalog_write_lock


@contextmanager
def _catalog_lock_held_elsewhere() -> Iterator[None]:
    """Holds the catalog write lock from another database session (as a
    running import does) for the duration of the ``with`` block."""
    held, release = threading.Event(), threading.Event()

    def hold_lock():
        with catalog_write_lock(wait=False):
            held.set()
            release.wait(10)
        connection.close()

    holder = threading.Thread(target=hold_lock)
    holder.start()
    try:
        assert held.wait(10)
        yield
    finally:
        release.set()
        holder.join()


@pytest.fixture
def catalog_lock_held_elsewhere():
    return _catalog_lock_held_elsewhere

"""Merges the trigram indexes' pending lists on a second core during the upserts.

Most of an import's time is spent maintaining the products' trigram GIN
indexes (``description`` alone is about half of it). With ``fastupdate`` (the
default) an insert appends its index entries to the index's *pending list*;
once the list is larger than ``gin_pending_list_limit`` the inserting session
itself merges it into the index tree, about a third of the GIN work, and the
upserts wait meanwhile. The merge does not depend on the inserting
transaction: it moves every pending entry into the tree, committed or not,
exactly as VACUUM does, and readers see the same rows either way.

So while the upserts run, :class:`PendingListMerger` calls
``gin_clean_pending_list()`` on each trigram index from a connection of its
own, every few seconds, in a thread (the call runs in that connection's
server process, i.e. on another core), and the import's session raises its
``gin_pending_list_limit`` (``SET LOCAL``, see :data:`IMPORT_PENDING_LIMIT`)
so that it merges only if the helper falls far behind. Merging seldom is
also cheaper in total: each merge touches every trigram's posting list once.
The price is a longer pending list (up to a few seconds' worth of inserts)
that every trigram search scans while the import runs: measured on 500k rows,
a search took ~20 ms (at most ~60 ms) instead of ~3-16 ms. After the last
batch, before the import commits, :meth:`PendingListMerger.finish` empties
the lists, so searches afterwards pay nothing.

On the 500k-row sample (2 cores) the first import went from ~27 s to ~22.5 s;
the rest is the import's own work: trigram extraction (about half of it),
the B-tree indexes and the heap. Larger ``gin_pending_list_limit`` or
``work_mem`` in the import's session alone did not help (the merge costs the
same CPU, just later), and neither did merging continuously (many small merges
cost more in total than one large one).

The helper is an optimisation only: when it cannot work (the database role
does not own the indexes, a lock it waits for, any error) it stops, the
import's limit goes back to the default and the import goes on as before.
"""

from __future__ import annotations

import contextlib
import logging
import threading

import psycopg

logger = logging.getLogger(__name__)

PRODUCT_TABLE = "catalog_product"
# Below this many rows to upsert the helper is not worth a connection.
MIN_ROWS = 50_000
# Seconds between merges: fewer, larger merges cost less in total, but
# searches during the import scan a longer pending list.
MERGE_INTERVAL_SECONDS = 2.0
# The import's own limit while the helper runs (the helper keeps the lists
# well below it; the limit only matters if the helper stalls).
IMPORT_PENDING_LIMIT = "256MB"
# The helper's memory for one merge (the server's default is 64MB).
HELPER_MAINTENANCE_WORK_MEM = "128MB"

_GIN_INDEXES = """
SELECT index.oid::regclass::text
FROM pg_index
JOIN pg_class AS index ON index.oid = pg_index.indexrelid
JOIN pg_am ON pg_am.oid = index.relam
WHERE pg_index.indrelid = %s::regclass AND pg_am.amname = 'gin'
  AND pg_index.indisvalid
ORDER BY 1
"""


class PendingListMerger:
    """Context manager around the upserts; ``active`` tells whether it helps.

    ``cursor`` is the import's (its session gets the higher limit, ``SET
    LOCAL``: it ends with the import's transaction); ``connect`` opens a new
    autocommit psycopg connection to the same database for the helper. Call
    :meth:`after_batch` after each batch and :meth:`finish` after the last.
    """

    def __init__(
        self,
        *,
        cursor,
        connect,
        interval: float | None = None,
        table: str = PRODUCT_TABLE,
    ) -> None:
        self.cursor = cursor
        self.connect = connect
        self.interval = MERGE_INTERVAL_SECONDS if interval is None else interval
        self.table = table
        self.active = False
        self.indexes: list[str] = []
        self.merges = 0
        self._db: psycopg.Connection | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._failed = threading.Event()
        self._limit_raised = False

    def __enter__(self) -> PendingListMerger:
        try:
            self._db = self.connect()
            self._db.execute("SET lock_timeout = '2s'")
            self._db.execute(
                "SELECT set_config('maintenance_work_mem', %s, false)",
                [HELPER_MAINTENANCE_WORK_MEM],
            )
            self.indexes = [
                row[0] for row in self._db.execute(_GIN_INDEXES, [self.table])
            ]
            # Fails at once if this role may not merge (it must own the
            # index), before the import raises its limit.
            self._merge_all()
        except Exception:
            logger.info("GIN pending lists are merged by the import itself")
            logger.debug("pending list merger unavailable", exc_info=True)
            self._close()
            return self
        if not self.indexes:
            self._close()
            return self
        self.active = True
        self._limit_set(IMPORT_PENDING_LIMIT)
        self._thread = threading.Thread(
            target=self._run, name="import-gin-merge", daemon=True
        )
        self._thread.start()
        return self

    def __exit__(self, exc_type, *exc_info) -> None:
        if exc_type is not None and self._thread is not None and self._db:
            # Cancelled or failed: do not make the rollback wait for a merge.
            self._stop.set()
            with contextlib.suppress(Exception):
                self._db.cancel_safe(timeout=5)
        self._halt()
        self._close()

    def after_batch(self) -> None:
        """Gives the import back the default limit if the helper stopped."""
        if self._failed.is_set() and self._limit_raised:
            self._limit_set(None)

    def finish(self) -> None:
        """Stops the helper and empties the pending lists (before commit)."""
        self._halt()
        if self.active and not self._failed.is_set():
            try:
                self._merge_all()
            except Exception:
                logger.warning("could not empty the GIN pending lists", exc_info=True)
        if self._limit_raised:
            self._limit_set(None)
        if self.active:
            logger.info(
                "merged the pending lists of %s %s times from a second connection",
                ", ".join(self.indexes),
                self.merges,
            )
        self._close()

    def _limit_set(self, value: str | None) -> None:
        if value is None:
            self.cursor.execute("SET LOCAL gin_pending_list_limit TO DEFAULT")
        else:
            self.cursor.execute(
                "SELECT set_config('gin_pending_list_limit', %s, true)", [value]
            )
        self._limit_raised = value is not None

    def _merge_all(self) -> None:
        with self._lock:
            for index in self.indexes:
                self._db.execute("SELECT gin_clean_pending_list(%s::regclass)", [index])
            self.merges += 1

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            try:
                self._merge_all()
            except Exception:
                if self._stop.is_set():
                    return
                # The import merges by itself from here on (its limit is
                # only an upper bound).
                logger.warning("GIN pending list merger stopped", exc_info=True)
                self._failed.set()
                return

    def _halt(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def _close(self) -> None:
        if self._db is not None:
            self._db.close()
            self._db = None

"""Loads parsed rows into a temporary staging table with PostgreSQL COPY.

The staging table lives in the worker's database session only (TEMP: no WAL,
invisible to others, gone if the worker dies), so a half-loaded file can never
be seen or merged by anyone.
"""

from collections.abc import Callable, Iterable

STAGING_TABLE = "import_staging"
PROGRESS_EVERY_ROWS = 10_000


def staging_table_create(*, cursor) -> None:
    """(Re)creates the empty staging table in this session."""
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING_TABLE}")
    cursor.execute(
        f"CREATE TEMP TABLE {STAGING_TABLE} ("
        " line integer NOT NULL,"
        " sku text NOT NULL,"
        " name text NOT NULL,"
        " description text NOT NULL,"
        " active boolean"
        ")"
    )


def staging_rows_copy(
    *,
    cursor,
    rows: Iterable[tuple],
    on_progress: Callable[[int], None] | None = None,
) -> int:
    """COPYs ``(line, sku, name, description, active)`` rows; returns the count.

    ``cursor`` is a psycopg 3 cursor. ``on_progress`` is called with the number
    of rows copied so far every few thousand rows (and may raise to stop).
    """
    copied = 0
    statement = (
        f"COPY {STAGING_TABLE} (line, sku, name, description, active) FROM STDIN"
    )
    with cursor.copy(statement) as copy:
        write_row = copy.write_row
        for row in rows:
            write_row(row)
            copied += 1
            if on_progress is not None and copied % PROGRESS_EVERY_ROWS == 0:
                on_progress(copied)
    if on_progress is not None:
        on_progress(copied)
    return copied

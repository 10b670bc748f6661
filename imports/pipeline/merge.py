"""Merges the staged rows into ``catalog_product`` with set-based SQL.

Within a file the last row for a SKU wins (compared case-insensitively). The
winners are numbered in ``lower(sku)`` order, so each batch touches a
contiguous stretch of the unique index, and upserted in batches with
``INSERT ... ON CONFLICT (lower(sku)) DO UPDATE ... WHERE <something changed>``.
Rows that would change nothing are not rewritten, so their ``updated_at``
stays. ``xmax = 0`` in ``RETURNING`` tells a fresh insert from an update;
whatever the statement did not return was unchanged.
"""

from dataclasses import dataclass

from imports.pipeline.staging import STAGING_TABLE

MERGE_TABLE = "import_merge"

_UPSERT = """
WITH upserted AS (
    INSERT INTO catalog_product AS product
        (sku, name, description, active, created_at, updated_at)
    SELECT sku, name, description, COALESCE(active, true),
           statement_timestamp(), statement_timestamp()
    FROM {merge_table}
    WHERE n > %(after)s AND n <= %(upto)s {active_filter}
    ON CONFLICT (lower(sku)) DO UPDATE SET
        sku = EXCLUDED.sku,
        name = EXCLUDED.name,
        description = EXCLUDED.description,
        {active_set}
        updated_at = EXCLUDED.updated_at
    WHERE (product.sku, product.name, product.description{active_compare})
        IS DISTINCT FROM
        (EXCLUDED.sku, EXCLUDED.name, EXCLUDED.description{excluded_compare})
    RETURNING (product.xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted)
FROM upserted
"""

# Rows that give ``active`` set it; rows that don't (no column, or an empty
# cell) leave an existing product's flag alone and create active products.
UPSERT_WITH_ACTIVE = _UPSERT.format(
    merge_table=MERGE_TABLE,
    active_filter="AND active IS NOT NULL",
    active_set="active = EXCLUDED.active,",
    active_compare=", product.active",
    excluded_compare=", EXCLUDED.active",
)
UPSERT_KEEPING_ACTIVE = _UPSERT.format(
    merge_table=MERGE_TABLE,
    active_filter="AND active IS NULL",
    active_set="",
    active_compare="",
    excluded_compare="",
)


@dataclass
class MergeCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


def merge_table_build(*, cursor) -> int:
    """Keeps the last staged row per case-insensitive SKU; returns their count."""
    cursor.execute(f"DROP TABLE IF EXISTS {MERGE_TABLE}")
    # lower() runs in the column's collation (as in the unique index); only
    # the ordering of its result uses "C", which is cheaper and equivalent for
    # equality.
    cursor.execute(
        f"""
        CREATE TEMP TABLE {MERGE_TABLE} AS
        SELECT row_number() OVER (ORDER BY sku_key) AS n,
               sku, name, description, active
        FROM (
            SELECT DISTINCT ON (lower(sku) COLLATE "C")
                   lower(sku) COLLATE "C" AS sku_key,
                   sku, name, description, active
            FROM {STAGING_TABLE}
            ORDER BY lower(sku) COLLATE "C", line DESC
        ) AS last_rows
        """
    )
    cursor.execute(f"SELECT count(*) FROM {MERGE_TABLE}")
    unique_rows = cursor.fetchone()[0]
    cursor.execute(f"CREATE INDEX ON {MERGE_TABLE} (n)")
    cursor.execute(f"ANALYZE {MERGE_TABLE}")
    return unique_rows


def merge_batch_run(*, cursor, after: int, upto: int, has_active: bool) -> MergeCounts:
    """Upserts merge rows ``after < n <= upto``; returns what happened to them."""
    counts = MergeCounts()
    statements = [UPSERT_KEEPING_ACTIVE]
    if has_active:
        statements.insert(0, UPSERT_WITH_ACTIVE)
    params = {"after": after, "upto": upto}
    for statement in statements:
        cursor.execute(statement, params)
        created, updated = cursor.fetchone()
        counts.created += created
        counts.updated += updated
    counts.unchanged = (upto - after) - counts.created - counts.updated
    return counts


def merge_tables_drop(*, cursor) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {MERGE_TABLE}")
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING_TABLE}")

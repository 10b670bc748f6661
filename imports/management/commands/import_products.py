"""``python manage.py import_products FILE``: the import pipeline, in this
process, with a progress bar in the terminal."""

import os
import shutil
import sys
import time

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from imports.services import import_job_create, import_job_run

BAR_WIDTH = 30


class Command(BaseCommand):
    help = "Imports a products CSV (or .csv.gz) with the same pipeline as uploads."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Path of the CSV or .csv.gz file")
        parser.add_argument(
            "--user", help="Username recorded as the importer (default: nobody)"
        )

    def handle(self, *args, file: str, user: str | None = None, **options):
        if not os.path.isfile(file):
            raise CommandError(f"No such file: {file}")
        importer = None
        if user:
            importer = get_user_model().objects.filter(username=user).first()
            if importer is None:
                raise CommandError(f"No such user: {user}")
        started = time.monotonic()
        with open(file, "rb") as handle:
            job = import_job_create(
                file=File(handle, name=os.path.basename(file)),
                filename=os.path.basename(file),
                user=importer,
                enqueue=False,
            )
        self.stdout.write(f"Import #{job.pk}: {job.filename} ({job.file_size:,} bytes)")
        bar = _ProgressBar(self.stdout, interactive=sys.stdout.isatty())
        job = import_job_run(job_id=job.pk, on_publish=bar.show)
        bar.finish()
        if job is None:
            raise CommandError("Another worker is running this import.")
        seconds = time.monotonic() - started
        for warning in job.warnings:
            self.stdout.write(self.style.WARNING(f"Warning: {warning}"))
        if job.status != "completed":
            raise CommandError(job.message or job.status)
        self.stdout.write(
            self.style.SUCCESS(
                f"{job.message} in {seconds:.1f}s "
                f"({(job.total_records or 0) / max(seconds, 1e-9):,.0f} rows/s)"
            )
        )
        if job.error_report:
            self.stdout.write(
                f"Error report: /api/imports/{job.pk}/errors.csv "
                f"(stored as {job.error_report.name})"
            )


class _ProgressBar:
    def __init__(self, stream, *, interactive: bool) -> None:
        self.stream = stream
        self.interactive = interactive
        self.last_line = ""
        self.last_phase = None

    def show(self, state: dict) -> None:
        filled = BAR_WIDTH * state["progress"] // 100
        bar = "#" * filled + "-" * (BAR_WIDTH - filled)
        rows = f"{state['processed_records']:,}"
        if state["total_records"] is not None:
            rows += f"/{state['total_records']:,}"
        line = f"[{bar}] {state['progress']:3d}% {state['phase_label']:<16} {rows} rows"
        if state["phase"] == "waiting":
            line += f" · {state['message']}"
        if self.interactive:
            width = shutil.get_terminal_size((100, 20)).columns - 1
            self.stream.write("\r" + line[:width].ljust(len(self.last_line)), ending="")
            self.stream.flush()
        elif state["phase"] != self.last_phase:
            self.stream.write(line)
        self.last_line = line
        self.last_phase = state["phase"]

    def finish(self) -> None:
        if self.interactive and self.last_line:
            self.stream.write("")

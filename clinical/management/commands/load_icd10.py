"""Load the ICD-10-CM categories and codes (with titles) from the simple-icd-10-cm
package into the DiagnosisCode table.

Idempotent: when the table already holds the package's release it returns at once
(without importing the package, whose import parses an 11 MB XML file); otherwise it
adds only the codes that are missing. Run it once after migrate (`make run` does), not
in web workers.
"""

import time
from importlib.metadata import PackageNotFoundError, version

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from clinical.icd10 import catalogue_rows
from clinical.models import DiagnosisCode

# Categories and codes (chapters and blocks left out) per package release, so a loaded
# table is recognised without importing the package.
CATALOGUE_SIZES = {"1.5.0": 98147}
CHANGE_REASON = "ICD-10-CM load"
BAR_WIDTH = 40


class Command(BaseCommand):
    help = "Load ICD-10-CM codes and titles into the diagnosis code table (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--limit",
            type=int,
            default=None,
            help="Load only the first N codes (tests, quick demos).",
        )
        parser.add_argument("--batch-size", type=int, default=2000)

    def handle(self, *args, limit=None, batch_size=2000, **options):
        if limit is not None and limit < 1:
            raise CommandError("--limit must be a positive number.")
        try:
            release = version("simple-icd-10-cm")
        except PackageNotFoundError as exc:
            raise CommandError("simple-icd-10-cm is not installed.") from exc
        have = DiagnosisCode.objects.count()
        expected = CATALOGUE_SIZES.get(release)
        if limit is not None and expected is not None:
            expected = min(limit, expected)
        if expected is not None and have >= expected:
            self.stdout.write(f"ICD-10-CM {release}: already loaded ({have:,} codes).")
            return

        started = time.monotonic()
        self.stdout.write(f"Reading ICD-10-CM (simple-icd-10-cm {release})…")
        rows = list(catalogue_rows(limit))
        existing = set(DiagnosisCode.objects.values_list("code", flat=True))
        missing = [row for row in rows if row[0] not in existing]
        self.stdout.write(
            f"{len(rows):,} codes in the release, {len(existing):,} in the table, "
            f"{len(missing):,} to add."
        )
        done = 0
        for start in range(0, len(missing), batch_size):
            batch = [
                DiagnosisCode(code=code, title=title, is_billable=leaf, chapter=chapter)
                for code, title, leaf, chapter in missing[start : start + batch_size]
            ]
            with transaction.atomic():
                bulk_create_with_history(
                    batch,
                    DiagnosisCode,
                    batch_size=batch_size,
                    default_change_reason=CHANGE_REASON,
                )
            done += len(batch)
            self._progress(done, len(missing))
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Loaded {done:,} ICD-10-CM codes in {elapsed:.1f} s "
                f"({DiagnosisCode.objects.count():,} in the table)."
            )
        )

    def _progress(self, done, total):
        filled = BAR_WIDTH * done // max(total, 1)
        line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done:,}/{total:,}"
        if self.stdout.isatty():
            self.stdout.write(f"\r{line}", ending="" if done < total else "\n")
        else:
            self.stdout.write(line)
        self.stdout.flush()

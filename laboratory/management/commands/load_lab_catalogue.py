"""Load the laboratory test catalogue shipped with the app (idempotent)."""

from django.core.management.base import BaseCommand

from laboratory.catalogue import catalogue_load

BAR_WIDTH = 40


class Command(BaseCommand):
    help = "Load the shipped lab test catalogue: tests, panels, reference ranges (idempotent)."

    def handle(self, *args, **options):
        def progress(done, total):
            filled = BAR_WIDTH * done // total
            self.stdout.write(
                f"\r[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total}", ending=""
            )
            self.stdout.flush()

        counts = catalogue_load(progress=progress)
        self.stdout.write("")
        self.stdout.write(
            f"Lab catalogue: {counts['created']} created, {counts['updated']} updated, "
            f"{counts['unchanged']} unchanged."
        )

"""Build the demo hospital: accounts for every role and each module's sample data."""

import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from ehr.core import demo


class Command(BaseCommand):
    help = "Create or refresh the demo hospital (idempotent). Refuses to run with DEBUG off."

    def add_arguments(self, parser):
        parser.add_argument("--password", required=True, help="Password of every demo account.")
        parser.add_argument(
            "--patients", type=int, default=300, help="How many demo patients (default 300)."
        )

    def handle(self, *args, password, **options):
        if not settings.DEBUG:
            raise CommandError(
                "seed_demo creates accounts with a known password; it runs only with DEBUG on."
            )
        from django.contrib.auth.password_validation import validate_password
        from django.core.exceptions import ValidationError

        try:
            validate_password(password)
        except ValidationError as exc:
            raise CommandError("The demo password is too weak: " + " ".join(exc.messages)) from exc

        seeders = demo.ordered()
        for number, seeder in enumerate(seeders, start=1):
            self.stdout.write(f"[{number}/{len(seeders)}] {seeder.label}… ", ending="")
            self.stdout.flush()
            started = time.monotonic()
            with transaction.atomic():
                summary = seeder.run(password=password, stdout=self.stdout, options=options)
            self.stdout.write(f"{summary} ({time.monotonic() - started:.1f} s)")
        self.stdout.write(self.style.SUCCESS("The demo hospital is ready."))

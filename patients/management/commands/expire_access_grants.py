"""Remove expired time-limited chart permissions (break-the-glass). Run from cron."""

from django.core.management.base import BaseCommand

from patients.services import access_grants_expire


class Command(BaseCommand):
    help = "Remove expired break-the-glass chart permissions (expiry is also checked live)."

    def handle(self, *args, **options):
        removed = access_grants_expire()
        self.stdout.write(f"Removed {removed} expired access grant(s).")

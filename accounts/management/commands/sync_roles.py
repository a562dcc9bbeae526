"""Create the roles (Groups) and give each exactly the permissions defined in code."""

from django.core.management.base import BaseCommand

from accounts.services import roles_sync


class Command(BaseCommand):
    help = "Create or update the roles and their permissions (idempotent)."

    def handle(self, *args, **options):
        for role, (added, removed, skipped) in roles_sync().items():
            line = f"{role}: +{added} -{removed}"
            if skipped:
                line += f" (skipped, app not installed: {', '.join(skipped)})"
            self.stdout.write(line)
        self.stdout.write(self.style.SUCCESS("Roles are in sync."))

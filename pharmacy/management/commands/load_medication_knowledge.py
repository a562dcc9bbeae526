"""Load the formulary and medication knowledge (classes, ingredients, drugs,
interactions, allergy cross-reactivity) shipped in `pharmacy/knowledge/`. Idempotent:
a second run changes nothing. `make run` runs it after migrate."""

from django.core.management.base import BaseCommand

from pharmacy.knowledge import knowledge_version, load_knowledge


class Command(BaseCommand):
    help = "Load the shipped formulary and medication knowledge (idempotent)."

    def handle(self, *args, **options):
        self.stdout.write(f"Medication knowledge {knowledge_version()}…")
        last = {}

        def progress(step, done, total):
            if (done == total or done % 25 == 0) and last.get(step) != done:
                last[step] = done
                self.stdout.write(f"  {step}: {done}/{total}")

        summary = load_knowledge(progress=progress)
        for table, (rows, written) in summary.items():
            self.stdout.write(f"{table}: {rows} in the file, {written} added or updated.")
        self.stdout.write(self.style.SUCCESS("Medication knowledge loaded."))

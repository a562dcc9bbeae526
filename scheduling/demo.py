"""Demo data for scheduling (being written)."""


def seed_scheduling(password, stdout, options):
    return None

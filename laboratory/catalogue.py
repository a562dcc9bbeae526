"""The test catalogue shipped with the app (`data/catalogue.json`): specimen types, 56
tests with LOINC codes, UCUM units and adult/child reference ranges, and 8 panels.
`catalogue_load` writes it idempotently (`manage.py load_lab_catalogue`)."""

import json
from decimal import Decimal
from pathlib import Path

from django.db import transaction

from laboratory.models import LabTest, PanelMember, ReferenceRange, SpecimenType

CATALOGUE_PATH = Path(__file__).resolve().parent / "data" / "catalogue.json"
RANGE_FIELDS = ("normal_low", "normal_high", "critical_low", "critical_high")


def catalogue_data(path=CATALOGUE_PATH):
    """Return the catalogue as shipped (a dict of lists)."""
    return json.loads(Path(path).read_text(encoding="utf-8"))


def _decimal(value):
    return None if value is None else Decimal(str(value))


def _save(model, lookup, values, actor):
    """Create or update one row; return "created", "updated" or "unchanged"."""
    row = model.objects.filter(**lookup).first()
    if row is None:
        row = model(**lookup, **values)
        row.stamp(actor)
        row.full_clean()
        row.save()
        return "created"
    changed = [k for k, v in values.items() if getattr(row, k) != v]
    if not changed:
        return "unchanged"
    for key in changed:
        setattr(row, key, values[key])
    row.stamp(actor)
    row.full_clean()
    row.save()
    return "updated"


@transaction.atomic
def catalogue_load(*, actor=None, data=None, progress=None):
    """Write the shipped catalogue: add what is missing, update what differs, leave the
    rest (so running it again changes nothing). Return counts per outcome.
    `progress(done, total)` is called after each test."""
    data = data or catalogue_data()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    specimen_types = {}
    for spec in data["specimen_types"]:
        code = spec["code"]
        values = {k: v for k, v in spec.items() if k != "code"}
        counts[_save(SpecimenType, {"code": code}, values, actor)] += 1
        specimen_types[code] = SpecimenType.objects.get(code=code)
    total = len(data["tests"]) + len(data["panels"])
    done = 0
    for test in data["tests"]:
        values = {
            "loinc": test["loinc"],
            "name": test["name"],
            "section": test["section"],
            "specimen_type": specimen_types[test["specimen_type"]],
            "unit": test["unit"],
            "result_type": test["result_type"],
            "coded_values": test.get("allowed_values", ""),
            "decimals": test["decimals"],
            "price": Decimal(test["price"]),
            "delta_check_percent": _decimal(test.get("delta_check_percent")),
            "is_panel": False,
        }
        counts[_save(LabTest, {"code": test["code"]}, values, actor)] += 1
        lab_test = LabTest.objects.get(code=test["code"])
        for band in test["ranges"]:
            lookup = {
                "test": lab_test,
                "sex": band["sex"],
                "age_from_days": band["age_from_days"],
                "age_to_days": band["age_to_days"],
            }
            values = {field: _decimal(band.get(field)) for field in RANGE_FIELDS}
            values["abnormal_values"] = band.get("abnormal_values", "")
            counts[_save(ReferenceRange, lookup, values, actor)] += 1
        done += 1
        if progress:
            progress(done, total)
    for panel in data["panels"]:
        values = {
            "loinc": panel["loinc"],
            "name": panel["name"],
            "section": panel["section"],
            "specimen_type": None,
            "unit": "",
            "price": Decimal(panel["price"]),
            "is_panel": True,
            "decimals": 0,
        }
        counts[_save(LabTest, {"code": panel["code"]}, values, actor)] += 1
        lab_panel = LabTest.objects.get(code=panel["code"])
        members = {t.code: t for t in LabTest.objects.filter(code__in=panel["members"])}
        for position, code in enumerate(panel["members"]):
            counts[
                _save(
                    PanelMember,
                    {"panel": lab_panel, "member": members[code]},
                    {"position": position},
                    actor,
                )
            ] += 1
        done += 1
        if progress:
            progress(done, total)
    return counts

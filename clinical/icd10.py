"""The ICD-10-CM release shipped by the simple-icd-10-cm package. Importing it parses an
11 MB XML file (~3 s, ~180 MB), so it is imported only here, on demand, by the loading
command and the demo seeder; web requests search the DiagnosisCode table instead."""

import warnings


def icd10_package():
    """Return the simple_icd_10_cm module (imported on first use)."""
    with warnings.catch_warnings():
        # The package reads its data with importlib.resources' legacy API.
        warnings.simplefilter("ignore", DeprecationWarning)
        import simple_icd_10_cm

        simple_icd_10_cm.is_valid_item("A00")  # parse the release under the filter
    return simple_icd_10_cm


def catalogue_rows(limit=None):
    """Yield (code, title, is_billable, chapter) for every ICD-10-CM category and code,
    in the release's order (chapters and blocks left out); the first `limit` only."""
    cm = icd10_package()
    count = 0
    for code in cm.get_all_codes(True):
        if limit is not None and count >= limit:
            return
        if cm.is_chapter(code) or cm.is_block(code):
            continue
        yield code, cm.get_description(code), cm.is_leaf(code), cm.get_ancestors(code)[-1]
        count += 1


def catalogue_entry(code):
    """Return (title, is_billable, chapter) of one code of the release."""
    cm = icd10_package()
    return cm.get_description(code), cm.is_leaf(code), cm.get_ancestors(code)[-1]

"""Nothing on screen refers to a module that does not exist: the templates, the navigation
bar, the home panels and the chart tabs name pharmacy, laboratory, billing or imaging only
when the app that provides it is installed."""

import re
from pathlib import Path

import pytest
from django.apps import apps
from django.conf import settings

from ehr.core import chart, dashboard, navigation

# A module of DESIGN.md not built yet -> the words a page would use for it.
PLANNED = {
    "pharmacy": r"pharmac\w*|prescri\w*|dispens\w*|formular\w*|medication\w*",
    # Imaging (orders, reports, documents) is part of the laboratory app.
    "laboratory": r"laborator\w*|lab (?:order|result|test)s?|specimen\w*|imaging|radiolog\w*",
    "billing": r"billing|invoice\w*",
}


def unbuilt():
    return {app: words for app, words in PLANNED.items() if not apps.is_installed(app)}


def mentions(text, words):
    return re.findall(rf"\b(?:{words})\b", text, flags=re.IGNORECASE)


def test_the_words_find_a_mention():
    assert mentions("Open the Pharmacy worklist", PLANNED["pharmacy"]) == ["Pharmacy"]
    assert mentions("New lab orders", PLANNED["laboratory"]) == ["lab orders"]
    assert mentions("Patient billing", PLANNED["billing"]) == ["billing"]


def test_no_template_names_a_module_that_is_not_installed():
    found = []
    for root in settings.TEMPLATES[0]["DIRS"]:
        for path in Path(root).rglob("*.html"):
            text = path.read_text()
            # Template comments are for developers, not users.
            text = re.sub(r"{%\s*comment\s*%}.*?{%\s*endcomment\s*%}", "", text, flags=re.S)
            text = re.sub(r"{#.*?#}", "", text, flags=re.S)
            for app, words in unbuilt().items():
                found += [f"{path}: {word} ({app})" for word in mentions(text, words)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize(
    "entries",
    [
        pytest.param(
            lambda: [(i.key, str(i.label), i.url_name) for i in navigation.ITEMS.values()]
        ),
        pytest.param(
            lambda: [(p.key, str(p.title), p.template) for p in dashboard.PANELS.values()]
        ),
        pytest.param(lambda: [(t.key, str(t.label), t.template) for t in chart.TABS.values()]),
    ],
    ids=["navigation", "home panels", "chart tabs"],
)
def test_no_registered_entry_names_a_module_that_is_not_installed(entries):
    found = [
        f"{entry}: {app}"
        for entry in entries()
        for app, words in unbuilt().items()
        if any(mentions(part, words) for part in entry)
    ]
    assert not found

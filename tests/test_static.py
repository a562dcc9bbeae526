"""Meta-tests over the templates and our static files: a page that shows an element some
script drives loads that script, every script is loaded the one way (deferred, with the
CSP nonce, vendor libraries before app scripts), and every static path a template names
exists. They read the template sources, so they cover pages no view test renders."""

import re
from functools import cache
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders

from ehr.core import chart, dashboard

TEMPLATES = Path(settings.BASE_DIR) / "templates"

# Page-specific hooks in the markup -> the static files a page showing them must load.
# core.js is loaded by base.html on every page; the app scripts only where needed.
HOOKS = {
    "data-auto-submit": {"js/core.js"},
    "data-focus-first": {"js/core.js"},
    "data-confirm": {"js/core.js"},
    "data-print": {"js/core.js"},
    "data-copy=": {"js/core.js"},
    "board-poller": {"js/inpatient.js"},
    'json_script:"census-data"': {"js/inpatient.js", "vendor/chart.js/chart.umd.min.js"},
    'json_script:"vitals-chart-data"': {"js/clinical.js", "vendor/chart.js/chart.umd.min.js"},
    "icd-picker": {"js/clinical.js"},
    'id="scheduling-calendar"': {"js/scheduling.js", "vendor/fullcalendar/all/global.js"},
    "data-clears=": {"js/scheduling.js"},
    "data-patient-picker": {"js/scheduling.js"},
    "data-colour=": {"js/scheduling.js"},
}

CHART = "patients/chart.html"  # the chart frame: one page per tab (pages())

# Templates included through a variable: {% include tab.template %} and the like.
DYNAMIC_INCLUDES = {
    "patients/chart.html": ("{% include tab.template", lambda: chart.TABS.values()),
    "patients/partials/banner.html": (
        "{% include item.template",
        lambda: chart.BANNER_ITEMS.values(),
    ),
    # A panel's template is rendered by `{% panel_body %}` (ehr_tags), kept or not.
    "partials/panel_grid.html": ("{% panel_body panel", lambda: dashboard.PANELS.values()),
}

STATIC = re.compile(r"""{%\s*static\s+["']([^"']+)["']\s*%}""")
SCRIPT_TAG = re.compile(r"<script\b[^>]*>", re.S)
TEMPLATE_NAME = re.compile(r"""["']([\w/.-]+\.html)["']""")
EXTENDS = re.compile(r"""{%\s*extends\s+["']([^"']+)["']""")


@cache
def sources():
    return {
        path.relative_to(TEMPLATES).as_posix(): path.read_text(encoding="utf-8")
        for path in sorted(TEMPLATES.rglob("*.html"))
    }


def extends_chain(name):
    chain = [name]
    while match := EXTENDS.search(sources()[chain[-1]]):
        if match.group(1) not in sources():
            break  # a third-party parent (admin, allauth): nothing of ours to load
        chain.append(match.group(1))
    return chain


def references(name):
    names = {n for n in TEMPLATE_NAME.findall(sources()[name]) if n in sources()}
    if name in DYNAMIC_INCLUDES and name != CHART:  # the chart's tab: see rendered_by
        names |= {item.template for item in DYNAMIC_INCLUDES[name][1]()}
    return names - {name}


def rendered_by(page):
    """Every template a page renders: its parents and what they all include (on a chart
    page, its own tab's template, not the other tabs')."""
    tab = chart_tab(page)
    if tab is not None:
        return rendered_by(CHART) | rendered_by(tab.template)
    seen, todo = set(), list(extends_chain(page))
    while todo:
        name = todo.pop()
        if name not in seen:
            seen.add(name)
            todo.extend(references(name) - seen)
    return seen


def pages():
    """Every page template; the chart frame once per tab ("patients/chart.html#vitals"),
    since each tab is its own page with its own static files."""
    names = [name for name in sources() if "base.html" in extends_chain(name)[1:]]
    return [
        *(name for name in names if name != CHART),
        *(f"{CHART}#{key}" for key in sorted(chart.TABS)),
    ]


def chart_tab(page):
    """Return the ChartTab a chart page shows, or None for other pages."""
    return chart.TABS[page.split("#", 1)[1]] if page.startswith(f"{CHART}#") else None


def loaded_by(page):
    """Static files a page's <script> and <link> tags load (only parents fill blocks),
    and on a chart page those its tab and the banner's items declare."""
    loaded = set()
    tab = chart_tab(page)
    for name in extends_chain(CHART if tab else page):
        for tag in re.findall(r"<(?:script|link)\b[^>]*>", sources()[name], re.S):
            loaded.update(STATIC.findall(tag))
    if tab is not None:
        assets = chart.assets_for(tab, chart.BANNER_ITEMS.values())
        loaded.update(*assets.values())
    return loaded


def hooks_in(name):
    return {hook for hook in HOOKS if hook in sources()[name]}


def test_the_dynamic_includes_are_where_the_meta_tests_expect_them():
    for name, (tag, _) in DYNAMIC_INCLUDES.items():
        assert tag in sources()[name], f"{name} no longer has {tag}: update DYNAMIC_INCLUDES"


@pytest.mark.parametrize("page", pages())
def test_a_page_loads_the_script_that_drives_its_elements(page):
    loaded = loaded_by(page)
    missing = {
        f"{name} uses {hook!r} but {page} does not load {', '.join(sorted(needs - loaded))}"
        for name in rendered_by(page)
        for hook in hooks_in(name)
        if not (needs := HOOKS[hook]) <= loaded
    }
    assert not missing, "\n".join(sorted(missing))


def test_every_template_with_a_hook_is_rendered_by_some_page():
    # A fragment that only htmx swaps in is not reached from a page: its hook would escape
    # the test above. Hooks belong on the host page's markup (.icd-picker, [data-patient-
    # picker]) whose script handles the fragment's buttons by delegation.
    reached = set().union(*(rendered_by(page) for page in pages()))
    stray = sorted(name for name in sources() if hooks_in(name) and name not in reached)
    assert not stray, f"hooks in templates no page renders: {stray}"


def test_the_old_auto_submit_attributes_and_ehr_js_are_gone():
    for name, text in sources().items():
        assert "data-autosubmit" not in text, f"{name}: use data-auto-submit"
        assert "js/ehr.js" not in text and "css/ehr.css" not in text, name
    assert not finders.find("js/ehr.js") and not finders.find("css/ehr.css")


def test_every_static_path_a_template_names_exists():
    missing = {
        f"{name}: {path}"
        for name, text in sources().items()
        for path in STATIC.findall(text)
        if not finders.find(path)
    }
    assert not missing, sorted(missing)


def test_every_script_is_deferred_and_carries_the_csp_nonce():
    for name, text in sources().items():
        for tag in SCRIPT_TAG.findall(text):
            assert 'nonce="{{ request.csp_nonce }}"' in tag, f"{name}: {tag}"
            assert re.search(r"\sdefer[\s>]", tag), f"{name}: {tag}"


def test_vendor_scripts_come_before_the_app_scripts_in_base_html():
    base = sources()["base.html"]
    order = [
        base.index("{% block vendor_scripts %}"),
        base.index("{% static 'js/core.js' %}"),
        base.index("{% block app_scripts %}"),
    ]
    assert order == sorted(order)


@pytest.mark.parametrize("app", ["inpatient", "clinical", "scheduling"])
def test_an_app_script_and_sheet_are_loaded_only_by_pages_that_need_them(app):
    # Each app file is loaded by at least one page, and never by base.html or a layout.
    shared = set().union(*(loaded_by(name) for name in ("base.html", "layouts/staff.html")))
    assert f"js/{app}.js" not in shared and f"css/{app}.css" not in shared
    users = [page for page in pages() if f"js/{app}.js" in loaded_by(page)]
    assert users, f"no page loads js/{app}.js"
    assert any(f"css/{app}.css" in loaded_by(page) for page in pages())

"""Every page of the persona matrix on a phone (390 px), in a real browser: no page is
wider than the screen, every row action and in-page navigation link is on screen (the
tables stack into cards, see docs/adding-an-app.md, "Tables on phones and tablets"), and
axe-core (tests/browser/vendor/axe-core) finds no serious or critical WCAG 2.1 A/AA
violation. The persona pages come from each app's matrix (tests/<app>/test_views.py), built
on the same scenes; the signed-in pages of the kernel and the accounts, the API docs and
the sign-in pages are added here. One browser, one signed-in context per persona."""

import time
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from playwright.sync_api import expect

from tests.clinical import test_views as clinical_views
from tests.factories.clinical import make_codes
from tests.factories.inpatient import WardFactory, beds_in
from tests.factories.patients import PatientFactory, on_care_team
from tests.factories.scheduling import ConsultationRoomFactory
from tests.inpatient import test_views as inpatient_views
from tests.matrix import STAFF_PERSONAS
from tests.patients import test_views as patients_views
from tests.scheduling import test_views as scheduling_views

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Evaluated by the test driver (not a <script>), so the page's CSP stays as it is.
AXE_SOURCE = (Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js").read_text()
PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
WCAG_21_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]

# Matrix GET entries that are not pages a person reads (each named, so none is skipped
# silently): the browser test visits every other GET entry the persona may open.
NOT_PAGES = {
    ("scheduling", "events"): "the calendar's JSON feed",
    ("inpatient", "board grid"): "the fragment the bed board swaps in",
    ("inpatient", "census csv"): "a CSV download",
}


# The persona's own pages outside the apps' matrices (the top bar and the user menu).
SIGNED_IN_PAGES = [
    ("home", lambda: reverse("core:home")),
    ("notifications", lambda: reverse("core:notification_list")),
    ("profile", lambda: reverse("accounts:profile")),
    ("two-factor", lambda: reverse("mfa_index")),
    ("password", lambda: reverse("account_change_password")),
    ("sessions", lambda: reverse("usersessions_list")),
    ("api docs", lambda: reverse("api:docs")),
]

# Pages drawn by a script after loading: checked once this element is there.
DRAWN = {"api docs": "#swagger-ui .information-container"}

# Run in the page: what does not fit a phone. Elements not rendered (a closed collapse,
# a menu) are skipped; an element scrolled out of a table's overflow box counts as off
# screen, since a person cannot see it without finding the scroll.
LAYOUT_PROBLEMS = """() => {
  const width = window.innerWidth;
  const problems = [];
  const doc = document.documentElement;
  if (doc.scrollWidth > width) {
    problems.push(`page is ${doc.scrollWidth}px wide on a ${width}px screen`);
  }
  const label = (el) => (el.textContent || el.value || el.getAttribute("aria-label") || "")
    .replace(/\\s+/g, " ").trim().slice(0, 40) || el.outerHTML.slice(0, 60);
  const offScreen = (el) => {
    if (el.getClientRects().length === 0) return false;
    const box = el.getBoundingClientRect();
    if (box.width === 0 && box.height === 0) return false;
    return box.left < -1 || box.right > width + 1;
  };
  const actions = "a[href], button, input[type=submit], select";
  document.querySelectorAll("main table tbody tr").forEach((row) => {
    row.querySelectorAll(actions).forEach((el) => {
      if (offScreen(el)) problems.push(`row action "${label(el)}" is off screen`);
    });
  });
  document.querySelectorAll("main nav a[href]").forEach((el) => {
    if (offScreen(el)) problems.push(`navigation link "${label(el)}" is off screen`);
  });
  if (!document.querySelector("main")) problems.push("no <main> landmark");
  return problems;
}"""

AXE_RUN = """async (tags) => {
  const results = await window.axe.run(document, {
    runOnly: {type: "tag", values: tags},
    resultTypes: ["violations"],
  });
  return results.violations
    .filter((v) => v.impact === "serious" || v.impact === "critical")
    .map((v) => [v.id, `${v.impact} ${v.id}: ${v.help} at ${
      v.nodes.slice(0, 3).map((n) => n.target.join(" ")).join(", ")} (${
      v.nodes[0].html.slice(0, 160)})`]);
}"""


def _scenes(make_user, doctor, nurse, receptionist):
    """Each app's matrix scene, built by the app's own fixture functions."""
    world = patients_views.world.__wrapped__(make_user)
    make_codes()
    chart_patient = on_care_team(
        PatientFactory(first_name="Ada", last_name="Lovelace"), doctor, nurse
    )
    records = clinical_views.chart_records.__wrapped__(chart_patient, doctor)
    ward = WardFactory(name="Medical Ward")
    inpatient_scene = inpatient_views.scene.__wrapped__(ward, beds_in(ward, 4), doctor, nurse)
    room = ConsultationRoomFactory(name="Room 1")
    scheduling_scene = scheduling_views.scene.__wrapped__(doctor, receptionist, room)
    return {
        "patients": (patients_views.PAGES, world),
        "clinical": (clinical_views.PAGES, {"patient": chart_patient, **records}),
        "inpatient": (inpatient_views.PAGES, inpatient_scene),
        "scheduling": (scheduling_views.PAGES, scheduling_scene),
    }


def persona_pages(scenes, persona):
    """Return [(name, url)]: every page of the matrix `persona` may open, then the
    persona's own pages."""
    pages = []
    for app, (matrix, scene) in scenes.items():
        for page in matrix:
            if (
                page.method == "get"
                and not page.extra  # htmx fragments
                and page.ok in (200, 302)
                and persona in page.allowed
                and (app, page.name) not in NOT_PAGES
            ):
                pages.append((f"{app}/{page.name}", page.url(scene)))
    pages += [(name, url()) for name, url in SIGNED_IN_PAGES]
    return pages


def _signed_in_context(browser, live_server, user):
    context = browser.new_context(viewport=PHONE)
    if user is not None:
        client = Client()
        client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        context.add_cookies([{"name": cookie.key, "value": cookie.value, "url": live_server.url}])
    return context


def check_pages(context, live_server, pages, audited):
    """Visit `pages` in one tab; return the problems found, one line each. axe audits a
    page once (the first persona who opens it; the markup differs between roles only in
    which buttons show, all of the site's same styles); the layout is checked for every
    persona, since each role sees its own row actions."""
    problems = []
    tab = context.new_page()
    csp = []
    tab.on(
        "console",
        lambda msg: csp.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    for name, url in pages:
        csp.clear()
        response = tab.goto(live_server.url + url)
        found = []
        if response is None or response.status != 200:
            found.append(f"answered {response and response.status}")
        else:
            if name in DRAWN:
                tab.wait_for_selector(DRAWN[name])
            found += tab.evaluate(LAYOUT_PROBLEMS)
            if name not in audited:
                audited.add(name)
                tab.evaluate(AXE_SOURCE)
                found += [line for _rule, line in tab.evaluate(AXE_RUN, WCAG_21_AA)]
            found += [f"CSP: {text[:160]}" for text in csp]
        problems += [f"{name} ({url}): {line}" for line in found]
    tab.close()
    return problems


def test_every_page_fits_a_phone_and_passes_axe(
    live_server, browser, make_user, doctor, nurse, receptionist, request, portal_patient
):
    started = time.monotonic()
    scenes = _scenes(make_user, doctor, nurse, receptionist)
    problems = []
    visited = 0
    audited = set()
    for persona in STAFF_PERSONAS:
        pages = persona_pages(scenes, persona)
        context = _signed_in_context(browser, live_server, request.getfixturevalue(persona))
        problems += [
            f"[{persona}] {line}" for line in check_pages(context, live_server, pages, audited)
        ]
        visited += len(pages)
        context.close()

    portal = _signed_in_context(browser, live_server, portal_patient)
    problems += [
        f"[portal patient] {line}"
        for line in check_pages(
            portal, live_server, audited=audited, pages=[("portal home", reverse("portal:home"))]
        )
    ]
    portal.close()
    stranger = _signed_in_context(browser, live_server, None)
    sign_in_pages = [
        ("staff sign-in", reverse("account_login")),
        ("portal sign-in", reverse("portal:login")),
        ("password reset", reverse("account_reset_password")),
    ]
    problems += [
        f"[stranger] {line}" for line in check_pages(stranger, live_server, sign_in_pages, audited)
    ]
    stranger.close()
    visited += 1 + len(sign_in_pages)

    elapsed = time.monotonic() - started
    print(f"{visited} page visits at 390 px with axe in {elapsed:.1f} s")
    assert visited > 100 and len(audited) > 50  # the matrices were read
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("width", [390, 820])
def test_the_navbar_collapses_behind_its_toggle_on_phones_and_tablets(
    live_server, browser, doctor, width
):
    context = _signed_in_context(browser, live_server, doctor)
    context.set_default_timeout(10_000)
    tab = context.new_page()
    tab.set_viewport_size({"width": width, "height": 900})
    tab.goto(live_server.url + reverse("core:home"))
    menu = tab.locator("#main-nav")
    patients = menu.get_by_role("link", name="Patients")
    expect(patients).to_be_hidden()

    tab.get_by_role("button", name="Toggle navigation").click()
    expect(patients).to_be_visible()
    expect(tab.get_by_role("button", name="Toggle navigation")).to_have_attribute(
        "aria-expanded", "true"
    )
    box = patients.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= width
    assert tab.evaluate("document.documentElement.scrollWidth") <= width
    context.close()


def test_a_page_prints_as_a_plain_document(live_server, browser, doctor):
    patient = on_care_team(PatientFactory(first_name="Ada", last_name="Lovelace"), doctor)
    context = _signed_in_context(browser, live_server, doctor)
    tab = context.new_page()
    tab.goto(live_server.url + reverse("patients:patient_chart", args=[patient.pk, "demographics"]))
    tab.emulate_media(media="print")

    for hidden in (".app-header", ".app-footer", "main nav", "main .btn"):
        assert tab.locator(hidden).first.evaluate("(e) => getComputedStyle(e).display") == "none"
    expect(tab.locator("main h1, main h2").first).to_be_visible()
    colours = tab.evaluate(
        """() => [...document.querySelectorAll("main *")].map((e) => getComputedStyle(e).color)"""
    )
    assert set(colours) == {"rgb(0, 0, 0)"}
    assert tab.evaluate("getComputedStyle(document.body).backgroundColor") in (
        "rgb(255, 255, 255)",
        "rgba(0, 0, 0, 0)",
    )
    link_after = tab.locator("main a[href]").first.evaluate(
        "(a) => getComputedStyle(a, '::after').content"
    )
    assert link_after in ("none", "normal")
    context.close()


def test_on_a_tablet_row_actions_and_chart_tabs_stay_on_screen(
    live_server, browser, make_user, doctor, nurse, receptionist
):
    """At 820 px tables keep their columns and scroll inside their wrapper; the actions
    column sticks to the right edge, so each row's buttons stay on screen; the chart tabs
    wrap instead of scrolling out of sight."""
    scenes = _scenes(make_user, doctor, nurse, receptionist)
    problems = []
    for persona, user in (("doctor", doctor), ("receptionist", receptionist)):
        context = _signed_in_context(browser, live_server, user)
        tab = context.new_page()
        tab.set_viewport_size(TABLET)
        for name, url in persona_pages(scenes, persona):
            response = tab.goto(live_server.url + url)
            assert response.status == 200, f"{name}: {response.status}"
            if name in DRAWN:
                tab.wait_for_selector(DRAWN[name])
            problems += [f"[{persona}] {name}: {line}" for line in tab.evaluate(LAYOUT_PROBLEMS)]
        context.close()
    assert not problems, "\n".join(problems)

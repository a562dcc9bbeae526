"""The vitals trend charts in a real browser: a time axis (readings placed at the time
they were taken, dates in the site's format, as the table shows them, whatever the
browser's time zone), straight lines, the normal ranges drawn as bands on every chart
including both on blood pressure, a single reading shown as a point; no
Content-Security-Policy violation."""

import re
from datetime import datetime, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from clinical import services
from tests.factories.patients import PatientFactory, on_care_team

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CHART = "canvas[data-vitals-chart='{}']"


@pytest.fixture
def browser_context_args(browser_context_args):
    # Far from the server's zone (UTC in tests): the chart must still show the table's
    # wall-clock times.
    return {**browser_context_args, "timezone_id": "Pacific/Auckland"}


def sign_in(page, live_server, user, password):
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill(password)
    page.get_by_role("button", name=re.compile("sign in", re.I)).click()
    page.wait_for_url(f"{live_server.url}/")


def chart_state(page, key):
    """What Chart.js drew on the canvas of `key`: scale type, tension, bands, points."""
    page.wait_for_function(
        "(selector) => window.Chart && Chart.getChart(document.querySelector(selector))",
        arg=CHART.format(key),
    )
    return page.evaluate(
        """(selector) => {
            const canvas = document.querySelector(selector);
            const chart = Chart.getChart(canvas);
            const area = chart.chartArea;
            const y = chart.scales.y;
            const ctx = canvas.getContext("2d");
            const ratio = chart.currentDevicePixelRatio;
            // The colour painted near the left edge of the plot inside each band, at the
            // height inside the band farthest from every grid line (a grid line laid over
            // the band darkens it; where the ticks fall depends on the canvas's height).
            const ticks = y.ticks.map((t) => y.getPixelForValue(t.value));
            const clearOfGrid = (band) => [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
                .map((f) => y.getPixelForValue(band.low + f * (band.high - band.low)))
                .map((py) => [Math.min(...ticks.map((t) => Math.abs(t - py))), py])
                .sort((a, b) => b[0] - a[0])[0][1];
            // A row of pixels from the left edge of the plot: a vertical grid line of the
            // time axis may cross one of them (where depends on the canvas's width).
            const pixel = (py) => [3, 5, 7, 9, 11, 13].map((dx) => Array.from(ctx.getImageData(
                Math.round((area.left + dx) * ratio), Math.round(py * ratio), 1, 1).data));
            const bands = chart.options.plugins.vitalsBands.bands;
            return {
                xType: chart.scales.x.type,
                tension: chart.data.datasets.map((d) => d.tension),
                bands: bands.map((b) => [b.low, b.high]),
                inside: bands.map((b) => pixel(clearOfGrid(b))),
                colours: chart.data.datasets.map((d) => d.borderColor),
                points: chart.data.datasets.map((d, i) => chart.getDatasetMeta(i).data.map(
                    (p) => ({x: p.x, y: p.y, radius: p.options.radius,
                             inArea: p.x > area.left && p.x < area.right
                                     && p.y > area.top && p.y < area.bottom}))),
                ticks: chart.scales.x.ticks.map((t) => t.label),
            };
        }""",
        CHART.format(key),
    )


def painted(pixels, colour):
    """Whether most of `pixels` (RGBA), a short row inside a band, are `colour`
    ("#0e5a8a") laid on faintly: a grid line crossing the row darkens one of them."""
    rgb = [int(colour[i : i + 2], 16) for i in (1, 3, 5)]

    def faint_colour(pixel):
        return 0 < pixel[3] < 128 and all(abs(a - b) <= 6 for a, b in zip(pixel, rgb, strict=False))

    return sum(faint_colour(pixel) for pixel in pixels) > len(pixels) // 2


def tooltip_title(page, key, dataset=0, index=0):
    return page.evaluate(
        """([selector, dataset, index]) => {
            const chart = Chart.getChart(document.querySelector(selector));
            const point = chart.getDatasetMeta(dataset).data[index];
            chart.tooltip.setActiveElements([{datasetIndex: dataset, index: index}],
                                            {x: point.x, y: point.y});
            chart.update();
            return chart.tooltip.title.join(" ");
        }""",
        [CHART.format(key), dataset, index],
    )


def test_the_trend_charts_use_a_time_axis_with_normal_range_bands(
    live_server, page, make_user, password, csp_violations
):
    doctor = make_user("Doctor", first_name="Gregory", last_name="House")
    patient = on_care_team(PatientFactory(first_name="Ada", last_name="Lovelace"), doctor)
    # Uneven gaps: 30 days, then 1 day. On a time axis the last two points are close.
    taken = [
        timezone.make_aware(datetime(2026, 10, 1, 8, 30)),
        timezone.make_aware(datetime(2026, 10, 31, 8, 30)),
        timezone.make_aware(datetime(2026, 11, 1, 14, 5)),
    ]
    for at, (systolic, diastolic, pulse) in zip(
        taken, [(150, 95, 110), (138, 88, 84), (126, 80, 72)], strict=True
    ):
        services.vital_signs_record(
            patient=patient,
            actor=doctor,
            systolic_bp=systolic,
            diastolic_bp=diastolic,
            heart_rate=pulse,
            recorded_at=at,
        )
    sign_in(page, live_server, doctor, password)
    page.goto(f"{live_server.url}/patients/{patient.pk}/chart/vitals/")

    pulse = chart_state(page, "heart_rate")
    assert pulse["xType"] == "time"
    assert pulse["tension"] == [0]
    assert pulse["bands"] == [[60, 100]]
    assert painted(pulse["inside"][0], pulse["colours"][0])
    xs = [p["x"] for p in pulse["points"][0]]
    assert (xs[2] - xs[1]) * 10 < xs[1] - xs[0]  # one day apart vs thirty
    assert all(
        re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}( \d{4}| \d\d:\d\d)?", t) for t in pulse["ticks"]
    )
    # The tooltip shows the time as the table does, in the site's format.
    first_row_time = page.locator(".vitals-table tbody tr").first.locator("time").inner_text()
    assert first_row_time == "1 Nov 2026, 14:05"
    assert tooltip_title(page, "heart_rate", index=2) == first_row_time

    pressure = chart_state(page, "blood_pressure")
    assert pressure["xType"] == "time"
    assert pressure["tension"] == [0, 0]
    assert pressure["bands"] == [[90, 139], [60, 89]]  # systolic and diastolic
    # Each band in its line's colour.
    assert painted(pressure["inside"][0], pressure["colours"][0])
    assert painted(pressure["inside"][1], pressure["colours"][1])
    expect(page.locator(CHART.format("temperature_c"))).to_be_hidden()  # no readings
    assert csp_violations == []


def test_a_single_reading_is_drawn_as_a_point(
    live_server, page, make_user, password, csp_violations
):
    doctor = make_user("Doctor")
    patient = on_care_team(PatientFactory(), doctor)
    services.vital_signs_record(
        patient=patient,
        actor=doctor,
        heart_rate=72,
        spo2=97,
        recorded_at=timezone.now() - timedelta(hours=2),
    )
    sign_in(page, live_server, doctor, password)
    page.goto(f"{live_server.url}/patients/{patient.pk}/chart/vitals/")

    expect(page.locator(CHART.format("heart_rate"))).to_be_visible()
    pulse = chart_state(page, "heart_rate")
    assert pulse["xType"] == "time"
    [[point]] = pulse["points"]
    assert point["radius"] > 0 and point["inArea"]
    assert pulse["bands"] == [[60, 100]]
    assert painted(pulse["inside"][0], pulse["colours"][0])
    oxygen = chart_state(page, "spo2")
    assert len(oxygen["points"][0]) == 1 and oxygen["points"][0][0]["inArea"]
    assert csp_violations == []

"""Browser tests: Playwright driving Debian's Chromium (browsers cannot be downloaded
here). Without /usr/bin/chromium they are skipped with a notice, unless
EHR_REQUIRE_BROWSER=1 (CI), where a missing browser fails the run."""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("EHR_CHROMIUM", "/usr/bin/chromium")


def pytest_collection_modifyitems(config, items):
    if os.path.exists(CHROMIUM) or shutil.which(CHROMIUM):
        return
    if os.environ.get("EHR_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(
            f"Browser tests need Chromium at {CHROMIUM} (apt-get install chromium)."
        )
    skip = pytest.mark.skip(reason=f"no Chromium at {CHROMIUM}; apt-get install chromium")
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            "--disable-gpu",
        ],
    }


@pytest.fixture
def csp_violations(page):
    """Collect Content-Security-Policy violations reported on the console."""
    violations = []
    page.on(
        "console",
        lambda msg: (
            violations.append(msg.text)
            if "Content Security Policy" in msg.text or "Content-Security-Policy" in msg.text
            else None
        ),
    )
    return violations

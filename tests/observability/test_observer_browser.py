"""The observer page in a real browser: headless Chromium (the system's) driven by Playwright.

It loads the page of the running showcase (``examples/bank.py --observer``),
checks the tree, injects a failure from the page and watches it become a
restart, and takes the screenshot that ``docs/observability.md`` shows.
Locally it is skipped when ``/usr/bin/chromium`` is missing; in CI it must run.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = Path("/usr/bin/chromium")
# The docs' screenshot is refreshed only on request, so a test run leaves the tree clean:
#   ANYACTORS_UPDATE_SCREENSHOT=1 make test
DOCS_SCREENSHOT = ROOT / "docs" / "images" / "observer.png"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

if not CHROMIUM.exists():
    if os.environ.get("CI"):
        pytest.fail(
            f"{CHROMIUM} is missing in CI; .ci/run installs Debian's chromium package before the tests",
            pytrace=False,
        )
    pytest.skip(
        f"no Chromium at {CHROMIUM}: install it (apt-get install chromium) to run the browser test",
        allow_module_level=True,
    )

from playwright.sync_api import expect, sync_playwright  # noqa: E402


@pytest.fixture
def demo_url() -> Iterator[str]:
    """Run the showcase with the observer on a free port; yield its URL with the token."""
    with subprocess.Popen(
        [sys.executable, str(ROOT / "examples" / "bank.py"), "--observer", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        try:
            for line in process.stdout:
                found = re.match(r"^observer: (http://\S+) ", line)
                if found:
                    yield found[1]
                    return
            pytest.fail(f"the demo ended without serving the observer: {process.stderr.read()}")
        finally:
            process.terminate()
            process.wait(timeout=10)


def row(path: str) -> str:
    return f'#tree tr[data-path="{path}"]'


@pytest.mark.timeout(60)
def test_the_page_shows_the_tree_and_a_failure_becomes_a_restart(
    demo_url: str, tmp_path: Path
) -> None:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": 1360, "height": 760})
            page.goto(demo_url)
            expect(page.locator("#status")).to_have_text("live", timeout=10_000)
            expect(page.locator(row("/user/bank/bob"))).to_have_count(0)  # closed in the story
            paths = page.locator("#tree tbody tr").evaluate_all(
                "rows => rows.map(row => row.dataset.path)"
            )
            assert paths == [
                "/user",
                "/user/bank",
                "/user/bank/ada",
                "/user/bank/auditor",
                "/user/dead-letters",
            ]
            ada = page.locator(row("/user/bank/ada"))
            expect(ada.locator("td.class")).to_have_text("Account")
            before = int(ada.locator("td.restarts").inner_text().split()[0])
            assert before >= 1  # the story crashed her once
            expect(page.locator("#failures li").first).to_be_visible()

            ada.get_by_role("button", name="fail").click()
            expect(ada.locator("td.restarts")).not_to_have_text(re.compile(rf"^{before}\b"))
            failure = page.locator("#failures li", has_text="InjectedFailure").first
            expect(failure).to_contain_text("/user/bank/ada")
            failure.locator("summary").click()
            expect(failure.locator("pre")).to_contain_text("Traceback")
            expect(page.locator('#dead-letters tr[data-type="Deposit"]')).to_contain_text("1")

            page.locator(row("/user/bank/auditor")).click()  # select it, for the picture
            screenshot = (
                DOCS_SCREENSHOT
                if os.environ.get("ANYACTORS_UPDATE_SCREENSHOT")
                else tmp_path / "observer.png"
            )
            page.screenshot(path=str(screenshot), full_page=True)
            assert screenshot.stat().st_size > 0
        finally:
            browser.close()

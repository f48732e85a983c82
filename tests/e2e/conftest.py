"""Browser fixtures: Debian's chromium driven by Playwright's sync API against pytest-django's
live_server. No browser is ever downloaded; the tests skip (fail in CI) when chromium is missing."""

import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an asyncio event loop in the test thread, which trips Django's
# "you cannot call this from an async context" guard for ORM calls made by the test itself.
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("HROMADA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
REQUIRE_SERVICES = os.environ.get("HROMADA_REQUIRE_SERVICES") == "1"
SCREENSHOT_DIR = Path(os.environ.get("HROMADA_E2E_SCREENSHOTS", "/tmp"))
DEFAULT_TIMEOUT_MS = 15_000


def service_missing(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"{reason} (CI requires it)")
    pytest.skip(reason)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep each phase's report on the item so fixtures can tell whether the test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


@pytest.fixture(scope="session")
def browser():
    if not (os.path.exists(CHROMIUM) or shutil.which(CHROMIUM)):
        service_missing(f"needs chromium at {CHROMIUM} (apt-get install -y chromium)")
    from playwright.sync_api import expect, sync_playwright

    # expect() waits 5 s by default, too little on a busy CI machine: wait as long as actions do.
    expect.set_options(timeout=DEFAULT_TIMEOUT_MS)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, request):
    """A fresh context (cookies, storage) per test; a full-page screenshot in /tmp on failure."""
    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    yield page
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)
        target = SCREENSHOT_DIR / f"e2e-{name}.png"
        try:
            page.screenshot(path=str(target), full_page=True)
            print(f"\nscreenshot of the failed page ({page.url}): {target}")
        except Exception as exc:  # the page may be gone; the screenshot is only a nicety
            print(f"\nno screenshot: {exc}")
    context.close()

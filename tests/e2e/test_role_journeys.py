"""Every role's day, walked in the browser on the demo programme (`seed_demo`): each role signs in
through the real sign-in page and opens its dashboard, then the pages its navigation and
dashboard lead to, at 1280 px and at 390 px. On every page: axe-core finds no serious or critical
WCAG 2.1 A/AA violation, the page never scrolls sideways, and no link leads to an error.
Screenshots of each page at both widths go to HROMADA_E2E_SCREENSHOTS (default /tmp), never into
the repository."""

import re

import pytest
from django.core.management import call_command

from tests.e2e.a11y import assert_accessible, assert_fits
from tests.e2e.conftest import SCREENSHOT_DIR

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PAGES_PER_ROLE = 7
WIDTHS = (1280, 390)
# Not pages to walk: files, actions, the API's own documentation, the admin, signing out.
NOT_PAGES = re.compile(
    r"(logout|/admin/|/api/|\.pdf|\.csv|\.xlsx|\.xml|\.json|/download|/export|/static/|/i18n/|/language/"
    r"|/accounts/(password|email|3rdparty|mfa)|/documents/|/attachments/|\.html$|#)"
)
ROLES = [
    ("applicant", "applicant@demo.hromada.org"),
    ("grantee", None),  # the demo's grantee (seed_demo prints it)
    ("reviewer", "reviewer@demo.hromada.org"),
    ("manager", "manager@demo.hromada.org"),
    ("finance", "finance@demo.hromada.org"),
    ("donor", "donor@demo.hromada.org"),
    ("public", ""),
]


def _walk(page, base, start):
    """The start page, then the pages its links lead to (one of each kind: /grants/7/ stands for
    every grant), breadth first, at most PAGES_PER_ROLE."""
    seen, queue, visited = set(), [start], []
    while queue and len(visited) < PAGES_PER_ROLE:
        url = queue.pop(0)
        kind = re.sub(r"\d+", "N", url.split("?")[0].split("#")[0])
        if kind in seen:
            continue
        seen.add(kind)
        response = page.goto(url)
        assert response is not None and response.status < 400, f"{url} answered {response and response.status}"
        visited.append(url)
        yield url
        links = page.eval_on_selector_all("a[href]", "els => els.map((e) => e.href)")
        queue += [link for link in links if link.startswith(base) and not NOT_PAGES.search(link)]


def test_every_roles_pages_are_accessible_and_fit_a_phone(live_server, browser):
    from accounts.demo import DEMO_PASSWORD
    from config.management.commands.seed_demo import GRANTEE_EMAIL

    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))
    base = live_server.url
    walked = {}
    for role, email in ROLES:
        email = GRANTEE_EMAIL if role == "grantee" else email
        context = browser.new_context(locale="en-GB", viewport={"width": WIDTHS[0], "height": 900})
        page = context.new_page()
        try:
            if email:
                page.goto(f"{base}/accounts/login/")
                page.locator("input[name=login]").fill(email)
                page.locator("input[name=password]").fill(DEMO_PASSWORD)
                with page.expect_navigation():
                    page.locator("form[action='/accounts/login/'] button[type=submit]").click()
            start = f"{base}/dashboard/" if email else f"{base}/"
            walked[role] = []
            for url in _walk(page, base, start):
                for width in WIDTHS:
                    page.set_viewport_size({"width": width, "height": 900})
                    assert_accessible(page)
                    assert_fits(page)
                    name = re.sub(r"[^A-Za-z0-9]+", "_", url[len(base) :]).strip("_") or "home"
                    page.screenshot(path=str(SCREENSHOT_DIR / f"journey-{role}-{width}-{name}.png"), full_page=True)
                page.set_viewport_size({"width": WIDTHS[0], "height": 900})
                walked[role].append(url[len(base) :])
        finally:
            context.close()
    # Each role reached its own work, not only the home page.
    assert "/dashboard/" in walked["manager"] and any(u.startswith("/manage/") for u in walked["manager"]), walked
    assert any(u.startswith("/grants/") for u in walked["grantee"]), walked
    assert any(u.startswith("/reviews/") for u in walked["reviewer"]), walked
    assert all(len(pages) >= 3 for pages in walked.values()), walked

"""The applicant's path in Georgian and Azerbaijani, the donor's dashboard in Romanian and Russian,
walked in the browser on the demo programme: on every page no sentence of the English interface
is left untranslated (each msgid of the language's catalogue that the catalogue translates is
looked for in the page's visible text), nothing scrolls sideways at 390 px, and axe-core finds no
serious violation. The demo fills its call texts in every language, so they count too."""

import re
from pathlib import Path

import polib
import pytest
from django.core.management import call_command

from tests.e2e.a11y import assert_accessible, assert_fits

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%|\{|<|&")
PAGES = 6


def english_sentences(lang: str) -> list[str]:
    """The interface's English texts that this language's catalogue translates differently: long
    enough (two words, 12 characters) not to be a name or a figure, with no placeholder."""
    catalogue = polib.pofile(str(ROOT / "locale" / lang / "LC_MESSAGES" / "django.po"))
    return [
        e.msgid
        for e in catalogue
        if not e.obsolete
        and e.msgstr
        and e.msgstr != e.msgid
        and " " in e.msgid.strip()
        and len(e.msgid) >= 12
        and not PLACEHOLDER.search(e.msgid)
    ]


def untranslated_on(page, sentences: list[str]) -> list[str]:
    shown = " ".join(page.inner_text("body").split())
    return [s for s in sentences if " ".join(s.split()) in shown]


def _walk(page, base, starts):
    seen, queue, visited = set(), list(starts), 0
    skip = re.compile(
        r"(logout|/admin/|/api/|\.pdf|\.csv|\.xlsx|\.xml|\.json|/download|/export|/static/|/language/|/accounts/|#)"
    )
    while queue and visited < PAGES:
        url = queue.pop(0)
        kind = re.sub(r"\d+", "N", url.split("?")[0])
        if kind in seen:
            continue
        seen.add(kind)
        response = page.goto(url)
        assert response is not None and response.status < 400, url
        visited += 1
        yield url
        links = page.eval_on_selector_all("main a[href]", "els => els.map((e) => e.href)")
        queue += [link for link in links if link.startswith(base) and not skip.search(link)]


@pytest.mark.parametrize(
    "lang, email, first",
    [
        ("ka", "applicant@demo.hromada.org", "/"),
        ("az", "applicant@demo.hromada.org", "/"),
        ("ro", "donor@demo.hromada.org", "/dashboard/"),
        ("ru", "donor@demo.hromada.org", "/dashboard/"),
    ],
)
def test_each_language_reads_in_full_and_fits_a_phone(live_server, browser, lang, email, first):
    from accounts.demo import DEMO_PASSWORD
    from accounts.models import User
    from grants.calls.models import Call

    call_command("seed_demo", verbosity=0, stdout=open("/dev/null", "w"))
    User.objects.filter(email=email).update(language=lang)
    sentences = english_sentences(lang)
    assert len(sentences) > 1000
    base = live_server.url
    context = browser.new_context(locale=lang, viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        # A new visitor gets the browser's language.
        page.goto(f"{base}/")
        assert page.locator("html").get_attribute("lang") == lang
        page.goto(f"{base}/accounts/login/")
        assert not untranslated_on(page, sentences), untranslated_on(page, sentences)
        page.locator("input[name=login]").fill(email)
        page.locator("input[name=password]").fill(DEMO_PASSWORD)
        with page.expect_navigation():
            page.locator("form[action='/accounts/login/'] button[type=submit]").click()
        open_call = Call.objects.filter(state="open").order_by("deadline").first()
        starts = [f"{base}{first}", f"{base}/dashboard/", f"{base}/transparency/"]
        if open_call is not None and "applicant" in email:
            starts.insert(1, f"{base}/calls/{open_call.pk}/")
        walked = []
        for url in _walk(page, base, starts):
            left = untranslated_on(page, sentences)
            assert not left, f"{url} in {lang} shows English: {left[:5]}"
            assert_fits(page)
            assert_accessible(page)
            walked.append(url[len(base) :])
        assert len(walked) >= 4, walked
    finally:
        context.close()

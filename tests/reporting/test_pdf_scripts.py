"""Every generated PDF carries every script the region writes: a sample sentence in each of the
seven languages (Georgian Mkhedruli, Armenian, Cyrillic, Azerbaijani and Romanian Latin letters)
is drawn with glyphs of the embedded font, so the text extracted back from the PDF is the text
that went in — never boxes or missing letters."""

import io
import re

import pytest
from django.urls import reverse
from pypdf import PdfReader

from accounts.models import Organisation
from applications.models import Application, ApplicationState
from tests.factories import application_in_state
from tests.reporting.builders import make_grant

SAMPLES = {
    "en": "Open budgets for every community",
    "uk": "Відкриті бюджети для кожної громади",
    "hy": "Բաց բյուջեներ յուրաքանչյուր համայնքի համար",
    "ka": "ღია ბიუჯეტები ყველა თემისთვის",
    "ro": "Bugete deschise pentru fiecare comunitate: ă â î ș ț",
    "az": "Hər icma üçün açıq büdcələr: ə ğ ı ö ş ü ç",
    "ru": "Открытые бюджеты для каждой общины",
}


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


def pdf_text(response) -> str:
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("language", sorted(SAMPLES))
def test_the_application_pdf_carries_each_languages_letters(language, call, grantee_org, grantee, manager, client):
    sample = SAMPLES[language]
    app = application_in_state(call, grantee_org, grantee, state=ApplicationState.SUBMITTED, title=sample)
    Application.objects.filter(pk=app.pk).update(summary=f"{sample}.")
    client.force_login(manager)
    assert sample in pdf_text(client.get(reverse("data:application_pdf", args=[app.pk])))


def test_the_grant_summary_carries_every_script_at_once(call, grantee_org, grantee, client):
    title = " / ".join(SAMPLES[lang] for lang in ("ka", "hy", "az"))
    grant = make_grant(call, grantee_org, grantee, title=title)
    Organisation.objects.filter(pk=grantee_org.pk).update(legal_name=SAMPLES["ru"] + " — " + SAMPLES["ro"])
    client.force_login(grantee)
    text = pdf_text(client.get(reverse("data:grant_summary_pdf", args=[grant.pk])))
    for lang in ("ka", "hy", "az", "ru"):
        assert SAMPLES[lang] in text, lang

"""The API answers in the caller's language (Accept-Language), in every UI language: Django REST
framework's own messages included (its Georgian is vendored in locale_vendor/ka)."""

import pytest
from django.conf import settings
from django.utils import translation

MESSAGE = "Authentication credentials were not provided."


@pytest.mark.parametrize("language", [code for code, _name in settings.LANGUAGES if code != "en"])
def test_an_api_refusal_speaks_the_callers_language(client, db, language):
    response = client.post("/api/v1/calls/", {}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 401
    with translation.override(language):
        expected = translation.gettext(MESSAGE)
    assert expected != MESSAGE, f"no {language} translation of DRF's message"
    assert response.json()["detail"] == expected
    assert response["Content-Language"] == language

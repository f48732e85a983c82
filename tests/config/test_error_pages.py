"""403, 404 and 500 pages in the site's layout, in the visitor's language, with a way back."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_a_404_is_the_sites_page_in_the_visitors_language(client, settings):
    settings.DEBUG = False
    response = client.get("/no-such-page/", HTTP_ACCEPT_LANGUAGE="uk")
    html = response.content.decode()
    assert response.status_code == 404 and 'class="site-header"' in html
    assert "Сторінку не знайдено" in html and 'href="/"' in html


def test_a_403_says_why_and_leads_back(client, make_user, programme, grant_role, settings):
    from accounts.models import ProgrammeRole

    settings.DEBUG = False
    officer = grant_role(make_user(email="fin@example.org"), programme, ProgrammeRole.Role.FINANCE)
    client.force_login(officer)
    response = client.get(reverse("calls:programme_team", args=[programme.pk]))
    html = response.content.decode()
    assert response.status_code == 403 and 'class="site-header"' in html
    assert "Not allowed" in html and reverse("dashboard") in html


def test_a_500_renders_without_a_request_or_the_database():
    from django.template.loader import get_template
    from django.utils import translation

    with translation.override("hy"):
        html = get_template("500.html").render({})  # what Django's server_error view does
    assert "Hromada" in html and 'lang="hy"' in html and 'href="/"' in html
    assert "Ինչ-որ բան սխալ ընթացավ" in html

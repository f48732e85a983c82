"""Control and bidirectional characters typed or pasted into an application are removed on input,
whichever way the text arrives (the page without JavaScript, the autosave, the API, a file name):
a one-line field loses its line breaks too, a multi-line field keeps them (core.text)."""

import json

import pytest
from rest_framework.test import APIClient

from applications import services
from applications.models import Application
from tests.applications.conftest import PDF, upload

# U+202E turns the rest around ("evil" is shown as "live"), ESC starts a terminal sequence, CR/LF
# break a line that must stay one, U+2066/U+200F are an isolate and a right-to-left mark.
HOSTILE = "Good\u202eevil\x1b[2J\r\nnext\u2066\u200f"
ONE_LINE = "Goodevil[2J next"
MULTI_LINE = "Goodevil[2J\nnext"


def _hashes(app):
    return services.application_hashes(services.application_values(app, list(app.call.questions.all()), []))


def test_the_page_without_javascript_cleans_title_summary_and_budget(client, applicant, draft):
    client.force_login(applicant)
    heading = draft.call.budget_headings.first()
    response = client.post(
        f"/applications/{draft.pk}/edit/",
        {
            "version": 1,
            **{f"base_{k}": v for k, v in _hashes(draft).items()},
            "title": HOSTILE,
            "summary": HOSTILE,
            "budget-heading": [str(heading.pk)],
            "budget-description": [HOSTILE],
            "budget-units": ["1"],
            "budget-unit_cost": ["10"],
        },
    )
    assert response.status_code == 302
    draft.refresh_from_db()
    assert draft.title == ONE_LINE and draft.summary == MULTI_LINE
    assert draft.budget_lines.get().description == ONE_LINE


def test_the_autosave_cleans_title_and_answers(client, applicant, draft):
    client.force_login(applicant)
    q = draft.call.questions.first()
    response = client.post(
        f"/applications/{draft.pk}/autosave/",
        json.dumps({"version": 1, "fields": {"title": HOSTILE, f"q{q.pk}": HOSTILE}, "base": _hashes(draft)}),
        content_type="application/json",
    )
    assert response.status_code == 200 and sorted(response.json()["applied"]) == sorted(["title", f"q{q.pk}"])
    draft.refresh_from_db()
    assert draft.title == ONE_LINE and draft.answers[str(q.pk)] == MULTI_LINE
    # The same text saved again is no change (the stored value is what it cleans to).
    again = services.application_autosave(
        actor=applicant, application_id=draft.pk, version=draft.version, fields={"title": HOSTILE}
    )
    assert again.version == draft.version


def test_the_api_cleans_title_summary_and_budget_lines(applicant, draft):
    api = APIClient()
    api.force_authenticate(applicant)
    response = api.patch(
        f"/api/v1/applications/{draft.pk}/", {"version": 1, "title": HOSTILE, "summary": HOSTILE}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert response.json()["title"] == ONE_LINE and response.json()["summary"] == MULTI_LINE
    heading = draft.call.budget_headings.first()
    response = api.put(
        f"/api/v1/applications/{draft.pk}/budget-lines/",
        {"version": 2, "lines": [{"heading": heading.pk, "description": HOSTILE, "units": "1", "unit_cost": "5"}]},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert Application.objects.get(pk=draft.pk).budget_lines.get().description == ONE_LINE


@pytest.mark.parametrize("how", ["page", "api"])
def test_a_file_name_loses_its_control_and_bidi_characters(client, applicant, draft, private_storage, how):
    name = "invoice\u202efdp.exe\x1b.pdf"  # shown as "invoiceexe.pdf" with the override
    if how == "page":
        client.force_login(applicant)
        client.post(f"/applications/{draft.pk}/attachments/", {"file": upload(name, PDF)})
    else:
        api = APIClient()
        api.force_authenticate(applicant)
        response = api.post(f"/api/v1/applications/{draft.pk}/attachments/", {"file": upload(name, PDF)})
        assert response.status_code == 201, response.json()
        assert response.json()["original_name"] == "invoicefdp.exe.pdf"
    assert draft.attachments.get().original_name == "invoicefdp.exe.pdf"


def test_pages_show_names_isolated_and_without_bidi_characters(client, applicant, draft, private_storage):
    """Old rows (written before input was cleaned) with U+202E in a title, an organisation's name
    and a file name: each is shown inside <bdi>, so it cannot reorder the page around it."""
    from accounts.models import Organisation
    from applications.models import Attachment

    attachment = services.attachment_upload(actor=applicant, application_id=draft.pk, uploaded=upload("a.pdf", PDF))
    Attachment.objects.filter(pk=attachment.pk).update(original_name="cv\u202efdp.exe")
    Application.objects.filter(pk=draft.pk).update(title="Road\u202erepair")
    Organisation.objects.filter(pk=draft.organisation_id).update(legal_name="\u202bGood CSO")
    client.force_login(applicant)
    detail = client.get(f"/applications/{draft.pk}/").content.decode()
    assert "<bdi>Roadrepair</bdi>" in detail and "<bdi>Good CSO</bdi>" in detail
    edit = client.get(f"/applications/{draft.pk}/edit/").content.decode()
    assert "<bdi>cvfdp.exe</bdi>" in edit and "<bdi>Good CSO</bdi>" in edit
    listing = client.get("/applications/").content.decode()
    assert "<bdi>Roadrepair</bdi>" in listing
    assert not any(c in page for page in (detail, listing) for c in ("\u202e", "\u202b"))

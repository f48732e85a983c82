"""Data stored before control and bidi characters were removed on input (or written by any other
way) comes out clean in exports and PDFs: U+202E cannot reorder a name in a spreadsheet or a PDF."""

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook
from pypdf import PdfReader

from accounts.models import Organisation
from applications.models import Application, ApplicationState
from reporting.data import exports
from tests.factories import application_in_state

# Stored as is (an UPDATE, as old rows were written): "evil\u202eFDP.exe" shows as "evilexe.PDF".
OLD_TITLE = "Road\u202efdp.exe\x1b[0m\r\nrepair"
OLD_NAME = "\u202bGood\u200f\u2066 CSO\x07"
BIDI = ("\u202e", "\u202b", "\u200f", "\u2066", "\x1b", "\x07")


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


@pytest.fixture
def old_app(call, grantee_org, grantee):
    app = application_in_state(call, grantee_org, grantee, state=ApplicationState.SUBMITTED, title="Road repair")
    Application.objects.filter(pk=app.pk).update(title=OLD_TITLE, summary="\u202e=1+1")
    Organisation.objects.filter(pk=grantee_org.pk).update(legal_name=OLD_NAME)
    return app


def test_csv_and_xlsx_exports_carry_no_control_or_bidi_character(old_app, manager):
    content = exports.export_render(manager, "applications", "csv").decode("utf-8-sig")
    assert not any(c in content for c in BIDI)
    cells = [cell for row in csv.reader(io.StringIO(content)) for cell in row]
    assert "Roadfdp.exe[0m\r\nrepair" in cells and "Good CSO" in cells
    sheet = load_workbook(io.BytesIO(exports.export_render(manager, "applications", "xlsx"))).active
    values = [str(cell.value) for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not any(c in v for v in values for c in BIDI)
    assert "Good CSO" in values


def test_a_formula_hidden_behind_a_bidi_character_is_still_neutralised():
    from core.spreadsheet import cell_safe

    assert cell_safe("\u202e=HYPERLINK(1)") == "'=HYPERLINK(1)"


def test_the_application_pdf_carries_no_control_or_bidi_character(old_app, manager, client):
    client.force_login(manager)
    response = client.get(reverse("data:application_pdf", args=[old_app.pk]))
    assert response.status_code == 200
    text = "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(response.content)).pages)
    assert "Roadfdp.exe[0m" in text and "Good CSO" in text
    assert not any(c in text for c in BIDI)

"""Fixtures for calls and applications: a programme with a manager, an open call with its full
template, two applicant organisations, and helpers that go through the real services."""

import io
import struct
import zipfile
import zlib
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import ProgrammeRole

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


def png_bytes(width: int, height: int) -> bytes:
    """A real PNG whose IHDR declares width × height; its pixel data is one empty row whatever the
    size (a few bytes: what a decompression bomb's header claims is all that is checked)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 2)) + chunk(b"IEND", b"")
    )


def jpeg_bytes(width: int, height: int) -> bytes:
    """The header of a JPEG (JFIF, then a baseline frame header declaring width × height)."""
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    sof0 = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app0 + sof0 + b"\xff\xd9"


PNG = png_bytes(1, 1)
JPEG = jpeg_bytes(2, 2)


def office_zip(kind: str, extra: dict | None = None, level=zipfile.ZIP_DEFLATED) -> bytes:
    """A minimal DOCX/XLSX/ODT/ODS (enough for a content check)."""
    buffer = io.BytesIO()

    def entry(name: str) -> zipfile.ZipInfo:  # a fixed time: the same bytes on every call (xdist compares ids)
        info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
        info.compress_type = level
        return info

    with zipfile.ZipFile(buffer, "w", level) as archive:
        if kind in ("odt", "ods"):
            mime = {
                "odt": "application/vnd.oasis.opendocument.text",
                "ods": "application/vnd.oasis.opendocument.spreadsheet",
            }[kind]
            archive.writestr(zipfile.ZipInfo("mimetype"), mime)
            archive.writestr(entry("content.xml"), "<office:document-content/>")
        else:
            main = {
                "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml",
                "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
                "docm": "application/vnd.ms-word.document.macroEnabled.main+xml",
            }[kind]
            part = "/word/document.xml" if kind != "xlsx" else "/xl/workbook.xml"
            archive.writestr(
                entry("[Content_Types].xml"),
                '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                f'<Override PartName="{part}" ContentType="{main}"/></Types>',
            )
            archive.writestr(entry(part.lstrip("/")), "<document/>")
        for name, data in (extra or {}).items():
            archive.writestr(entry(name), data)
    return buffer.getvalue()


class RawUpload(io.BytesIO):
    """A file object whose name is exactly what the client sent (Django's own upload classes
    already strip directories from the name)."""

    def __init__(self, name: str, data: bytes):
        super().__init__(data)
        self.name, self.size = name, len(data)


def upload(name: str, data: bytes, content_type="application/octet-stream"):
    if any(c in name for c in "/\\\x00\r\n"):
        return RawUpload(name, data)
    return SimpleUploadedFile(name, data, content_type=content_type)


@pytest.fixture(autouse=True)
def english():
    """Messages are asserted in English; a request by a user who reads Ukrainian must not leave
    its language active for the next test."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture
def manager(make_user, programme, grant_role):
    return grant_role(make_user(email="manager@example.org"), programme, ProgrammeRole.Role.MANAGER)


@pytest.fixture
def call(programme):
    from tests.factories import call_full

    return call_full(programme, code="adv-2026")


@pytest.fixture
def applicant(make_user):
    return make_user(email="olena@example.org", language="en")


@pytest.fixture
def colleague(make_user, org):
    from accounts.models import Membership

    user = make_user(email="taras@example.org")
    Membership.objects.create(organisation=org, user=user, role=Membership.Role.MEMBER)
    return user


@pytest.fixture
def org(applicant, make_org):
    return make_org(applicant, country="UA", legal_name="Centre A")


@pytest.fixture
def other_applicant(make_user):
    return make_user(email="armen@example.org", language="hy")


@pytest.fixture
def other_org(other_applicant, make_org):
    return make_org(other_applicant, country="AM", legal_name="Centre B")


def fill_complete(user, app, *, requested="40000", cofinancing="2500"):
    """Answers, budget (direct 40000, indirect 2500) and every required document, via the services."""
    from applications import services

    call = app.call
    headings = list(call.budget_headings.order_by("position"))
    fields = {
        "title": "Open contracting in five regions",
        "summary": "We monitor procurement.",
        "requested_amount": requested,
        "cofinancing_amount": cofinancing,
        "duration_months": "12",
        "budget": [
            {"heading": headings[0].pk, "description": "Staff", "units": "12", "unit_cost": "2500"},
            {"heading": headings[1].pk, "description": "Trips", "units": "10", "unit_cost": "1000"},
            {"heading": headings[3].pk, "description": "Indirect", "units": "1", "unit_cost": "2500"},
        ],
    }
    for q in call.questions.filter(purpose="application", kind__in=["long_text", "short_text"]):
        fields[services.question_field(q.pk)] = f"Answer to {q.text}"
    app.refresh_from_db()
    result = services.application_autosave(actor=user, application_id=app.pk, version=app.version, fields=fields)
    assert not result.conflicts and not result.errors, (result.conflicts, result.errors)
    for doc in call.required_documents.all():
        services.attachment_upload(
            actor=user, application_id=app.pk, uploaded=upload(f"{doc.name}.pdf", PDF), document_id=doc.pk
        )
    app.refresh_from_db()
    return app


@pytest.fixture
def draft(applicant, org, call):
    from applications import services

    app, _ = services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)
    return app


@pytest.fixture
def complete_draft(applicant, draft):
    return fill_complete(applicant, draft)


@pytest.fixture
def submitted(applicant, complete_draft):
    from applications import services

    return services.application_submit(actor=applicant, application_id=complete_draft.pk)


ZERO = Decimal("0")

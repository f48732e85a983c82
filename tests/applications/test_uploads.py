"""Attachments: accepted by content only, within size limits, stored under generated names, served
only through a permission-checked view. Every refusal leaves the draft as it was."""

import io
import zipfile
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from applications import services, uploads
from applications.models import Attachment
from audit.models import AuditEvent
from grants.calls.models import Call
from tests.applications.conftest import JPEG, PDF, PNG, jpeg_bytes, office_zip, png_bytes, upload


@pytest.mark.parametrize(
    "name,data,kind",
    [
        ("statute.pdf", PDF, "application/pdf"),
        ("logo.png", PNG, "image/png"),
        ("photo.JPG", JPEG, "image/jpeg"),
        ("plan.docx", office_zip("docx"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
        ("budget.xlsx", office_zip("xlsx"), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ("plan.odt", office_zip("odt"), "application/vnd.oasis.opendocument.text"),
        ("budget.ods", office_zip("ods"), "application/vnd.oasis.opendocument.spreadsheet"),
        ("Статут організації.pdf", PDF, "application/pdf"),
    ],
)
def test_accepted_formats_are_recognised_by_content(applicant, draft, private_storage, name, data, kind):
    attachment = services.attachment_upload(
        actor=applicant, application_id=draft.pk, uploaded=upload(name, data, "text/plain")
    )
    assert attachment.content_type == kind and attachment.original_name == name and attachment.size == len(data)
    stored = private_storage / uploads.storage_name(attachment.stored_name)
    assert stored.read_bytes() == data and stored.is_relative_to(private_storage)
    assert name not in str(stored) and len(attachment.stored_name) == 32
    assert AuditEvent.objects.filter(action="attachment_upload", object_id=str(draft.pk)).exists()


def _assert_refused_and_intact(applicant, draft, private_storage, name, data, words):
    services.application_autosave(
        actor=applicant, application_id=draft.pk, version=draft.version, fields={"title": "Keep me"}
    )
    draft.refresh_from_db()
    before = (draft.version, draft.title, draft.updated_at)
    with pytest.raises(ValidationError) as exc:
        services.attachment_upload(
            actor=applicant, application_id=draft.pk, uploaded=upload(name, data, "application/pdf")
        )
    message = " ".join(exc.value.messages)
    assert all(w in message for w in words), message
    draft.refresh_from_db()
    assert (draft.version, draft.title, draft.updated_at) == before
    assert not Attachment.objects.filter(application=draft).exists()
    root = private_storage / "attachments"
    assert not root.exists() or not any(p.is_file() for p in root.rglob("*"))  # nothing left on disk
    return message


@pytest.mark.parametrize(
    "name,data,words",
    [
        ("report.pdf", b"MZ\x90\x00" + b"\x00" * 100, ["not one of the accepted formats"]),  # a Windows program
        ("report.pdf", b"<html><script>alert(1)</script></html>", ["not one of the accepted formats"]),
        ("report.docx", PDF, ["named as Word (DOCX)", "content is PDF"]),  # a PDF pretending to be DOCX
        ("macro.docx", office_zip("docm"), ["not one of the accepted formats"]),  # macro-enabled Word
        ("archive.docx", office_zip("docx")[:40], ["damaged"]),
        ("plain.zip", b"PK\x03\x04" + b"\x00" * 30, ["damaged"]),
    ],
)
def test_spoofed_types_are_refused(applicant, draft, private_storage, name, data, words):
    _assert_refused_and_intact(applicant, draft, private_storage, name, data, words)


def test_plain_zip_is_not_an_office_document(applicant, draft, private_storage):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "hello")
    _assert_refused_and_intact(
        applicant, draft, private_storage, "x.docx", buffer.getvalue(), ["not one of the accepted formats"]
    )


@pytest.mark.parametrize("name", ["../../etc/passwd.pdf", "..\\..\\boot.pdf", "folder/statute.pdf"])
def test_a_path_in_the_name_is_refused(applicant, draft, private_storage, name):
    _assert_refused_and_intact(applicant, draft, private_storage, name, PDF, ["folder path"])


def test_a_path_in_the_name_never_reaches_the_disk_through_the_page(client, applicant, draft, private_storage):
    """Browsers and Django's parser strip directories from an uploaded name; whatever arrives, the
    file is stored under a generated name inside the private storage."""
    client.force_login(applicant)
    body = upload("../../../../tmp/evil.pdf", PDF)
    client.post(f"/applications/{draft.pk}/attachments/", {"file": body})
    attachment = Attachment.objects.get(application=draft)
    assert "/" not in attachment.original_name and ".." not in attachment.original_name
    assert (private_storage / uploads.storage_name(attachment.stored_name)).read_bytes() == PDF


def test_oversize_file_is_refused(applicant, draft, private_storage):
    Call.objects.filter(pk=draft.call_id).update(max_file_mb=1)
    big = PDF + b"0" * (1024 * 1024)
    _assert_refused_and_intact(applicant, draft, private_storage, "big.pdf", big, ["at most 1 MB"])


def test_total_size_per_application_is_limited(applicant, draft, private_storage):
    Call.objects.filter(pk=draft.call_id).update(max_file_mb=1, max_total_mb=2)
    part = PDF + b"0" * (900 * 1024)
    services.attachment_upload(actor=applicant, application_id=draft.pk, uploaded=upload("a.pdf", part))
    services.attachment_upload(actor=applicant, application_id=draft.pk, uploaded=upload("b.pdf", part))
    with pytest.raises(ValidationError) as exc:
        services.attachment_upload(actor=applicant, application_id=draft.pk, uploaded=upload("c.pdf", part))
    assert "at most 2 MB" in " ".join(exc.value.messages)
    assert Attachment.objects.filter(application=draft).count() == 2
    assert sum(1 for p in (private_storage / "attachments").rglob("*") if p.is_file()) == 2


def test_zip_bomb_is_refused_before_anything_is_extracted(applicant, draft, private_storage, monkeypatch):
    # 50 MB of zeros compresses to ~50 KB: a ratio of ~1000.
    bomb = office_zip("docx", extra={"word/media/bomb.bin": b"\x00" * (50 * 1024 * 1024)})
    assert len(bomb) < 200 * 1024
    opened = []
    real_open = zipfile.ZipFile.open
    monkeypatch.setattr(
        zipfile.ZipFile,
        "open",
        lambda self, name, *a, **k: opened.append(getattr(name, "filename", name)) or real_open(self, name, *a, **k),
    )
    _assert_refused_and_intact(applicant, draft, private_storage, "bomb.docx", bomb, ["archive bomb"])
    assert opened == []  # refused on the central directory alone


def test_zip_with_lying_sizes_is_read_no_further_than_declared(applicant, draft, private_storage):
    """A [Content_Types].xml that claims to be tiny but is not: reading stops at the declared size."""
    data = bytearray(office_zip("docx", level=zipfile.ZIP_STORED))
    # Corrupt the declared sizes: the archive is now damaged or the marker unreadable, never extracted in full.
    index = data.find(b"[Content_Types].xml")
    assert index > 0
    with pytest.raises(ValidationError):
        services.attachment_upload(
            actor=applicant,
            application_id=draft.pk,
            uploaded=upload("x.docx", bytes(data[:index]) + b"\xff" * 8 + bytes(data[index + 8 :])),
        )


def test_too_many_entries_are_refused(applicant, draft, private_storage):
    many = office_zip("docx", extra={f"x/{i}.xml": "" for i in range(uploads.ZIP_MAX_ENTRIES + 1)})
    _assert_refused_and_intact(applicant, draft, private_storage, "many.docx", many, ["too many parts"])


def test_empty_file_is_refused(applicant, draft, private_storage):
    _assert_refused_and_intact(applicant, draft, private_storage, "empty.pdf", b"", ["empty"])


def test_wrong_extension_for_unknown_name_gets_the_right_one(applicant, draft):
    attachment = services.attachment_upload(actor=applicant, application_id=draft.pk, uploaded=upload("statute", PDF))
    assert attachment.original_name == "statute.pdf"
    attachment = services.attachment_upload(actor=applicant, application_id=draft.pk, uploaded=upload("run.exe", PDF))
    assert attachment.original_name == "run.exe.pdf"


def test_only_members_upload(other_applicant, manager, draft):
    for outsider in (other_applicant, manager):
        with pytest.raises(PermissionDenied):
            services.attachment_upload(actor=outsider, application_id=draft.pk, uploaded=upload("a.pdf", PDF))


def test_download_has_safe_headers(client, applicant, draft):
    attachment = services.attachment_upload(
        actor=applicant, application_id=draft.pk, uploaded=upload('Звіт "фінал"; v2.pdf', PDF)
    )
    client.force_login(applicant)
    response = client.get(f"/applications/{draft.pk}/attachments/{attachment.pk}/")
    assert response.status_code == 200 and b"".join(response.streaming_content) == PDF
    disposition = response["Content-Disposition"]
    assert disposition.startswith('attachment; filename="')
    assert "filename*=UTF-8''" in disposition and "%D0%97%D0%B2%D1%96%D1%82" in disposition
    assert "\r" not in disposition and "\n" not in disposition
    ascii_part = disposition.split('filename="')[1].split('"')[0]
    assert '"' not in ascii_part and ";" not in ascii_part
    assert response["Content-Type"] == "application/pdf" and response["X-Content-Type-Options"] == "nosniff"


def test_with_s3_the_download_is_checked_then_redirected_to_a_url_valid_for_a_minute(
    client, applicant, draft, other_applicant, s3_private_storage
):
    """With STORAGE_BACKEND=s3 the browser fetches the file from the object storage, with a URL
    signed for 60 seconds that carries the download's name and type; the app still decides who
    gets one. (No S3 server here: the URL is signed locally, S3 itself is not contacted.)"""
    stored = "0123456789abcdef0123456789abcdef"
    attachment = Attachment.objects.create(
        application=draft,
        original_name='Звіт "фінал".pdf',
        stored_name=stored,
        content_type="application/pdf",
        size=len(PDF),
        sha256="0" * 64,
        uploaded_by=applicant,
    )
    url = f"/applications/{draft.pk}/attachments/{attachment.pk}/"
    client.force_login(other_applicant)
    assert client.get(url).status_code == 404  # not theirs: no URL
    client.force_login(applicant)
    response = client.get(url)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    assert location.path == f"/hromada-test/private/attachments/01/{stored}"
    assert query["X-Amz-Expires"] == ["60"] and query["X-Amz-Signature"][0]
    disposition = query["response-content-disposition"][0]
    assert disposition.startswith('attachment; filename="') and "%D0%97%D0%B2%D1%96%D1%82" in disposition
    assert query["response-content-type"] == ["application/pdf"]
    assert response["X-Content-Type-Options"] == "nosniff" and response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize(
    "name,shown",
    [
        ("a\r\nb.pdf", "a b.pdf"),
        ("bad\x00name.pdf", "badname.pdf"),
        ("invoice\u202efdp.exe.pdf", "invoicefdp.exe.pdf"),  # would show as "invoiceexe.pdf"
        ("\x1b[31mred\u2066\u200f.pdf", "[31mred.pdf"),
    ],
)
def test_control_and_bidi_characters_are_removed_from_the_name(applicant, draft, private_storage, name, shown):
    attachment = services.attachment_upload(actor=applicant, application_id=draft.pk, uploaded=upload(name, PDF))
    assert attachment.original_name == shown


def test_bad_upload_through_the_page_keeps_the_draft(client, applicant, draft):
    services.application_autosave(
        actor=applicant, application_id=draft.pk, version=1, fields={"summary": "My long text"}
    )
    client.force_login(applicant)
    response = client.post(
        f"/applications/{draft.pk}/attachments/", {"file": upload("virus.pdf", b"MZ" + b"\x00" * 50)}, follow=True
    )
    assert response.status_code == 200
    assert "virus.pdf was not added" in response.content.decode()
    assert "My long text" in response.content.decode()  # back on the form, text intact
    draft.refresh_from_db()
    assert draft.summary == "My long text" and draft.version == 2


def test_attachment_of_another_organisation_is_404(client, applicant, other_applicant, draft):
    attachment = services.attachment_upload(actor=applicant, application_id=draft.pk, uploaded=upload("a.pdf", PDF))
    client.force_login(other_applicant)
    assert client.get(f"/applications/{draft.pk}/attachments/{attachment.pk}/").status_code == 404
    assert client.post(f"/applications/{draft.pk}/attachments/{attachment.pk}/delete/").status_code == 404
    assert client.post(f"/applications/{draft.pk}/attachments/", {"file": upload("b.pdf", PDF)}).status_code == 404


def test_submitted_attachments_cannot_be_removed(applicant, submitted):
    attachment = submitted.attachments.first()
    from core.errors import TransitionRefused

    with pytest.raises(TransitionRefused):
        services.attachment_delete(actor=applicant, application_id=submitted.pk, attachment_id=attachment.pk)


@pytest.mark.parametrize("data", [png_bytes(20000, 20000), jpeg_bytes(20000, 20000)], ids=["png", "jpeg"])
def test_an_image_declaring_too_many_pixels_is_refused_unread(applicant, draft, private_storage, data):
    """A few dozen bytes declaring 400 million pixels: refused from the header, never decoded."""
    assert len(data) < 100
    message = _assert_refused_and_intact(applicant, draft, private_storage, "photo.png", data, ["20000 × 20000", "40"])
    assert "million pixels" in message


def test_an_image_within_the_limit_is_accepted(applicant, draft, private_storage, settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 6000 * 4000
    attachment = services.attachment_upload(
        actor=applicant, application_id=draft.pk, uploaded=upload("scan.jpg", jpeg_bytes(6000, 4000))
    )
    assert attachment.content_type == "image/jpeg"


@pytest.mark.parametrize(
    "data", [b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, b"\xff\xd8\xff\xe0" + b"\x00" * 64], ids=["png", "jpeg"]
)
def test_an_image_whose_size_cannot_be_read_is_refused(applicant, draft, private_storage, data):
    _assert_refused_and_intact(applicant, draft, private_storage, "x.png", data, ["damaged"])


def test_the_page_refuses_the_oversized_image_with_a_message(client, applicant, draft, private_storage):
    client.force_login(applicant)
    response = client.post(
        f"/applications/{draft.pk}/attachments/", {"file": upload("bomb.png", png_bytes(20000, 20000))}, follow=True
    )
    assert "bomb.png was not added" in response.content.decode()
    assert "20000 × 20000" in response.content.decode()
    assert not Attachment.objects.filter(application=draft).exists()


def test_several_files_chosen_at_once_are_each_checked_and_stored(client, applicant, draft, private_storage):
    client.force_login(applicant)
    page = client.get(f"/applications/{draft.pk}/edit/").content.decode()
    assert 'type="file" name="file" multiple' in page
    files = [upload("statute.pdf", PDF), upload("logo.png", PNG), upload("virus.pdf", b"MZ" + b"\x00" * 50)]
    response = client.post(f"/applications/{draft.pk}/attachments/", {"file": files}, follow=True)
    page = response.content.decode()
    assert "statute.pdf was added" in page and "logo.png was added" in page and "virus.pdf was not added" in page
    names = sorted(draft.attachments.values_list("original_name", flat=True))
    assert names == ["logo.png", "statute.pdf"]


def test_the_api_refuses_several_files_in_one_field_and_stores_none(applicant, draft, private_storage):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(applicant)
    response = api.post(
        f"/api/v1/applications/{draft.pk}/attachments/", {"file": [upload("a.pdf", PDF), upload("b.pdf", PDF)]}
    )
    assert response.status_code == 400
    assert "Only one file can be uploaded here; 2 were sent" in " ".join(response.json()["file"])
    assert not Attachment.objects.filter(application=draft).exists()


def test_the_upload_page_without_a_file_says_so(client, applicant, draft):
    client.force_login(applicant)
    response = client.post(f"/applications/{draft.pk}/attachments/", {}, follow=True)
    assert "This field is required" in response.content.decode()

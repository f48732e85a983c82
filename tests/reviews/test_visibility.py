"""A reviewer sees an application only while assigned and after declaring no conflict: every
page and API endpoint of review and selection answers 404 to a conflicted or unassigned
reviewer (and the application's own pages do too); before the declaration only the title;
under blind review never who applied; never another reviewer's scores."""

import io
import re
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from django.urls import NoReverseMatch, reverse

from applications.models import Attachment
from applications.review import services
from applications.review.models import Review
from grants.calls.models import Call
from tests.reviews.conftest import api_for, score_and_submit

SECRET_SUMMARY = "Confidential plan to open municipal budgets"
OTHER_COMMENT = "Another reviewer's private view on this application, long enough to be accepted here."


@pytest.fixture
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path


@pytest.fixture
def scene(world, private_storage):
    """One application; reviewer 1 assigned (not declared), 2 conflicted, 3 unassigned (in the
    pool), 4 cleared (declared no conflict); an attachment with a telling file name."""
    from applications.uploads import store

    app = world.apps[0]
    type(app).objects.filter(pk=app.pk).update(summary=SECRET_SUMMARY)
    stored, digest, size = store(io.BytesIO(b"%PDF-1.4\n% statute\n"))
    attachment = Attachment.objects.create(
        application=app,
        original_name="Statute of Civic Watch UA.pdf",
        stored_name=stored,
        content_type="application/pdf",
        size=size,
        sha256=digest,
        uploaded_by=world.applicants[0],
    )
    assigned, conflicted, cleared = [
        services.review_assign(actor=world.manager, application_id=app.pk, reviewer_id=r.pk)
        for r in (world.reviewers[0], world.reviewers[1], world.reviewers[3])
    ]
    services.review_declare_conflict(
        actor=world.reviewers[1], review_id=conflicted.pk, reason="My brother works there."
    )
    services.review_declare_no_conflict(actor=world.reviewers[3], review_id=cleared.pk)
    return {
        "app": app,
        "attachment": attachment,
        "assigned": assigned,
        "conflicted": conflicted,
        "cleared": cleared,
        "world": world,
    }


def page_urls(scene, own_review):
    """Every page of this part (and the application's own pages) about the scene's application."""
    app, call = scene["app"], scene["world"].call
    urls = [
        ("get", reverse("reviews:review_detail", args=[own_review.pk])),
        ("post", reverse("reviews:review_declare", args=[own_review.pk])),
        ("get", reverse("reviews:review_attachment", args=[own_review.pk, 1])),
        ("get", reverse("reviews:review_application", args=[app.pk])),
        ("post", reverse("reviews:review_application_assign", args=[app.pk])),
        ("get", reverse("reviews:review_application_reviewers", args=[app.pk])),
        ("post", reverse("reviews:review_application_consensus", args=[app.pk])),
        ("post", reverse("reviews:review_application_decide", args=[app.pk])),
        ("get", reverse("reviews:review_feedback", args=[app.pk])),
        ("get", reverse("reviews:review_ranking", args=[call.pk])),
        ("get", reverse("reviews:review_call_assignments", args=[call.pk])),
        ("post", reverse("reviews:review_call_assign_auto", args=[call.pk])),
        ("post", reverse("reviews:review_ranking_decide_down", args=[call.pk])),
        ("post", reverse("reviews:review_selection_close", args=[call.pk])),
        ("post", reverse("reviews:review_return", args=[scene["cleared"].pk])),
    ]
    # The application's own pages (applications/urls.py), where they exist.
    for name, args in [
        ("applications:application_detail", [app.pk]),
        ("applications:application_receipt", [app.pk]),
        ("applications:application_submitted_json", [app.pk]),
        ("applications:application_export", [app.pk, "csv"]),
        ("applications:application_export", [app.pk, "pdf"]),
        ("applications:attachment_download", [app.pk, scene["attachment"].pk]),
    ]:
        try:
            urls.append(("get", reverse(name, args=args)))
        except NoReverseMatch:
            pass
    return urls


def api_calls(scene, own_review):
    app, call = scene["app"], scene["world"].call
    r = own_review.pk
    calls = [
        ("get", f"/api/v1/reviews/{r}/", None),
        ("get", f"/api/v1/reviews/{r}/application/", None),
        ("post", f"/api/v1/reviews/{r}/declare_no_conflict/", {}),
        ("post", f"/api/v1/reviews/{r}/declare_conflict/", {"reason": "x"}),
        ("post", f"/api/v1/reviews/{r}/save/", {"recommendation": "fund"}),
        ("post", f"/api/v1/reviews/{r}/submit/", {}),
        ("get", f"/api/v1/reviews/{scene['cleared'].pk}/", None),
        ("post", f"/api/v1/reviews/{scene['cleared'].pk}/return_for_revision/", {"comment": "x"}),
        ("post", "/api/v1/assignments/", {"application": app.pk, "reviewer": own_review.reviewer_id}),
        ("get", f"/api/v1/assignments/progress/?call={call.pk}", None),
        ("get", f"/api/v1/rankings/{call.pk}/", None),
        ("post", f"/api/v1/rankings/{call.pk}/decide_down/", {}),
        ("get", f"/api/v1/decisions/{app.pk}/", None),
        ("post", f"/api/v1/decisions/{app.pk}/award/", {}),
        ("post", f"/api/v1/decisions/{app.pk}/put_on_reserve/", {}),
        ("post", f"/api/v1/decisions/{app.pk}/reject/", {}),
        ("post", f"/api/v1/decisions/{app.pk}/record_consensus/", {"score": "10", "justification": "x" * 30}),
        ("get", f"/api/v1/applications/{app.pk}/", None),
    ]
    return calls


@pytest.mark.parametrize("who", ["conflicted", "unassigned"])
def test_a_conflicted_or_unassigned_reviewer_gets_404_on_every_page(scene, client, who):
    world = scene["world"]
    if who == "conflicted":
        user, own = world.reviewers[1], scene["conflicted"]
    else:
        user, own = world.reviewers[2], scene["assigned"]  # someone else's review: not theirs to open
    client.force_login(user)
    for method, url in page_urls(scene, own):
        response = getattr(client, method)(url)
        assert response.status_code == 404, f"{method.upper()} {url} answered {response.status_code}"
    # Lists, dashboard and counts do not mention it either.
    for url in (reverse("reviews:review_home"), reverse("dashboard")):
        html = client.get(url).content.decode()
        assert scene["app"].title not in html and SECRET_SUMMARY not in html
    from applications.visibility import application_list_visible

    assert not application_list_visible(user).exists()


@pytest.mark.parametrize("who", ["conflicted", "unassigned"])
def test_a_conflicted_or_unassigned_reviewer_gets_404_from_every_api_endpoint(scene, who):
    world = scene["world"]
    user, own = (
        (world.reviewers[1], scene["conflicted"]) if who == "conflicted" else (world.reviewers[2], scene["assigned"])
    )
    api = api_for(user)
    for method, url, body in api_calls(scene, own):
        response = getattr(api, method)(url, body, format="json") if method == "post" else api.get(url)
        assert response.status_code == 404, (
            f"{method.upper()} {url} answered {response.status_code}: {response.content[:200]}"
        )
    assert api.get("/api/v1/reviews/").json()["count"] == 0
    assert api.get("/api/v1/assignments/").json()["count"] == 0
    listing = api.get("/api/v1/applications/")
    if listing.status_code == 200:
        assert scene["app"].title not in listing.content.decode()


def test_before_the_declaration_only_the_title(scene, client):
    world, review = scene["world"], scene["assigned"]
    client.force_login(world.reviewers[0])
    html = client.get(reverse("reviews:review_detail", args=[review.pk])).content.decode()
    assert scene["app"].title in html and "no conflict of interest" in html
    assert SECRET_SUMMARY not in html and world.orgs[0].legal_name not in html and "Statute" not in html
    for url in (
        reverse("reviews:review_attachment", args=[review.pk, 1]),
        reverse("reviews:review_feedback", args=[scene["app"].pk]),
    ):
        assert client.get(url).status_code == 404
    api = api_for(world.reviewers[0])
    data = api.get(f"/api/v1/reviews/{review.pk}/").json()
    assert data["application_title"] == scene["app"].title and data["scores"] == []
    assert data["available_transitions"] == ["declare_no_conflict", "declare_conflict"]
    assert api.get(f"/api/v1/reviews/{review.pk}/application/").status_code == 404
    # Declaring opens it.
    response = client.post(reverse("reviews:review_declare", args=[review.pk]), {"confirm": "on"})
    assert response.status_code == 302
    html = client.get(reverse("reviews:review_detail", args=[review.pk])).content.decode()
    assert SECRET_SUMMARY in html and world.orgs[0].legal_name in html and "Statute of Civic Watch UA.pdf" in html
    assert api.post(f"/api/v1/reviews/{review.pk}/declare_no_conflict/").status_code == 409


def test_blind_review_hides_who_applied_and_file_names(scene, client):
    world, review = scene["world"], scene["cleared"]
    Call.objects.filter(pk=world.call.pk).update(blind_review=True)
    org = world.orgs[0]
    client.force_login(world.reviewers[3])
    html = client.get(reverse("reviews:review_detail", args=[review.pk])).content.decode()
    assert SECRET_SUMMARY in html
    for secret in (org.legal_name, org.registration_id, "Statute of Civic Watch", world.applicants[0].email):
        assert secret not in html
    assert "Attachment 1" in html
    response = client.get(reverse("reviews:review_attachment", args=[review.pk, 1]))
    assert response.status_code == 200
    assert re.search(r'filename="?attachment-1\.pdf', response["Content-Disposition"])
    assert "Statute" not in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    data = api_for(world.reviewers[3]).get(f"/api/v1/reviews/{review.pk}/application/").json()
    assert "organisation" not in data and data["attachments"][0]["name"] == "Attachment 1"
    assert org.legal_name not in str(data) and "Statute" not in str(data)
    # The application's own page (applications/views.py) hides the organisation too.
    try:
        html = client.get(reverse("applications:application_detail", args=[scene["app"].pk])).content.decode()
    except NoReverseMatch:
        return
    assert org.registration_id not in html and f"{org.legal_name} (" not in html


def test_with_s3_a_reviewer_is_redirected_to_a_short_lived_url_that_keeps_the_blind_name(
    scene, client, s3_private_storage
):
    world, review, attachment = scene["world"], scene["cleared"], scene["attachment"]
    Call.objects.filter(pk=world.call.pk).update(blind_review=True)
    url = reverse("reviews:review_attachment", args=[review.pk, 1])
    client.force_login(world.reviewers[3])
    response = client.get(url)
    assert response.status_code == 302
    location = urlsplit(response["Location"])
    query = parse_qs(location.query)
    stored = attachment.stored_name
    assert (location.netloc, location.path) == (
        "127.0.0.1:9",
        f"/hromada-test/private/attachments/{stored[:2]}/{stored}",
    )
    assert query["X-Amz-Expires"] == ["60"] and query["X-Amz-Signature"][0]
    assert re.search(r'^attachment; filename="?attachment-1\.pdf', query["response-content-disposition"][0])
    assert query["response-content-type"] == ["application/pdf"]
    assert "Statute" not in unquote(response["Location"])
    assert response["X-Content-Type-Options"] == "nosniff" and "no-store" in response["Cache-Control"]
    # Whoever may not read the application gets no URL at all.
    for other in (world.reviewers[0], world.reviewers[1], world.reviewers[2]):  # undeclared, conflicted, unassigned
        client.force_login(other)
        assert client.get(url).status_code == 404


def test_blind_review_hides_file_names_on_the_applications_own_pages(scene, client):
    world = scene["world"]
    Call.objects.filter(pk=world.call.pk).update(blind_review=True)
    client.force_login(world.reviewers[3])
    app, attachment = scene["app"], scene["attachment"]
    html = client.get(reverse("applications:application_detail", args=[app.pk])).content.decode()
    download = client.get(reverse("applications:attachment_download", args=[app.pk, attachment.pk]))
    api = api_for(world.reviewers[3]).get(f"/api/v1/applications/{app.pk}/").content.decode()
    assert "Statute of Civic Watch" not in html
    assert "Statute" not in download["Content-Disposition"]
    assert "Statute of Civic Watch" not in api and world.orgs[0].legal_name not in api


def test_other_reviewers_scores_stay_hidden(scene, client):
    world = scene["world"]
    other = scene["assigned"]
    score_and_submit(other, (4, 4, 4))
    Review.objects.filter(pk=other.pk)  # submitted by reviewer 1
    from applications.review.models import Score

    Score.objects.filter(review=other).update(comment=OTHER_COMMENT)
    client.force_login(world.reviewers[3])
    html = client.get(reverse("reviews:review_detail", args=[scene["cleared"].pk])).content.decode()
    assert OTHER_COMMENT not in html and world.reviewers[0].email not in html
    api = api_for(world.reviewers[3])
    listing = api.get("/api/v1/reviews/").json()
    assert [r["id"] for r in listing["results"]] == [scene["cleared"].pk]
    assert api.get(f"/api/v1/reviews/{other.pk}/").status_code == 404
    assert OTHER_COMMENT not in api.get(f"/api/v1/reviews/{scene['cleared'].pk}/").content.decode()


def test_a_cleared_reviewer_may_not_do_a_managers_work(scene, client):
    """Visible but not theirs: 403, not 404."""
    world = scene["world"]
    cleared = scene["cleared"]
    score_and_submit(cleared, (4, 4, 4))
    client.force_login(world.reviewers[3])
    assert client.get(reverse("reviews:review_application", args=[scene["app"].pk])).status_code == 403
    assert client.post(reverse("reviews:review_return", args=[cleared.pk]), {"comment": "x"}).status_code == 403
    api = api_for(world.reviewers[3])
    assert (
        api.post(f"/api/v1/reviews/{cleared.pk}/return_for_revision/", {"comment": "x"}, format="json").status_code
        == 403
    )
    assert api.post(f"/api/v1/decisions/{scene['app'].pk}/award/", {}, format="json").status_code == 403
    assert api.get(f"/api/v1/decisions/{scene['app'].pk}/").status_code == 403
    # The applicant sees the application but not its reviews, and no decision is theirs.
    applicant = api_for(world.applicants[0])
    assert applicant.get(f"/api/v1/decisions/{scene['app'].pk}/").status_code == 403
    assert applicant.get(f"/api/v1/reviews/{cleared.pk}/").status_code == 404


def test_a_manager_of_another_programme_sees_nothing(scene, client, make_user, grant_role):
    from datetime import date
    from decimal import Decimal

    from djmoney.money import Money

    from accounts.models import ProgrammeRole
    from grants.calls.models import Programme

    other = Programme.objects.create(
        code="other",
        title="Other programme",
        budget=Money(Decimal("1000"), "EUR"),
        starts_on=date(2024, 1, 1),
        ends_on=date(2025, 1, 1),
    )
    outsider = grant_role(make_user("outsider@other.org"), other, ProgrammeRole.Role.MANAGER)
    client.force_login(outsider)
    app, call = scene["app"], scene["world"].call
    for url in (
        reverse("reviews:review_ranking", args=[call.pk]),
        reverse("reviews:review_call_assignments", args=[call.pk]),
        reverse("reviews:review_application", args=[app.pk]),
        reverse("reviews:review_feedback", args=[app.pk]),
    ):
        assert client.get(url).status_code == 404, url
    api = api_for(outsider)
    for url in (
        f"/api/v1/rankings/{call.pk}/",
        f"/api/v1/decisions/{app.pk}/",
        f"/api/v1/reviews/{scene['cleared'].pk}/",
    ):
        assert api.get(url).status_code == 404, url
    assert api.post(f"/api/v1/decisions/{app.pk}/reject/", {}, format="json").status_code == 404
    assert api.post("/api/v1/assignments/auto/", {"call": call.pk}, format="json").status_code == 403
    assert api.get("/api/v1/reviews/").json()["count"] == 0


def test_a_withdrawn_application_leaves_the_reviewers_open_list(scene, client):
    world = scene["world"]
    from applications.models import Application

    app = Application.objects.get(pk=scene["app"].pk)
    app.withdraw()
    app.save()
    client.force_login(world.reviewers[0])
    assert scene["app"].title not in client.get(reverse("reviews:review_home")).content.decode()
    assert "0 waiting for your declaration" in client.get(reverse("dashboard")).content.decode()
    response = client.post(reverse("reviews:review_declare", args=[scene["assigned"].pk]), {"confirm": "on"})
    assert response.status_code == 302
    assert Review.objects.get(pk=scene["assigned"].pk).state == "assigned"  # refused: no longer under review


def test_a_blind_reviewer_never_sees_the_answer_to_an_identifying_question(scene, client):
    """Pages, API, the printable page and the PDF leave identifying answers out under blind review;
    the other answers stay."""
    from pypdf import PdfReader

    from grants.calls.form.models import Question, QuestionKind

    world, review, app = scene["world"], scene["cleared"], scene["app"]
    Call.objects.filter(pk=world.call.pk).update(blind_review=True)
    named = Question.objects.create(
        call=world.call, position=50, kind=QuestionKind.SHORT_TEXT, text="Name of your director", identifying=True
    )
    plain = Question.objects.create(call=world.call, position=51, kind=QuestionKind.SHORT_TEXT, text="Target group")
    type(app).objects.filter(pk=app.pk).update(
        answers={**(app.answers or {}), str(named.pk): "Iryna Kovalenko", str(plain.pk): "Rural councils"}
    )
    client.force_login(world.reviewers[3])
    html = client.get(reverse("reviews:review_detail", args=[review.pk])).content.decode()
    assert "Rural councils" in html and "Iryna Kovalenko" not in html and "Name of your director" not in html
    data = api_for(world.reviewers[3]).get(f"/api/v1/reviews/{review.pk}/application/").json()
    assert "Rural councils" in str(data) and "Iryna Kovalenko" not in str(data)
    data = api_for(world.reviewers[3]).get(f"/api/v1/applications/{app.pk}/").json()
    assert "Iryna Kovalenko" not in str(data) and data["answers"][str(plain.pk)] == "Rural councils"
    printable = client.get(reverse("data:application_html", args=[app.pk])).content.decode()
    assert "Rural councils" in printable and "Iryna Kovalenko" not in printable
    pdf = client.get(reverse("data:application_pdf", args=[app.pk]))
    text = "".join(
        page.extract_text()
        for page in PdfReader(io.BytesIO(b"".join(pdf.streaming_content) if pdf.streaming else pdf.content)).pages
    )
    assert "Rural councils" in text and "Iryna Kovalenko" not in text
    # The programme's manager sees it.
    client.force_login(world.manager)
    assert "Iryna Kovalenko" in client.get(reverse("data:application_html", args=[app.pk])).content.decode()

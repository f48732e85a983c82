"""Calls as a programme manager runs them: programmes, draft calls with their template, publishing
with messages that name each problem, schedule, public pages and the API."""

from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone, translation
from djmoney.money import Money
from rest_framework.test import APIClient

from accounts.models import ProgrammeRole
from audit.models import AuditEvent
from core.errors import TransitionRefused
from grants.calls import services
from grants.calls.models import Call, CallState, Donor, HeadingKind, Programme, TrancheCondition


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def manager(make_user, programme, grant_role):
    return grant_role(make_user(email="maria@example.org"), programme, ProgrammeRole.Role.MANAGER)


def call_fields(**extra):
    now = timezone.now()
    fields = {
        "code": "adv-2027",
        "title": "Advocacy 2027",
        "title_uk": "Адвокація 2027",
        "envelope_amount": Decimal("300000"),
        "min_grant": Decimal("20000"),
        "max_grant": Decimal("60000"),
        "cofinancing_min_pct": Decimal("5"),
        "max_duration_months": 18,
        "eligible_countries": ["UA", "AM"],
        "eligible_org_types": ["ngo"],
        "opens_at": now + timedelta(days=1),
        "deadline": now + timedelta(days=30),
    }
    fields.update(extra)
    return fields


TEMPLATE = {
    "questions": [{"text": "Why?", "max_chars": 1000, "required": True}],
    "budget_headings": [
        {"name": "Staff", "kind": HeadingKind.DIRECT},
        {"name": "Indirect", "kind": HeadingKind.INDIRECT},
    ],
    "required_documents": [{"name": "Statute", "required": True}],
    "criteria": [
        {"name": "Relevance", "max_score": Decimal("5"), "weight": Decimal("2"), "minimum": Decimal("3")},
        {"name": "Capacity", "max_score": Decimal("5"), "weight": Decimal("1"), "minimum": Decimal("3")},
    ],
    "tranche_plan": [
        {"share_pct": Decimal("40"), "condition": TrancheCondition.SIGNATURE},
        {"share_pct": Decimal("40"), "condition": TrancheCondition.INTERIM_REPORT},
        {"share_pct": Decimal("20"), "condition": TrancheCondition.FINAL_REPORT},
    ],
}


def test_manager_creates_a_programme_and_manages_it(manager):
    donor = Donor.objects.create(name="European Union", identifier="XI-IATI-EC_NEAR")
    programme = services.programme_create(
        actor=manager,
        code="eu4i-2",
        title="EU4I II",
        budget_amount=Decimal("1000000"),
        currency="EUR",
        starts_on=date(2026, 1, 1),
        ends_on=date(2028, 12, 31),
        countries=["UA", "MD"],
        contributions=[(donor, Decimal("1000000"))],
    )
    assert programme.budget == Money(Decimal("1000000"), "EUR") and programme.contributions.get().donor == donor
    assert ProgrammeRole.objects.filter(user=manager, programme=programme, role="manager").exists()
    assert manager.has_perm("grants.manage_programme", programme)
    assert AuditEvent.objects.filter(action="programme_create").exists()


def test_applicants_cannot_create_programmes(make_user):
    with pytest.raises(PermissionDenied):
        services.programme_create(
            actor=make_user(),
            code="x",
            title="X",
            budget_amount=Decimal("1"),
            currency="EUR",
            starts_on=date(2026, 1, 1),
            ends_on=date(2026, 2, 1),
        )


def test_programme_budget_cannot_drop_below_published_envelopes(manager, programme, make_call):
    call = make_call(programme, envelope="500000")
    services.call_publish(actor=manager, call_id=call.pk)
    with pytest.raises(ValidationError) as exc:
        services.programme_update(actor=manager, programme_id=programme.pk, budget_amount=Decimal("400000"))
    assert "500000" in " ".join(exc.value.messages)


def test_draft_call_with_template_is_published(manager, programme):
    call = services.call_create(actor=manager, programme_id=programme.pk, **call_fields())
    services.call_template_save(actor=manager, call_id=call.pk, **TEMPLATE)
    assert call.title == "Advocacy 2027"
    with translation.override("uk"):
        assert Call.objects.get(pk=call.pk).title == "Адвокація 2027"
    with translation.override("hy"):  # no Armenian title: the main language's
        assert Call.objects.get(pk=call.pk).title == "Advocacy 2027"
    assert services.call_template_warnings(call) == []
    services.call_publish(actor=manager, call_id=call.pk)
    call.refresh_from_db()
    assert call.state == CallState.PUBLISHED and call.envelope == Money(Decimal("300000"), "EUR")
    # The schedule opens it at its opening time and closes it at its deadline.
    assert services.calls_open_close(now=call.opens_at + timedelta(seconds=1)) == (1, 0)
    assert services.calls_open_close(now=call.deadline) == (0, 1)
    assert Call.objects.get(pk=call.pk).state == CallState.CLOSED


def test_template_keeps_ids_and_reorders(manager, programme):
    call = services.call_create(actor=manager, programme_id=programme.pk, **call_fields())
    services.call_template_save(
        actor=manager, call_id=call.pk, questions=[{"text": "A", "max_chars": 10}, {"text": "B", "max_chars": 20}]
    )
    a, b = call.questions.filter(purpose="application").order_by("position")
    services.call_template_save(
        actor=manager,
        call_id=call.pk,
        questions=[
            {"id": b.pk, "text": "B2", "max_chars": 20},
            {"id": a.pk, "text": "A", "max_chars": 10},
            {"text": "C", "max_chars": 5},
        ],
    )
    assert [(q.pk, q.text, q.position) for q in call.questions.filter(purpose="application").order_by("position")][
        :2
    ] == [
        (b.pk, "B2", 1),
        (a.pk, "A", 2),
    ]
    assert call.questions.filter(purpose="application").count() == 3


def test_template_problems_are_named(manager, programme):
    call = services.call_create(actor=manager, programme_id=programme.pk, **call_fields())
    with pytest.raises(ValidationError) as exc:
        services.call_template_save(
            actor=manager,
            call_id=call.pk,
            tranche_plan=[
                {"share_pct": Decimal("95"), "condition": TrancheCondition.SIGNATURE},
                {"share_pct": Decimal("5"), "condition": TrancheCondition.FINAL_REPORT},
            ],
            criteria=[{"name": "X", "max_score": Decimal("5"), "weight": Decimal("0"), "minimum": Decimal("6")}],
        )
    text = " ".join(exc.value.messages)
    assert "At least 10% must wait for the final report" in text
    assert "positive weight" in text and "minimum above its maximum" in text


def test_publish_refusal_names_each_problem(manager, programme):
    call = services.call_create(
        actor=manager,
        programme_id=programme.pk,
        **call_fields(envelope_amount=Decimal("3000000"), max_grant=Decimal("4000000")),
    )
    services.call_template_save(
        actor=manager,
        call_id=call.pk,
        criteria=[{"name": "R", "max_score": Decimal("5"), "weight": Decimal("1"), "minimum": Decimal("3")}],
        overall_threshold=Decimal("10"),
    )
    with pytest.raises(ValidationError) as exc:
        services.call_publish(actor=manager, call_id=call.pk)
    messages = exc.value.messages
    assert any("overall threshold (10.00) is above the highest possible weighted score (5" in m for m in messages)
    assert any("exceeds what is left of the programme budget" in m for m in messages)


def test_published_calls_are_not_edited(manager, programme, make_call):
    call = make_call(programme)
    services.call_publish(actor=manager, call_id=call.pk)
    with pytest.raises(TransitionRefused):
        services.call_update(actor=manager, call_id=call.pk, title="Changed")
    with pytest.raises(TransitionRefused):
        services.call_template_save(actor=manager, call_id=call.pk, questions=[])


def test_only_the_programmes_managers_edit_its_calls(make_user, programme, make_call, grant_role):
    finance = grant_role(make_user(), programme, ProgrammeRole.Role.FINANCE)
    with pytest.raises(PermissionDenied):
        services.call_create(actor=finance, programme_id=programme.pk, **call_fields())
    with pytest.raises(PermissionDenied):
        services.call_update(actor=finance, call_id=make_call(programme).pk, title="x")


def test_call_rules_are_checked(manager, programme):
    with pytest.raises(ValidationError) as exc:
        services.call_create(
            actor=manager,
            programme_id=programme.pk,
            **call_fields(
                max_grant=Decimal("1"), eligible_countries=["BY"], deadline=timezone.now() - timedelta(days=3)
            ),
        )
    assert set(exc.value.message_dict) == {"max_grant", "deadline", "eligible_countries"}


def test_a_calls_largest_attachment_is_at_most_the_largest_upload_the_site_accepts(manager, programme, settings):
    """The reverse proxy refuses bodies above settings.UPLOAD_MAX_MB (deploy/nginx/hromada.conf): a
    call promising applicants bigger files would have them refused by the proxy instead."""
    assert settings.UPLOAD_MAX_MB == 50
    with pytest.raises(ValidationError) as exc:
        services.call_create(actor=manager, programme_id=programme.pk, **call_fields(max_file_mb=200))
    assert exc.value.message_dict == {
        "max_file_mb": ["Enter a size between 1 and 50 MB, the largest upload the site accepts."]
    }
    call = services.call_create(actor=manager, programme_id=programme.pk, **call_fields(max_file_mb=50))
    with pytest.raises(ValidationError):
        services.call_update(actor=manager, call_id=call.pk, max_file_mb=51)
    with pytest.raises(ValidationError):
        services.call_update(actor=manager, call_id=call.pk, max_file_mb=0)
    assert Call.objects.get(pk=call.pk).max_file_mb == 50


# --- pages ------------------------------------------------------------------------------------


def test_manager_creates_a_call_in_its_own_time_zone(client, manager, programme):
    client.force_login(manager)
    assert client.get("/manage/calls/").status_code == 200
    data = {
        "code": "yerevan-2027",
        "title": "Yerevan call",
        "envelope_amount": "100000",
        "min_grant": "10000",
        "max_grant": "50000",
        "cofinancing_min_pct": "5",
        "max_duration_months": "12",
        "indirect_max_pct": "7",
        "flexibility_pct": "25",
        "eligible_countries": ["AM"],
        "eligible_org_types": ["ngo"],
        "time_zone": "Asia/Yerevan",
        "opens_at": "2030-03-01T09:00",
        "deadline": "2030-04-01T18:00",
        "max_file_mb": "10",
        "max_total_mb": "40",
        "reviewers_per_application": "2",
        "divergence_threshold": "3",
        "overall_threshold": "10",
        "review_comment_min_chars": "50",
        "review_days": "14",
    }
    response = client.post(f"/manage/programmes/{programme.pk}/calls/new/", data)
    call = Call.objects.get(code="yerevan-2027")
    assert response.status_code == 302 and response["Location"] == f"/manage/calls/{call.pk}/template/"
    assert call.deadline == datetime(2030, 4, 1, 18, 0, tzinfo=ZoneInfo("Asia/Yerevan"))
    assert call.deadline == datetime(2030, 4, 1, 14, 0, tzinfo=ZoneInfo("UTC"))


def test_template_page_and_publish_messages(client, manager, programme):
    call = services.call_create(
        actor=manager, programme_id=programme.pk, **call_fields(envelope_amount=Decimal("9000000"))
    )
    client.force_login(manager)
    page = client.get(f"/manage/calls/{call.pk}/template/").content.decode()
    assert 'name="questions-TOTAL_FORMS"' in page and 'name="tranche_plan-0-share_pct"' in page
    data = {"overall_threshold": "10"}
    for part in ("questions", "budget_headings", "required_documents", "criteria", "tranche_plan"):
        data.update(
            {
                f"{part}-TOTAL_FORMS": "1",
                f"{part}-INITIAL_FORMS": "0",
                f"{part}-MIN_NUM_FORMS": "0",
                f"{part}-MAX_NUM_FORMS": "100",
            }
        )
    data.update(
        {
            "questions-0-text": "Why?",
            "questions-0-max_chars": "1000",
            "questions-0-required": "on",
            "questions-0-ORDER": "1",
            "budget_headings-0-name": "Staff",
            "budget_headings-0-kind": "direct",
            "budget_headings-0-ORDER": "1",
            "required_documents-0-name": "Statute",
            "required_documents-0-ORDER": "1",
            "criteria-0-name": "Relevance",
            "criteria-0-max_score": "5",
            "criteria-0-weight": "3",
            "criteria-0-minimum": "3",
            "criteria-0-ORDER": "1",
            "tranche_plan-0-share_pct": "100",
            "tranche_plan-0-condition": "final_report",
            "tranche_plan-0-ORDER": "1",
        }
    )
    response = client.post(f"/manage/calls/{call.pk}/template/", data)
    assert response.status_code == 302, response.content.decode()[:3000]
    assert call.questions.get(purpose="application").text == "Why?" and call.criteria.get().weight == 3
    response = client.post(f"/manage/calls/{call.pk}/publish/", follow=True)
    assert "exceeds what is left of the programme budget" in response.content.decode()
    assert Call.objects.get(pk=call.pk).state == CallState.DRAFT


def test_manager_pages_are_404_for_others(client, make_user, programme, make_call):
    call = make_call(programme)
    client.force_login(make_user())
    for path in (
        "/manage/calls/",
        f"/manage/calls/{call.pk}/",
        f"/manage/calls/{call.pk}/edit/",
        f"/manage/calls/{call.pk}/template/",
        f"/manage/programmes/{programme.pk}/calls/new/",
    ):
        assert client.get(path).status_code == 404, path


# --- API --------------------------------------------------------------------------------------


def test_api_calls(manager, programme, make_user, make_call):
    api = APIClient()
    public = make_call(programme, envelope="100000")
    services.call_publish(actor=manager, call_id=public.pk)
    hidden = make_call(programme)
    listed = [c["id"] for c in api.get("/api/v1/calls/").json()["results"]]
    assert listed == [public.pk]  # anyone reads public calls; drafts stay with the managers
    assert api.get(f"/api/v1/calls/{hidden.pk}/").status_code == 404
    api.force_authenticate(manager)
    payload = {
        "programme": programme.pk,
        "code": "api-call",
        "title": "API call",
        "envelope": "200000",
        "min_grant": "10000",
        "max_grant": "40000",
        "opens_at": (timezone.now() + timedelta(days=1)).isoformat(),
        "deadline": (timezone.now() + timedelta(days=40)).isoformat(),
        "eligible_countries": ["UA"],
        "questions": [{"text": "Why?", "max_chars": 500}],
        "criteria": [{"name": "Relevance", "max_score": "5", "weight": "3", "minimum": "3"}],
        "tranche_plan": [
            {"share_pct": "80", "condition": "signature"},
            {"share_pct": "20", "condition": "final_report"},
        ],
    }
    response = api.post("/api/v1/calls/", payload, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["state"] == "draft" and body["available_transitions"] == ["publish", "cancel"]
    assert body["currency"] == "EUR" and len(body["questions"]) == 1 and body["questions"][0]["max_chars"] == 500
    response = api.patch(f"/api/v1/calls/{body['id']}/", {"title": "API call (changed)"}, format="json")
    assert response.status_code == 200 and response.json()["title"] == "API call (changed)"
    response = api.post(f"/api/v1/calls/{body['id']}/publish/")
    assert response.status_code == 200 and response.json()["state"] == "published"
    assert api.patch(f"/api/v1/calls/{body['id']}/", {"title": "late"}, format="json").status_code == 409
    assert api.post(f"/api/v1/calls/{body['id']}/publish/").status_code == 409
    # Someone who is not a manager: 403 on a public call, 404 on a draft.
    api.force_authenticate(make_user())
    assert api.patch(f"/api/v1/calls/{public.pk}/", {"title": "x"}, format="json").status_code == 403
    assert api.post(f"/api/v1/calls/{public.pk}/cancel/", {"reason": "x"}, format="json").status_code == 403
    assert api.post(f"/api/v1/calls/{hidden.pk}/publish/").status_code == 404
    assert api.post("/api/v1/calls/", {**payload, "code": "other"}, format="json").status_code == 403


def test_api_publish_problems_are_400_with_messages(manager, programme, make_call):
    api = APIClient()
    api.force_authenticate(manager)
    call = make_call(programme, envelope="3000000", criteria=())
    response = api.post(f"/api/v1/calls/{call.pk}/publish/")
    assert response.status_code == 400
    text = " ".join(response.json()["non_field_errors"])
    assert "no criteria" in text and "exceeds what is left of the programme budget" in text


def test_programme_fixture_is_untouched(programme):
    assert Programme.objects.get(pk=programme.pk).envelopes_total == 0

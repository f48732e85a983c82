"""The whole review and selection through the API, with the same permissions as the pages:
404 invisible, 403 role, 409 state, 400 with a message per field."""

from decimal import Decimal

from applications.models import ApplicationState
from applications.review.models import Review
from audit.models import AuditEvent
from tests.reviews.conftest import COMMENT, api_for


def test_assign_declare_score_submit_rank_and_award_through_the_api(world):
    manager = api_for(world.manager)
    call = world.call
    response = manager.post("/api/v1/assignments/auto/", {"call": call.pk}, format="json")
    assert response.status_code == 200 and len(response.json()["created"]) == 6
    assert (
        api_for(world.reviewers[0]).post("/api/v1/assignments/auto/", {"call": call.pk}, format="json").status_code
        == 403
    )
    progress = manager.get(f"/api/v1/assignments/progress/?call={call.pk}").json()["results"]
    assert sum(p["waiting"] for p in progress) == 6
    listing = manager.get(f"/api/v1/assignments/?call={call.pk}").json()
    assert listing["count"] == 6 and listing["results"][0]["reviewer"]["email"]

    criteria = world.criteria
    for review in Review.objects.select_related("reviewer").order_by("pk"):
        api = api_for(review.reviewer)
        base = f"/api/v1/reviews/{review.pk}/"
        assert api.post(base + "submit/", {}, format="json").status_code == 409  # not declared yet
        data = api.post(base + "declare_no_conflict/").json()
        assert data["state"] == "accepted" and data["available_transitions"] == ["save", "submit", "declare_conflict"]
        bad = api.post(base + "save/", {"scores": [{"criterion": criteria[0].pk, "score": "4.25"}]}, format="json")
        assert bad.status_code == 400 and f"score_{criteria[0].pk}" in bad.json()
        incomplete = api.post(
            base + "submit/",
            {"scores": [{"criterion": criteria[0].pk, "score": "4", "comment": "Short"}]},
            format="json",
        )
        assert incomplete.status_code == 400 and f"comment_{criteria[0].pk}" in incomplete.json()
        body = {
            "scores": [{"criterion": c.pk, "score": "4", "comment": COMMENT} for c in criteria],
            "recommendation": "fund",
        }
        data = api.post(base + "submit/", body, format="json").json()
        assert data["state"] == "submitted" and data["weighted_total"] == "16.00"
        assert [s["score"] for s in data["scores"]] == ["4.0", "4.0", "4.0"]
    assert all(a.state == ApplicationState.REVIEWED for a in type(world.apps[0]).objects.filter(call=call))

    ranking = manager.get(f"/api/v1/rankings/{call.pk}/").json()
    assert ranking["available"] == "100000.00" and ranking["fundable"]["count"] == 3
    first = ranking["fundable"]["results"][0]
    assert first["score"] == "16.00" and first["criterion_means"] == ["4.00", "4.00", "4.00"] and first["rank"] == 1
    assert [r["within_envelope"] for r in ranking["fundable"]["results"]] == [True, True, False]
    assert ranking["cutoff_rank"] == 3 and ranking["cutoff_page"] == 1 and ranking["within_total"] == "80000.00"
    assert ranking["fundable"]["num_pages"] == 1 and ranking["fundable"]["page"] == 1
    assert api_for(world.reviewers[0]).get(f"/api/v1/rankings/{call.pk}/").status_code == 404

    target = first["application"]
    decision = manager.get(f"/api/v1/decisions/{target}/").json()
    assert decision["available_transitions"] == ["award", "put_on_reserve", "reject", "record_consensus"]
    too_much = manager.post(f"/api/v1/decisions/{target}/award/", {"amount": "40000.01"}, format="json")
    assert too_much.status_code == 400 and "amount" in too_much.json()
    data = manager.post(
        f"/api/v1/decisions/{target}/award/", {"amount": "30000", "note": "Reduced budget."}, format="json"
    ).json()
    assert data["state"] == "awarded" and data["awarded_amount"] == "30000.00"
    assert manager.post(f"/api/v1/decisions/{target}/award/", {}, format="json").status_code == 409
    assert AuditEvent.objects.filter(action="award", object_id=str(target)).count() == 1

    others = [r["application"] for r in ranking["fundable"]["results"][1:]]
    done = manager.post(f"/api/v1/rankings/{call.pk}/decide_down/").json()
    assert done == {"awarded": others[:1], "reserved": others[1:], "rejected": []}
    assert manager.post(f"/api/v1/rankings/{call.pk}/close_selection/").json()["state"] == "decided"


def test_return_consensus_and_reviewer_pool_through_the_api(world):
    manager = api_for(world.manager)
    app = world.apps[0]
    created = manager.post(
        "/api/v1/assignments/", {"application": app.pk, "reviewer": world.reviewers[0].pk}, format="json"
    )
    assert created.status_code == 201 and created.json()["state"] == "assigned"
    again = manager.post(
        "/api/v1/assignments/", {"application": app.pk, "reviewer": world.reviewers[0].pk}, format="json"
    )
    assert again.status_code == 400 and "reviewer" in again.json()
    review_id = created.json()["id"]
    reviewer = api_for(world.reviewers[0])
    reviewer.post(f"/api/v1/reviews/{review_id}/declare_no_conflict/")
    body = {
        "scores": [{"criterion": c.pk, "score": "3", "comment": COMMENT} for c in world.criteria],
        "recommendation": "fund_with_changes",
    }
    assert reviewer.post(f"/api/v1/reviews/{review_id}/submit/", body, format="json").status_code == 200
    assert (
        manager.post(f"/api/v1/reviews/{review_id}/return_for_revision/", {"comment": ""}, format="json").status_code
        == 400
    )
    returned = manager.post(
        f"/api/v1/reviews/{review_id}/return_for_revision/", {"comment": "Justify the design score."}, format="json"
    ).json()
    assert returned["state"] == "returned"
    assert reviewer.get(f"/api/v1/reviews/{review_id}/").json()["returned_comment"] == "Justify the design score."
    body["scores"][1]["score"] = "3.5"
    assert (
        reviewer.post(f"/api/v1/reviews/{review_id}/submit/", body, format="json").json()["weighted_total"] == "12.50"
    )
    consensus = manager.post(
        f"/api/v1/decisions/{app.pk}/record_consensus/",
        {"score": "13", "justification": "Agreed by the panel on 3 March."},
        format="json",
    ).json()
    assert consensus["consensus_score"] == "13.00" and consensus["assessment"]["score"] == "13.00"
    assert consensus["assessment"]["mean_total"] == "12.50"

    invited = manager.post(
        "/api/v1/reviewers/",
        {
            "programme": world.programme.pk,
            "email": "new.expert@example.org",
            "full_name": "New Expert",
            "countries": ["GE"],
        },
        format="json",
    )
    assert invited.status_code == 201 and invited.json()["countries"] == ["GE"]
    pool = manager.get("/api/v1/reviewers/").json()
    assert "new.expert@example.org" in [r["email"] for r in pool["results"]]
    assert api_for(world.reviewers[0]).get("/api/v1/reviewers/").json()["count"] == 0
    refused = api_for(world.reviewers[0]).post(
        "/api/v1/reviewers/", {"programme": world.programme.pk, "email": "x@example.org"}, format="json"
    )
    assert refused.status_code == 403
    assert Decimal(consensus["consensus_score"]) == Decimal("13")


def test_the_rankings_endpoint_is_paginated_and_documented(world):
    manager = api_for(world.manager)
    schema = manager.get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/rankings/{id}/"]["get"]
    assert {"page", "npage"} <= {p["name"] for p in operation["parameters"]}
    ranking = schema["components"]["schemas"]["Ranking"]["properties"]
    assert {"cutoff_rank", "cutoff_page", "within_total", "fundable", "not_fundable", "flagged"} <= set(ranking)
    page = schema["components"]["schemas"]["RankingPage"]["properties"]
    assert {"count", "page", "num_pages", "page_size", "results"} <= set(page)
    assert "running_total" in schema["components"]["schemas"]["Ranked"]["properties"]
    call = world.call
    call.start_review()
    call.save()
    empty = manager.get(f"/api/v1/rankings/{call.pk}/?page=7&npage=x").json()
    assert empty["fundable"] == {"count": 0, "page": 1, "num_pages": 1, "page_size": 50, "results": []}

"""The assessment stored on each application is what the ranking's rules give at every step: each
review service refreshes it in its own transaction (assignment, declarations, submission, return,
late conflict, consensus), so the ranking reads current rows without recomputing anything; a
change of the call's rules (made outside the services, which refuse it once the call is published)
makes the call's rows stale and the ranking recomputes them before it reads. Runs on SQLite and,
with DATABASE_URL, on PostgreSQL."""

from decimal import Decimal as D

from applications.models import Application, ApplicationState
from applications.review import services
from applications.review.ranking import FUNDABLE, NOT_FUNDABLE, PENDING, call_ranking, rubric_from, rules_fingerprint
from applications.review.ranking.stored import STORED_ROW, stale, stored_assessment
from grants.calls.models import Call, Criterion
from tests.reviews.conftest import score_and_submit


def assign(world, app, *reviewers):
    return [services.review_assign(actor=world.manager, application_id=app.pk, reviewer_id=r.pk) for r in reviewers]


def stored(app):
    """What the ranking shows of the application, from its stored columns only."""
    call = Call.objects.get(pk=app.call_id)
    rubric = rubric_from(call.criteria.order_by("position"))
    values = Application.objects.values(*STORED_ROW, "title").get(pk=app.pk)
    return stored_assessment(values, rubric, call)


def figures(a):
    return (
        a.row.state,
        a.row.submitted,
        a.row.pending,
        a.row.withdrawn,
        a.group,
        a.mean_total,
        a.score,
        a.criterion_means,
        a.divergence,
        a.divergent,
        a.fundable,
        a.reasons,
    )


def assert_current(app):
    """Stored equals the rules computed now, and nothing of the call is left for the ranking to
    refresh (the service did it)."""
    app = Application.objects.get(pk=app.pk)
    call = Call.objects.get(pk=app.call_id)
    rubric, live = services.application_assessment(app, call)
    assert figures(stored(app)) == figures(live)
    assert not stale(call, rules_fingerprint(call, rubric)).exists()
    return stored(app)


def test_assignment_declarations_and_submission_keep_the_stored_counts_and_group(world):
    app = world.apps[0]
    first, second = assign(world, app, world.reviewers[0], world.reviewers[1])
    a = assert_current(app)
    assert (a.row.state, a.row.pending, a.row.submitted, a.group) == ("under_review", 2, 0, PENDING)
    services.review_declare_no_conflict(actor=world.reviewers[0], review_id=first.pk)
    assert_current(app)
    score_and_submit(first, (4, 4, 4))  # 16
    a = assert_current(app)
    assert (a.row.pending, a.row.submitted, a.mean_total, a.group) == (1, 1, D("16"), PENDING)  # still under review
    services.review_declare_conflict(actor=world.reviewers[1], review_id=second.pk, reason="My former employer.")
    a = assert_current(app)  # the last open review ends: reviewed, and fundable
    assert (a.row.state, a.row.pending, a.row.withdrawn, a.group, a.fundable) == ("reviewed", 0, 0, FUNDABLE, True)
    _rubric, page = call_ranking(Call.objects.get(pk=app.call_id))
    assert [x.id for x in page.fundable.object_list] == [app.pk] and page.fundable.object_list[0].rank == 1


def test_a_late_conflict_withdraws_the_score_from_the_stored_mean(world):
    app = world.apps[0]
    first, second = assign(world, app, world.reviewers[0], world.reviewers[1])
    score_and_submit(first, (5, 4.5, 4.5))  # 19
    score_and_submit(second, (3, 3, 3))  # 12: spread 7 > 3, divergent
    a = assert_current(app)
    assert (a.mean_total, a.divergent, a.needs_attention) == (D("15.5"), True, True)
    services.review_declare_conflict(actor=world.reviewers[0], review_id=first.pk, reason="Found a link to them.")
    a = assert_current(app)
    assert (a.row.submitted, a.row.withdrawn, a.mean_total, a.divergent) == (1, 1, D("12"), False)


def test_a_returned_review_leaves_the_ranking_until_it_is_submitted_again(world):
    app = world.apps[0]
    (review,) = assign(world, app, world.reviewers[0])
    score_and_submit(review, (4, 4, 4))
    assert assert_current(app).group == FUNDABLE
    services.review_return(actor=world.manager, review_id=review.pk, comment="Comment on sustainability, please.")
    a = assert_current(app)
    assert (a.row.submitted, a.row.pending, a.group, a.mean_total) == (0, 1, PENDING, None)
    score_and_submit(review, (2, 2, 2))  # 8: below the overall threshold of 12 and every minimum
    a = assert_current(app)
    assert (a.group, a.fundable, a.mean_total) == (NOT_FUNDABLE, False, D("8"))
    assert any("overall threshold" in reason for reason in a.reasons)


def test_a_consensus_score_replaces_the_stored_score(world):
    app = world.apps[0]
    first, second = assign(world, app, world.reviewers[0], world.reviewers[1])
    score_and_submit(first, (5, 4.5, 4.5))
    score_and_submit(second, (3, 3, 3))
    assert assert_current(app).score == D("15.5")
    services.consensus_record(
        actor=world.manager, application_id=app.pk, score="13", justification="The panel met and agreed on thirteen."
    )
    a = assert_current(app)
    assert (a.score, a.mean_total, a.needs_attention) == (D("13"), D("15.5"), False)
    assert Application.objects.get(pk=app.pk).ranking_score == D("13")


def test_a_change_of_the_rules_is_applied_before_the_ranking_is_read(world):
    apps = world.apps[:2]
    for app, scores in zip(apps, [(4, 4, 4), (3.5, 3, 3)]):  # 16 and 13
        (review,) = assign(world, app, world.reviewers[0])
        score_and_submit(review, scores)
    call = Call.objects.get(pk=world.call.pk)
    _rubric, page = call_ranking(call)
    assert [a.id for a in page.fundable.object_list] == [apps[0].pk, apps[1].pk]
    # Rules changed where no review service sees it (the admin; the call's services refuse it
    # once the call is published): a higher threshold and a higher minimum for the second criterion.
    Call.objects.filter(pk=call.pk).update(overall_threshold=D("14"))
    Criterion.objects.filter(call=call, position=2).update(minimum=D("3.5"))
    call = Call.objects.get(pk=call.pk)
    rubric = rubric_from(call.criteria.order_by("position"))
    assert stale(call, rules_fingerprint(call, rubric)).count() == 2
    _rubric, page = call_ranking(call)
    assert [a.id for a in page.fundable.object_list] == [apps[0].pk]
    (refused,) = page.not_fundable.object_list
    assert refused.id == apps[1].pk
    assert any("overall threshold 14" in r for r in refused.reasons) and any(
        "minimum 3.5" in r for r in refused.reasons
    )
    assert figures(stored(apps[1])) == figures(services.application_assessment(apps[1], call)[1])
    assert not stale(call, rules_fingerprint(call, rubric)).exists()
    assert Application.objects.get(pk=apps[1].pk).state == ApplicationState.REVIEWED

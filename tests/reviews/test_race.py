"""Two managers awarding the last money of an envelope at the same moment, on PostgreSQL: one
wins, the other is told how much is left, and the envelope is never exceeded. 1,000 rounds."""

import threading
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import connections

from accounts.models import Organisation, ProgrammeRole
from applications.models import Application
from applications.review.services import application_award
from core.errors import TransitionRefused
from grants.calls.models import Call
from tests.reviews.bulk import bulk_reviewed

ROUNDS = 1000
AMOUNT = Decimal("10000")

pytestmark = pytest.mark.postgres


def run_rounds(rounds, actions, reset):
    """Each round: `reset()` in this thread, then every action at once, each in its own thread
    with its own connection; returns [[outcome per action] per round]."""
    start = threading.Barrier(len(actions) + 1, timeout=120)
    finish = threading.Barrier(len(actions) + 1, timeout=120)
    outcomes = [[None] * len(actions) for _ in range(rounds)]

    def worker(k, act):
        try:
            for i in range(rounds):
                start.wait()
                try:
                    act(i)
                    outcomes[i][k] = "won"
                except ValidationError as exc:
                    outcomes[i][k] = " ".join(exc.messages)
                except TransitionRefused as exc:
                    outcomes[i][k] = str(exc.message)
                except Exception as exc:  # anything else is a failure of the test
                    outcomes[i][k] = f"ERROR {exc!r}"
                finish.wait()
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(k, act)) for k, act in enumerate(actions)]
    for t in threads:
        t.start()
    totals = []
    try:
        for i in range(rounds):
            reset(i)
            start.wait()
            finish.wait()
            totals.append(Call.objects.values_list("awarded_total", flat=True).get(pk=reset.call_id))
    finally:
        for t in threads:
            t.join(timeout=120)
    return outcomes, totals


@pytest.fixture
def race(postgres, world, make_user, grant_role):
    call = Call.objects.get(pk=world.call.pk)
    call.start_review()
    call.save()
    second = grant_role(make_user("second.manager@eu4i.org"), world.programme, ProgrammeRole.Role.MANAGER)
    # An organisation without members: the awards write no messages, which keeps each round cheap.
    org = Organisation.objects.create(
        legal_name="Race CSO", country="UA", org_type="ngo", registration_id="UA-EDR-99999999"
    )
    apps = bulk_reviewed(call, org, world.applicants[0], world.reviewers[:1], 2 * ROUNDS, requested=str(AMOUNT))
    return call, world.manager, second, [a.pk for a in apps]


def test_two_managers_award_the_last_money_of_the_envelope_at_once(race):
    call, first, second, ids = race
    envelope = call.envelope.amount

    def reset(i):
        Call.objects.filter(pk=call.pk).update(awarded_total=envelope - AMOUNT)  # the last 10,000 left

    reset.call_id = call.pk

    outcomes, totals = run_rounds(
        ROUNDS,
        [
            lambda i: application_award(actor=first, application_id=ids[2 * i]),
            lambda i: application_award(actor=second, application_id=ids[2 * i + 1]),
        ],
        reset,
    )
    errors = [o for pair in outcomes for o in pair if o and o.startswith("ERROR")]
    assert not errors, errors[:3]
    for i, pair in enumerate(outcomes):
        assert sorted(pair, key=lambda o: o != "won")[0] == "won" and pair.count("won") == 1, (i, pair)
        loser = next(o for o in pair if o != "won")
        assert "Only 0.00 EUR of the envelope is left" in loser, loser
    assert all(total == envelope for total in totals)
    assert Application.objects.filter(pk__in=ids, state="awarded").count() == ROUNDS
    assert Application.objects.filter(pk__in=ids, state="reviewed").count() == ROUNDS


def test_two_managers_award_the_same_application_at_once(race):
    call, first, second, ids = race
    rounds = 50

    def reset(i):
        Call.objects.filter(pk=call.pk).update(awarded_total=0)

    reset.call_id = call.pk

    outcomes, totals = run_rounds(
        rounds,
        [
            lambda i: application_award(actor=first, application_id=ids[i]),
            lambda i: application_award(actor=second, application_id=ids[i]),
        ],
        reset,
    )
    for pair in outcomes:
        assert pair.count("won") == 1, pair
        assert "awarded meanwhile" in next(o for o in pair if o != "won")
    assert all(total == AMOUNT for total in totals)

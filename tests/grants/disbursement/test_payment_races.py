"""Payments under concurrency on PostgreSQL, at least 1,000 rounds each:

- two finance officers record the payment of the same approved tranche at the same moment:
  exactly one payment, never two;
- two payments that together exceed what may still be paid (the award; before the final report
  its 90% cap) run at the same moment: one goes through, the other is refused; paid never
  exceeds what is allowed and always equals the sum of the payments;
- a naive control (read, check, write, without the grant's row lock) run through the same
  harness must fail sometimes, which proves the harness can catch a race at all.

Two long-lived threads (one database connection each) meet at a barrier for every round, so
each round is a real collision and not two calls a few milliseconds apart.
"""

import threading
import time
from datetime import date
from decimal import ROUND_UP
from decimal import Decimal as D

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections, transaction
from django.db.models import F, Sum

from core.errors import TransitionRefused
from grants.agreements.models import Grant
from grants.calls.models import TrancheCondition, TranchePlanItem
from grants.disbursement import conditions as tranche_rules
from grants.disbursement import lifecycle as disbursement_lifecycle
from grants.disbursement import services as disbursement_services
from grants.disbursement.models import Payment, Tranche, TrancheState
from tests.factories import call_full
from tests.grants.disbursement.helpers import award, signed_pdf

ROUNDS = 1000
OVERPAY = D("600")


def plan(call, signature_tranches):
    """`signature_tranches` tranches due on signature sharing 90%, then 10% after the final report."""
    TranchePlanItem.objects.filter(call=call).delete()
    share = D("90") / signature_tranches
    items = [
        TranchePlanItem(call=call, position=i, share_pct=share, condition=TrancheCondition.SIGNATURE)
        for i in range(1, signature_tranches + 1)
    ]
    items.append(
        TranchePlanItem(
            call=call, position=signature_tranches + 1, share_pct=D("10"), condition=TrancheCondition.FINAL_REPORT
        )
    )
    TranchePlanItem.objects.bulk_create(items)


def signed_grant(call, org, people, amount="40000"):
    app = award(call, org, people.grantee, amount=amount)
    grant = disbursement_lifecycle.grant_create_from_application(actor=people.manager, application_id=app.pk)
    return disbursement_lifecycle.grant_sign(actor=people.manager, grant_id=grant.pk, document=signed_pdf())


def approved_tranches(grant, people):
    return [
        disbursement_services.tranche_approve(actor=people.manager, tranche_id=t.pk)
        for t in grant.tranches.filter(state=TrancheState.DUE).order_by("position")
    ]


def approved_grant_tranches(call, org, people, amount="40000"):
    """A signed grant and its approved signature tranches, set up in one transaction (speed)."""
    with transaction.atomic():
        return approved_tranches(signed_grant(call, org, people, amount=amount), people)


class Harness:
    """Two worker threads, each with its own connection, run `task(side, round)` together."""

    def __init__(self, task, rounds, before_round=None):
        self.task, self.rounds, self.before_round = task, rounds, before_round
        self.start, self.done = threading.Barrier(2), threading.Barrier(2)
        self.outcomes = [[None, None] for _ in range(rounds)]

    def worker(self, side):
        try:
            for i in range(self.rounds):
                if side == 0 and self.before_round:
                    self.before_round(i)  # the other side is waiting at the barrier meanwhile
                self.start.wait(timeout=30)
                try:
                    self.outcomes[i][side] = self.task(side, i)
                except (TransitionRefused, ValidationError, PermissionDenied) as exc:
                    self.outcomes[i][side] = ("refused", type(exc).__name__, str(exc))
                except Exception as exc:  # anything else is a failure of the code under test
                    self.outcomes[i][side] = ("error", type(exc).__name__, str(exc))
                self.done.wait(timeout=30)
        finally:
            connections.close_all()

    def run(self):
        threads = [threading.Thread(target=self.worker, args=(side,)) for side in (0, 1)]
        [t.start() for t in threads]
        [t.join() for t in threads]
        return self.outcomes


def paid(outcome):
    return outcome is not None and outcome[0] == "paid"


@pytest.fixture
def race_call(postgres, programme, monkeypatch):
    # The outbox relay is not under test here: keep its in-process kick out of every commit.
    monkeypatch.setattr("workers.messenger.outbox_kick", lambda: None)
    return call_full(programme, code="race", envelope="2000000", max_grant=D("60000"))


def test_two_finance_officers_paying_the_same_tranche(postgres, race_call, org, people):
    plan(race_call, 45)  # 45 tranches of 2% due on signature: 45 rounds per grant
    tranches = []
    while len(tranches) < ROUNDS:
        tranches += approved_grant_tranches(race_call, org, people)
    tranches = tranches[:ROUNDS]
    officers = (people.finance, people.finance2)

    def task(side, i):
        tranche = tranches[i]
        # even rounds: the same bank reference (a replayed request); odd rounds: two transfers
        reference = f"R-{i}" if i % 2 == 0 else f"R-{i}-{side}"
        disbursement_services.payment_record(
            actor=officers[side],
            tranche_id=tranche.pk,
            paid_on=date.today(),
            amount=tranche.due_amount,
            currency="EUR",
            bank_reference=reference,
        )
        return ("paid",)

    outcomes = Harness(task, ROUNDS).run()
    errors = [o for pair in outcomes for o in pair if o[0] == "error"]
    assert not errors, errors[:3]
    double = sum(1 for a, b in outcomes if paid(a) and paid(b))
    none = sum(1 for a, b in outcomes if not paid(a) and not paid(b))
    assert (double, none) == (0, 0)
    assert Payment.objects.filter(tranche__in=[t.pk for t in tranches]).count() == ROUNDS
    refusals = {o[1] for pair in outcomes for o in pair if o[0] == "refused"}
    assert refusals <= {"TransitionRefused", "ValidationError"}
    # the ledger: every grant's paid total is exactly the sum of its payments
    mismatched = (
        Grant.objects.annotate(paid=Sum("payments__amount_programme_currency"))
        .exclude(paid_total=F("paid"))
        .exclude(paid__isnull=True)
    )
    assert not mismatched.exists()
    assert connection.vendor == "postgresql"


def overpay_pairs(call, org, people, rounds):
    """Per round, two approved tranches of the same grant, each of amount d with d ≤ R < 2d,
    where R is what may still be paid before the final report (90% of the award minus what is
    paid): either payment fits, both together do not. The next round's pair on the same grant
    uses the R left after this round (R − d, whichever of the two won), so one grant of 20,000
    serves 15 rounds. (Set-up sets the approved amounts directly, as a defective upstream change
    would; the payment's lock must hold whatever the amounts.)"""
    per_grant = 15
    plan(call, 2 * per_grant)  # 30 tranches of 3% on signature, 10% after the final report
    pairs = []
    while len(pairs) < rounds:
        tranches = approved_grant_tranches(call, org, people, amount="20000")
        room = tranche_rules.prefinancing_cap(D("20000"))  # 18,000.00
        for k in range(per_grant):
            amount = (room * D("0.6")).quantize(D("0.01"), rounding=ROUND_UP)  # d ≤ R < 2d
            first, second = tranches[2 * k], tranches[2 * k + 1]
            Tranche.objects.filter(pk__in=[first.pk, second.pk]).update(due_amount=amount)
            pairs.append((first.grant_id, first.pk, second.pk, amount))
            room -= amount
    return pairs[:rounds]


def test_concurrent_payments_exceeding_what_may_be_paid(postgres, race_call, org, people):
    pairs = overpay_pairs(race_call, org, people, ROUNDS)
    officers = (people.finance, people.finance2)

    def task(side, i):
        grant_id, first, second, amount = pairs[i]
        disbursement_services.payment_record(
            actor=officers[side],
            tranche_id=(first, second)[side],
            paid_on=date.today(),
            amount=amount,
            currency="EUR",
            bank_reference=f"O-{i}-{side}",
        )
        return ("paid",)

    outcomes = Harness(task, ROUNDS).run()
    errors = [o for pair in outcomes for o in pair if o[0] == "error"]
    assert not errors, errors[:3]
    both = sum(1 for a, b in outcomes if paid(a) and paid(b))
    one = sum(1 for a, b in outcomes if paid(a) != paid(b))
    assert (both, one) == (0, ROUNDS)
    grant_ids = {p[0] for p in pairs}
    grants = Grant.objects.filter(pk__in=grant_ids).annotate(paid=Sum("payments__amount_programme_currency"))
    assert not grants.filter(paid_total__gt=F("amount_awarded") * D("0.9")).exists()
    assert not grants.exclude(paid_total=F("paid")).exists()  # the ledger equals the payments
    expected = {}
    for grant_id, _first, _second, amount in pairs:
        expected[grant_id] = expected.get(grant_id, D("0")) + amount
    assert dict(grants.values_list("pk", "paid_total")) == expected


def test_naive_control_without_the_lock_fails(postgres, race_call, org, people):
    """The same collision, paid the naive way (read, check, write without a lock): the harness
    must catch it overpaying. If this ever passes cleanly the harness proves nothing."""
    plan(race_call, 2)
    grant = signed_grant(race_call, org, people, amount="1000")

    def naive_pay(grant_id, amount):
        current = Grant.objects.get(pk=grant_id)  # read, no lock
        if current.paid_total + amount > current.amount_awarded:  # check
            return ("refused", "naive", "over the award")
        time.sleep(0.001)  # the window in which a real service would do its other work
        Grant.objects.filter(pk=grant_id).update(paid_total=current.paid_total + amount)  # write
        return ("paid",)

    def fresh_ledger(i):
        Grant.objects.filter(pk=grant.pk).update(paid_total=0)

    harness = Harness(lambda side, i: naive_pay(grant.pk, OVERPAY), ROUNDS, before_round=fresh_ledger)
    outcomes = harness.run()
    failures = sum(1 for a, b in outcomes if paid(a) and paid(b))  # 1,200 "paid" on a 1,000 award
    rate = failures / ROUNDS
    print(f"naive control: {failures} overpayments in {ROUNDS} rounds ({rate:.1%})")
    assert failures > 0, "the naive control never failed: the harness does not produce real collisions"

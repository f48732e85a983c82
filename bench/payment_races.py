"""Benchmark: payments under concurrency on PostgreSQL, through the real payment service.

Two finance officers (two threads, one connection each) meet at a barrier every round:
  1. both record the payment of the same approved tranche (half the rounds with the same bank
     reference, a replayed request; half with two different transfers): a tranche paid twice
     is a double payment;
  2. each records the payment of a different approved tranche of the same grant, where either
     fits what may still be paid (90% of the award before the final report) and both together
     do not: a round where both go through is an overpayment;
  3. the naive control: the same collision as 2, paid by read-check-write without the grant's
     row lock. It must fail (overpay) in some rounds, or the harness proves nothing.
After the rounds, every grant's paid total is compared with the sum of its payments.
One figure per line, the headline last.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/hromada .venv/bin/python bench/payment_races.py [--quick]

Runs in a database of its own (created and dropped here), never in the development data.
10,000 rounds of each scenario; `--quick`: 300; `--rounds N` for another number.
"""

import argparse
import os
import sys
import threading
import time
from datetime import date
from decimal import ROUND_UP, Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.exceptions import PermissionDenied, ValidationError  # noqa: E402
from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: E402
from django.db import connection, connections, transaction  # noqa: E402
from django.db.models import Count, F, Sum  # noqa: E402

SAME_TRANCHE_PER_GRANT = 45  # tranches of 2% due on signature per grant (scenario 1)
OVERPAY_PER_GRANT = 12  # rounds served by one grant in scenario 2
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


class Harness:
    """Two worker threads, each with its own connection, run `task(side, round)` together."""

    def __init__(self, task, rounds, before_round=None):
        self.task, self.rounds, self.before_round = task, rounds, before_round
        self.start, self.done = threading.Barrier(2), threading.Barrier(2)
        self.outcomes = [[None, None] for _ in range(rounds)]

    def worker(self, side):
        from core.errors import TransitionRefused

        try:
            for i in range(self.rounds):
                if side == 0 and self.before_round:
                    self.before_round(i)
                self.start.wait(timeout=60)
                try:
                    self.outcomes[i][side] = self.task(side, i)
                except (TransitionRefused, ValidationError, PermissionDenied):
                    self.outcomes[i][side] = "refused"
                except Exception as exc:  # anything else is a failure of the code under test
                    self.outcomes[i][side] = f"error: {type(exc).__name__}: {exc}"
                self.done.wait(timeout=60)
        finally:
            connections.close_all()

    def run(self):
        threads = [threading.Thread(target=self.worker, args=(side,)) for side in (0, 1)]
        started = time.perf_counter()
        [t.start() for t in threads]
        [t.join() for t in threads]
        return self.outcomes, time.perf_counter() - started


def build_world():
    from djmoney.money import Money

    from accounts.models import ProgrammeRole, User
    from accounts.services import organisation_register
    from grants.calls.models import Programme

    programme = Programme.objects.create(
        code="bench",
        title="Bench programme",
        budget=Money(Decimal("100000000"), "EUR"),
        starts_on=date(2026, 1, 1),
        ends_on=date(2030, 12, 31),
        countries=["UA"],
    )

    def user(email, role=None):
        u = User.objects.create_user(email=email, password="bench-password-1", full_name=email.split("@")[0])
        if role:
            ProgrammeRole.objects.create(user=u, programme=programme, role=role)
        return u

    people = {
        "manager": user("manager@bench.example", ProgrammeRole.Role.MANAGER),
        "finance": user("finance@bench.example", ProgrammeRole.Role.FINANCE),
        "finance2": user("finance2@bench.example", ProgrammeRole.Role.FINANCE),
        "grantee": user("grantee@bench.example"),
    }
    org = organisation_register(
        actor=people["grantee"], legal_name="Bench CSO", country="UA", org_type="ngo", registration_id="UA-EDR-40000001"
    )
    return programme, people, org


def call_with_plan(programme, code, signature_tranches):
    """A decided call whose plan has `signature_tranches` tranches on signature sharing 90%."""
    from grants.calls.models import CallState, TrancheCondition, TranchePlanItem
    from tests.factories import call_full

    call = call_full(programme, code=code, state=CallState.DECIDED, envelope="40000000", max_grant=Decimal("60000"))
    TranchePlanItem.objects.filter(call=call).delete()
    share = Decimal("90") / signature_tranches
    TranchePlanItem.objects.bulk_create(
        [
            TranchePlanItem(call=call, position=i, share_pct=share, condition=TrancheCondition.SIGNATURE)
            for i in range(1, signature_tranches + 1)
        ]
        + [
            TranchePlanItem(
                call=call,
                position=signature_tranches + 1,
                share_pct=Decimal("10"),
                condition=TrancheCondition.FINAL_REPORT,
            )
        ]
    )
    return call


def approved_grant_tranches(call, org, people, amount):
    """An awarded application (set-up by the model's transitions, as the review part's award
    service would leave it), its agreement signed, its signature tranches approved."""
    from applications.models import ApplicationState
    from grants.calls.models import Call
    from grants.disbursement import lifecycle as disbursement_lifecycle
    from grants.disbursement import services as disbursement_services
    from grants.disbursement.models import TrancheState
    from tests.factories import application_in_state

    with transaction.atomic():
        app = application_in_state(call, org, people["grantee"], ApplicationState.REVIEWED, requested=str(amount))
        app.award()
        app.awarded_amount = Decimal(amount)
        app.save()
        Call.objects.filter(pk=call.pk).update(awarded_total=F("awarded_total") + Decimal(amount))
        grant = disbursement_lifecycle.grant_create_from_application(actor=people["manager"], application_id=app.pk)
        grant = disbursement_lifecycle.grant_sign(
            actor=people["manager"],
            grant_id=grant.pk,
            document=SimpleUploadedFile("signed.pdf", PDF, content_type="application/pdf"),
        )
        return [
            disbursement_services.tranche_approve(actor=people["manager"], tranche_id=t.pk)
            for t in grant.tranches.filter(state=TrancheState.DUE).order_by("position")
        ]


def scenario_same_tranche(programme, people, org, rounds):
    from grants.disbursement import services as disbursement_services

    call = call_with_plan(programme, "same", SAME_TRANCHE_PER_GRANT)
    tranches = []
    while len(tranches) < rounds:
        tranches += approved_grant_tranches(call, org, people, "4500")
    tranches = tranches[:rounds]
    officers = (people["finance"], people["finance2"])

    def task(side, i):
        reference = f"S-{i}" if i % 2 == 0 else f"S-{i}-{side}"
        disbursement_services.payment_record(
            actor=officers[side],
            tranche_id=tranches[i].pk,
            paid_on=date.today(),
            amount=tranches[i].due_amount,
            currency="EUR",
            bank_reference=reference,
        )
        return "paid"

    outcomes, seconds = Harness(task, rounds).run()
    return outcomes, seconds


def scenario_overpay(programme, people, org, rounds):
    from grants.disbursement import conditions as tranche_rules
    from grants.disbursement import services as disbursement_services
    from grants.disbursement.models import Tranche

    call = call_with_plan(programme, "overpay", 2 * OVERPAY_PER_GRANT)
    pairs = []
    while len(pairs) < rounds:
        tranches = approved_grant_tranches(call, org, people, "2000")
        room = tranche_rules.prefinancing_cap(Decimal("2000"))
        for k in range(OVERPAY_PER_GRANT):
            amount = (room * Decimal("0.6")).quantize(Decimal("0.01"), rounding=ROUND_UP)  # d ≤ room < 2d
            first, second = tranches[2 * k], tranches[2 * k + 1]
            Tranche.objects.filter(pk__in=[first.pk, second.pk]).update(due_amount=amount)
            pairs.append((first.pk, second.pk, amount))
            room -= amount
    pairs = pairs[:rounds]
    officers = (people["finance"], people["finance2"])

    def task(side, i):
        first, second, amount = pairs[i]
        disbursement_services.payment_record(
            actor=officers[side],
            tranche_id=(first, second)[side],
            paid_on=date.today(),
            amount=amount,
            currency="EUR",
            bank_reference=f"O-{i}-{side}",
        )
        return "paid"

    return Harness(task, rounds).run()


def scenario_naive(programme, people, org, rounds):
    from grants.agreements.models import Grant

    call = call_with_plan(programme, "naive", 2)
    grant_id = approved_grant_tranches(call, org, people, "1000")[0].grant_id
    amount = Decimal("600")

    def naive_pay(side, i):
        current = Grant.objects.get(pk=grant_id)  # read, no lock
        if current.paid_total + amount > current.amount_awarded:  # check
            return "refused"
        time.sleep(0.001)  # the window in which a real service does its other work
        Grant.objects.filter(pk=grant_id).update(paid_total=current.paid_total + amount)  # write
        return "paid"

    def fresh_ledger(i):
        Grant.objects.filter(pk=grant_id).update(paid_total=0)

    return Harness(naive_pay, rounds, before_round=fresh_ledger).run()


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="300 rounds of each scenario")
    parser.add_argument("--rounds", type=int, default=None)
    args = parser.parse_args()
    rounds = args.rounds or (300 if args.quick else 10_000)
    if connection.vendor != "postgresql":
        sys.exit("bench/payment_races.py needs PostgreSQL: set DATABASE_URL=postgres://…")

    import workers.messenger

    workers.messenger.outbox_kick = lambda: None  # the relay is not under test; rows stay in the outbox
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    import tempfile

    private = tempfile.TemporaryDirectory(prefix="hromada-bench-")
    settings.PRIVATE_STORAGE_ROOT = Path(private.name)
    settings.DATABASES["default"].setdefault("TEST", {})["NAME"] = "hromada_bench_payment_races"
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        from grants.agreements.models import Grant
        from grants.disbursement.models import Payment

        programme, people, org = build_world()
        errors = []

        same, same_seconds = scenario_same_tranche(programme, people, org, rounds)
        errors += [o for pair in same for o in pair if o and o.startswith("error")]
        double = sum(1 for a, b in same if a == "paid" and b == "paid")
        unpaid = sum(1 for a, b in same if a != "paid" and b != "paid")
        paid_once = sum(1 for a, b in same if (a == "paid") != (b == "paid"))
        # Counted from the payments themselves (the one-to-one on the tranche forbids it too).
        tranches_with_two = Payment.objects.values("tranche_id").annotate(n=Count("pk")).filter(n__gt=1).count()

        over, over_seconds = scenario_overpay(programme, people, org, rounds)
        errors += [o for pair in over for o in pair if o and o.startswith("error")]
        overpayments = sum(1 for a, b in over if a == "paid" and b == "paid")

        naive, _naive_seconds = scenario_naive(programme, people, org, rounds)
        naive_failures = sum(1 for a, b in naive if a == "paid" and b == "paid")

        mismatched = (
            Grant.objects.exclude(application__call__code="naive")
            .annotate(paid=Sum("payments__amount_programme_currency"))
            .exclude(paid__isnull=True)
            .exclude(paid_total=F("paid"))
            .count()
        )
        above = Grant.objects.filter(paid_total__gt=F("amount_awarded")).count()

        print(f"rounds per scenario: {rounds}")
        print(f"same tranche, paid exactly once: {paid_once}")
        print(f"same tranche, paid by neither: {unpaid}")
        print(f"same tranche, seconds per round: {same_seconds / rounds:.4f}")
        print(f"payments recorded twice for one tranche: {tranches_with_two}")
        print(f"overpayment rounds where both payments went through: {overpayments} in {rounds}")
        print(f"overpayment, seconds per round: {over_seconds / rounds:.4f}")
        print(f"grants paid above the award: {above}")
        print(f"grants whose paid total differs from their payments: {mismatched}")
        print(f"unexpected errors: {len(errors)}")
        for error in errors[:5]:
            print(f"  {error}")
        print(f"naive control failures (overpaid without the lock): {naive_failures} in {rounds}")
        print(f"naive control failure rate: {naive_failures / rounds:.1%}")
        print(f"{double} double payments in {rounds}")
        ok = (
            double == 0
            and unpaid == 0
            and overpayments == 0
            and above == 0
            and mismatched == 0
            and not errors
            and naive_failures > 0
        )
        return 0 if ok else 1
    finally:
        connections.close_all()
        connection.creation.destroy_test_db(old_name, verbosity=0, keepdb=False)
        private.cleanup()


if __name__ == "__main__":
    sys.exit(main())

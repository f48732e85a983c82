"""The scale benchmark's programme: N applications and everything that grows with them.

One programme with two calls of N/2 applications each: "adv" decided (40% awarded, 10% on the
reserve list, the rest rejected; every application reviewed) and "inn" under review (5%
ineligible, 20% still under review, the rest reviewed). Per reviewed application three reviews
with a score and comment per criterion; per award a signed grant with its budget, indicators,
three tranches (40/40/20; the first paid, the second paid for half), payments, an interim and a
final report; N/2 organisations with one member each; reviewers 30 at 1,000, 95 at 10,000, 300
at 100,000 applications; donor reports, export jobs and the manager's notifications in
proportion; and the audit events of all of it, chained by hash exactly as audit/ chains them.
Rows are inserted in bulk (COPY) with their final states: this is benchmark data, not a
workflow test."""

import json
import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone
from djmoney.money import Money
from scaling.copy import insert
from scaling.money import grants_build, history_build

from accounts.models import Membership, Organisation, ProgrammeRole, User
from applications.models import Application, BudgetLine
from applications.review.models import Review, ReviewerProfile, Score
from applications.review.ranking import assessments_refresh
from applications.services.submission import application_content, content_sha256
from audit.chain import event_hash
from audit.models import AuditEvent, AuditHead
from grants.agreements.models import Grant
from grants.calls.form.layout import form_load
from grants.calls.models import CallState, Contribution, Donor, Programme
from grants.disbursement.models import Payment, Tranche
from reporting.data.models import ExportJob
from reporting.donor.models import DonorReport
from reporting.grantee.models import Expenditure, GranteeReport
from tests.factories import call_full
from workers.models import Notification

COUNTRIES = ["UA", "AM", "GE", "MD"]
ORG_TYPES = ["ngo", "association", "media", "think_tank", "network"]
WORDS = [
    "integrity",
    "transparency",
    "procurement",
    "courts",
    "budget",
    "media",
    "youth",
    "anticorruption",
    "openness",
    "data",
]
EUR = Decimal("0.01")


def reviewers_for(n_apps: int) -> int:
    """30 at 1,000 applications, 95 at 10,000, 300 at 100,000 (the pool grows with the programme)."""
    return max(3, round(30 * math.sqrt(n_apps / 1000)))


@dataclass
class World:
    """What the timing needs: who looks, and objects of median size to look at."""

    n_apps: int
    programme: Programme
    decided_call: object
    review_call: object
    users: dict = field(default_factory=dict)  # role -> User
    objects: dict = field(default_factory=dict)  # name -> pk or value
    counts: dict = field(default_factory=dict)  # model label -> rows


class Chain:
    """Audit events appended in bulk: seq, prev_hash and hash as audit.services.audit_record sets them."""

    def __init__(self):
        self.head, _ = AuditHead.objects.get_or_create(pk=1)
        self.seq, self.hash = self.head.seq, self.head.hash
        self.clock = timezone.now() - timedelta(days=400)
        self.events: list[AuditEvent] = []

    def add(self, actor, action, obj, from_state="", to_state="", data=None):
        self.seq += 1
        self.clock += timedelta(milliseconds=7)
        event = AuditEvent(
            seq=self.seq,
            created_at=self.clock,
            actor_id=actor.pk if actor else None,
            actor_label=actor.email if actor else "system",
            action=action,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            from_state=from_state,
            to_state=to_state,
            reason="",
            data=json.loads(json.dumps(data or {}, default=str)),
            prev_hash=self.hash,
        )
        event.hash = self.hash = event_hash(self.hash, event)
        self.events.append(event)

    def flush(self):
        insert(AuditEvent, self.events, batch_size=10000)
        AuditHead.objects.filter(pk=1).update(seq=self.seq, hash=self.hash)
        self.events = []


def build(n_apps: int, seed: int = 14) -> World:
    with transaction.atomic():
        return _build(max(4, n_apps), random.Random(seed))


def _build(n: int, rng: random.Random) -> World:
    now = timezone.now()
    half = n // 2
    programme = Programme.objects.create(
        code="bench",
        title="EU for Integrity (scale benchmark)",
        budget=Money(Decimal(n * 200000), "EUR"),
        starts_on=date(2020, 5, 1),
        ends_on=date(2030, 8, 30),
        countries=COUNTRIES,
    )
    donor = Donor.objects.create(name="European Union", identifier="XI-IATI-EC_NEAR")
    Contribution.objects.create(donor=donor, programme=programme, amount=Money(Decimal(n * 200000), "EUR"))
    envelope = str(n * 60000)
    decided = call_full(programme, code="adv", state=CallState.DECIDED, envelope=envelope, title="Advocacy grants")
    review = call_full(programme, code="inn", state=CallState.REVIEWING, envelope=envelope, title="Innovation grants")
    Programme.objects.filter(pk=programme.pk).update(envelopes_total=Decimal(envelope) * 2)
    past = now - timedelta(days=60)
    for call in (decided, review):
        type(call).objects.filter(pk=call.pk).update(opens_at=past - timedelta(days=60), deadline=past)
        call.refresh_from_db()

    staff = {
        role: User.objects.create_user(email=f"{role}@bench.example.org", password=None, full_name=f"Bench {role}")
        for role in ("manager", "finance", "donor")
    }
    for role, user in staff.items():
        ProgrammeRole.objects.create(user=user, programme=programme, role=role)
    manager, finance = staff["manager"], staff["finance"]
    n_reviewers = reviewers_for(n)
    reviewers = insert(
        User,
        [
            User(email=f"reviewer{i}@bench.example.org", password="!", full_name=f"Reviewer {i}")
            for i in range(n_reviewers)
        ],
    )
    insert(ProgrammeRole, [ProgrammeRole(user=r, programme=programme, role="reviewer") for r in reviewers])
    insert(
        ReviewerProfile,
        [
            ReviewerProfile(user=r, expertise=[WORDS[i % 10]], languages=["en", "uk"], countries=[COUNTRIES[i % 4]])
            for i, r in enumerate(reviewers)
        ],
    )
    n_orgs = max(2, half)
    members = insert(
        User,
        [User(email=f"member{i}@cso.bench.example.org", password="!", full_name=f"Member {i}") for i in range(n_orgs)],
    )
    orgs = insert(
        Organisation,
        [
            Organisation(
                legal_name=f"Civic {WORDS[i % 10]} organisation {i}",
                country=COUNTRIES[i % 4],
                org_type=ORG_TYPES[i % 5],
                registration_id=f"UA-EDR-{40000000 + i}",
            )
            for i in range(n_orgs)
        ],
    )
    insert(Membership, [Membership(organisation=o, user=u, role="owner") for o, u in zip(orgs, members)])

    chain = Chain()
    apps, states = [], []
    for call, count in ((decided, half), (review, n - half)):
        questions = list(call.questions.order_by("position"))
        for i in range(count):
            if call is decided:
                state = "awarded" if i % 10 < 4 else ("reserve" if i % 10 == 4 else "rejected")
            else:
                state = "ineligible" if i % 20 == 0 else ("under_review" if i % 20 < 5 else "reviewed")
            requested = Decimal(rng.randrange(10, 61) * 1000)
            app = Application(
                call=call,
                organisation=orgs[i % n_orgs],
                created_by=members[i % n_orgs],
                title=f"{WORDS[i % 10].capitalize()} project {i}",
                summary=f"What we will do about {WORDS[(i * 7) % 10]} and why. " * 4,
                answers={str(q.pk): f"An answer about {WORDS[(i + q.pk) % 10]}. " * 10 for q in questions},
                requested_amount=requested,
                cofinancing_amount=Decimal("2500"),
                duration_months=12,
                state=state,
                reference=f"{call.code.upper()}-{i + 1:06d}",
                submitted_at=past - timedelta(minutes=i % 5000),
                awarded_amount=requested if state == "awarded" else None,
                decided_at=past + timedelta(days=30) if call is decided else None,
                ineligibility_reason="Not a registered civil-society organisation." if state == "ineligible" else "",
            )
            apps.append(app)
            states.append((call, state))
    insert(Application, apps)
    headings = {c.pk: {h.pk: h for h in c.budget_headings.all()} for c in (decided, review)}
    forms = {c.pk: form_load(c.pk) for c in (decided, review)}
    lines, lines_of = [], {}
    for app, (call, _state) in zip(apps, states):
        hs = sorted(headings[call.pk].values(), key=lambda h: h.position)
        staff_cost = (app.requested_amount * Decimal("0.6") / 12).quantize(EUR)
        own = [
            BudgetLine(
                application=app,
                heading=hs[0],
                position=1,
                description="Project lead",
                units=Decimal(12),
                unit_cost=staff_cost,
            ),
            BudgetLine(
                application=app,
                heading=hs[1],
                position=2,
                description="Trips to the regions",
                units=Decimal(10),
                unit_cost=Decimal(1000),
            ),
            BudgetLine(
                application=app,
                heading=hs[3],
                position=3,
                description="Indirect costs",
                units=Decimal(1),
                unit_cost=Decimal(1500),
            ),
        ]
        for line in own:
            line.total = (line.units * line.unit_cost).quantize(EUR)
        lines_of[app.pk] = own
        lines.extend(own)
    insert(BudgetLine, lines)
    # The content as submitted and its receipt, computed by the submission service's own function.
    with connection.cursor() as cursor:
        rows = []
        for app, (call, _state) in zip(apps, states):
            content = application_content(
                app,
                call=call,
                organisation=app.organisation,
                form=forms[call.pk],
                headings=headings[call.pk],
                lines=lines_of[app.pk],
                attachments=[],
            )
            app.submitted_content, app.receipt_sha256 = content, content_sha256(content)
            rows.append((json.dumps(content, default=str), app.receipt_sha256, app.pk))
        cursor.execute("CREATE TEMP TABLE bench_receipts (content jsonb, sha text, id bigint) ON COMMIT DROP")
        with cursor.cursor.copy("COPY bench_receipts (content, sha, id) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cursor.execute(
            "UPDATE applications_application a SET submitted_content = r.content, receipt_sha256 = r.sha "
            "FROM bench_receipts r WHERE a.id = r.id"
        )

    # Reviews: three per application past screening, a score and a comment per criterion.
    criteria = {c.pk: list(c.criteria.order_by("position")) for c in (decided, review)}
    reviews, scores_of = [], []
    k = 0
    for app, (call, state) in zip(apps, states):
        chain.add(app.created_by, "submit", app, "draft", "submitted", {"reference": app.reference})
        if state == "ineligible":
            chain.add(manager, "mark_ineligible", app, "submitted", "ineligible")
            continue
        chain.add(manager, "mark_eligible", app, "submitted", "eligible")
        chain.add(manager, "start_review", app, "eligible", "under_review")
        base = rng.randrange(4, 10) / 2
        for j in range(3):
            submitted = not (state == "under_review" and j == 2)
            values = {
                c.pk: Decimal(str(min(5.0, max(0.0, base + rng.choice((-1, -0.5, 0, 0.5, 1))))))
                for c in criteria[call.pk]
            }
            weighted = sum((values[c.pk] * c.weight for c in criteria[call.pk]), Decimal(0))
            reviews.append(
                Review(
                    application=app,
                    reviewer=reviewers[(k * 3 + j) % n_reviewers],
                    assigned_by=manager,
                    due_at=past + timedelta(days=14),
                    declared_at=past + timedelta(days=1),
                    recommendation="fund" if base >= 3 else "do_not_fund",
                    overall_comment="A clear, feasible proposal with a credible team." if submitted else "",
                    weighted_total=weighted if submitted else None,
                    submitted_at=past + timedelta(days=10) if submitted else None,
                    state="submitted" if submitted else "accepted",
                )
            )
            scores_of.append(values if submitted else {})
        k += 1
        if state != "under_review":
            chain.add(manager, "complete_review", app, "under_review", "reviewed")
        if state in ("awarded", "reserve", "rejected"):
            action = {"awarded": "award", "reserve": "put_on_reserve", "rejected": "reject"}[state]
            chain.add(manager, action, app, "reviewed", state, {"amount": app.awarded_amount})
    insert(Review, reviews)
    scores = [
        Score(review=r, criterion_id=cid, score=v, comment="The criterion is met; details in the annex, section two.")
        for r, values in zip(reviews, scores_of)
        for cid, v in values.items()
    ]
    insert(Score, scores)
    # Reviews inserted past the review services: store each application's assessment as the
    # services would have (the ranking would otherwise compute them on its first request).
    for call in (decided, review):
        assessments_refresh(call)
    for r in reviews:
        if r.state == "submitted":
            chain.add(r.reviewer, "submit", r, "accepted", "submitted", {"weighted_total": r.weighted_total})
    awarded_total = sum((a.awarded_amount for a in apps if a.awarded_amount), Decimal(0))
    type(decided).objects.filter(pk=decided.pk).update(awarded_total=awarded_total)

    world = World(n, programme, decided, review, users={**staff, "reviewer": reviewers[n_reviewers // 2]})
    grants_build(world, chain, [a for a in apps if a.state == "awarded"], headings[decided.pk], manager, finance, past)
    history_build(world, chain, manager, n, now)
    chain.flush()

    awarded = [a for a in apps if a.state == "awarded"]
    middle = awarded[len(awarded) // 2]
    in_review = [a for a, (call, s) in zip(apps, states) if call is review and s == "reviewed"]
    world.users["applicant"] = middle.created_by
    world.objects.update(
        application=middle.pk,
        organisation=middle.organisation_id,
        review_application=in_review[len(in_review) // 2].pk,
    )
    reviewer = world.users["reviewer"]
    own = [r for r in reviews if r.reviewer_id == reviewer.pk and r.state == "submitted"]
    world.objects["review"] = own[len(own) // 2].pk
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    for model in (
        User,
        Organisation,
        Application,
        BudgetLine,
        Review,
        Score,
        Grant,
        Tranche,
        Payment,
        GranteeReport,
        Expenditure,
        DonorReport,
        ExportJob,
        Notification,
        AuditEvent,
    ):
        world.counts[model._meta.label] = model.objects.count()
    return world

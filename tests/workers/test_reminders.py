"""The reminder sweep: who is told about what, when, in which language, how (preferences), and
that a repeated sweep writes and sends nothing more."""

from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import Membership, ProgrammeRole
from applications.models import ApplicationState
from grants.calls.models import CallState
from tests.factories import application_in_state, call_full
from tests.workers.builders import grant_active, report_scheduled, review_assigned, tranche_approved
from workers.models import Delivery, Notification, NotificationPreference
from workers.outbox import outbox_relay_all
from workers.reminders import REMINDERS, reminders_sweep
from workers.rendering import when_format

PREFIX = "[Hromada] "


@pytest.fixture
def applicants(make_user, make_org):
    owner = make_user(email="olena@example.org", language="uk")
    org = make_org(owner)
    member = make_user(email="anna@example.org", language="hy")
    Membership.objects.create(organisation=org, user=member)
    return org, owner, member


REMINDER_SUBJECT = "Reminder: submit your application to %(call)s by %(deadline)s"


def call_due_in(programme, delta, code="adv"):
    deadline = timezone.now() + delta
    return call_full(
        programme,
        code=code,
        deadline=deadline,
        opens_at=deadline - timedelta(days=60),
        title="Advocacy grants",
        title_uk="Гранти на адвокацію",
        title_hy="Փաստաբանական դրամաշնորհներ",
        title_ka="ადვოკატირების გრანტები",
        title_ro="Granturi de advocacy",
        title_az="Təbliğat qrantları",
        title_ru="Гранты на адвокацию",
    )


def reminders(kind=None):
    qs = Notification.objects.filter(kind__startswith="reminder_")
    return qs.filter(kind=kind) if kind else qs


def test_sweep_twice_writes_and_sends_one_reminder_per_person(programme, applicants):
    org, owner, member = applicants
    call = call_due_in(programme, timedelta(days=6, hours=20))
    app = application_in_state(call, org, owner)

    first = reminders_sweep(kick=False)
    second = reminders_sweep(kick=False)

    assert first["reminder_application_deadline:d-7"] == 2
    assert sum(second.values()) == 0
    rows = list(reminders().order_by("email"))
    day = timezone.localdate(call.deadline).isoformat()
    assert [(n.email, n.object_id, n.key, n.language) for n in rows] == [
        ("anna@example.org", str(app.pk), f"{day}:d-7", "hy"),
        ("olena@example.org", str(app.pk), f"{day}:d-7", "uk"),
    ]

    assert outbox_relay_all() == 2
    reminders_sweep(kick=False)
    assert outbox_relay_all() == 0
    assert sorted(m.to[0] for m in mail.outbox) == ["anna@example.org", "olena@example.org"]


@pytest.mark.parametrize(
    "until_deadline, expected",
    [
        (timedelta(days=10), None),
        (timedelta(days=6, hours=23), "d-7"),
        (timedelta(days=1, hours=2), "d-7"),
        (timedelta(hours=20), "d-1"),
        (timedelta(minutes=5), "d-1"),
    ],
)
def test_deadline_reminder_windows(programme, applicants, until_deadline, expected):
    org, owner, _ = applicants
    call = call_due_in(programme, until_deadline)
    application_in_state(call, org, owner)

    reminders_sweep(kick=False)

    labels = {n.key.split(":")[1] for n in reminders()}
    assert labels == ({expected} if expected else set())


def test_only_drafts_of_open_calls_and_active_people_are_reminded(programme, applicants, make_user, make_org):
    org, owner, member = applicants
    call = call_due_in(programme, timedelta(hours=20))
    application_in_state(call, org, owner, state=ApplicationState.SUBMITTED)
    closed = call_full(programme, code="closed", state=CallState.CLOSED, deadline=timezone.now() + timedelta(hours=20))
    other_owner = make_user(email="gone@example.org", is_active=False)
    application_in_state(closed, make_org(other_owner), other_owner)
    application_in_state(call, make_org(other_owner), other_owner)

    reminders_sweep(kick=False)

    assert reminders().count() == 0


def test_an_individual_extension_moves_the_reminders(programme, applicants):
    org, owner, member = applicants
    call = call_due_in(programme, timedelta(hours=20))
    extended = timezone.now() + timedelta(days=5)
    application_in_state(call, org, owner, deadline_extended_to=extended)

    reminders_sweep(kick=False)

    assert {n.key for n in reminders()} == {f"{timezone.localdate(extended).isoformat()}:d-7"}


@pytest.mark.parametrize("language", ["en", "uk", "hy", "ka", "ro", "az", "ru"])
def test_deadline_reminder_is_written_in_the_recipients_language(programme, make_user, make_org, language):
    person = make_user(email=f"{language}@example.org", language=language)
    call = call_due_in(programme, timedelta(days=3))
    application_in_state(call, make_org(person), person, title="Open budgets in Lviv")

    reminders_sweep(kick=False)
    outbox_relay_all()

    [message] = mail.outbox
    with translation.override(language):
        title = getattr(call, f"title_{language}")
        wording = gettext(REMINDER_SUBJECT)
        expected = wording % {"call": title, "deadline": when_format(call.deadline.isoformat())}
    assert language == "en" or wording != REMINDER_SUBJECT  # the recipient's language, not English
    assert message.subject == PREFIX + expected
    assert title in message.subject and title in message.body
    assert message.extra_headers["Content-Language"] == language


def test_digest_preference_holds_the_reminder_for_the_daily_digest(programme, make_user, make_org):
    from workers.digest import digest_collect

    person = make_user(email="digest@example.org")
    NotificationPreference.objects.create(user=person, kind="reminder_application_deadline", mode=Delivery.DIGEST)
    call = call_due_in(programme, timedelta(days=3))
    application_in_state(call, make_org(person), person)

    reminders_sweep(kick=False)
    assert outbox_relay_all() == 0  # not sent at once
    n = reminders().get()
    assert n.delivery == Delivery.DIGEST and n.sent_at is None

    assert digest_collect() == 1
    assert digest_collect() == 0  # the day's digest is written once
    assert outbox_relay_all() == 1
    [message] = mail.outbox
    assert "digest" in message.subject.lower()
    assert "Advocacy grants" in message.body
    n.refresh_from_db()
    assert n.sent_at is not None and n.digest.kind == "daily_digest" and n.digest.sent_at is not None


def test_off_preference_keeps_the_reminder_in_the_app_only(programme, make_user, make_org, client):
    person = make_user(email="quiet@example.org")
    NotificationPreference.objects.create(user=person, kind="reminder_application_deadline", mode=Delivery.OFF)
    call = call_due_in(programme, timedelta(days=3))
    application_in_state(call, make_org(person), person)

    reminders_sweep(kick=False)
    assert outbox_relay_all() == 0
    assert mail.outbox == []
    assert reminders().get().delivery == Delivery.OFF

    client.force_login(person)
    page = client.get("/notifications/").content.decode()
    assert "Reminder: submit your application to Advocacy grants" in page


def test_review_reminders_before_and_after_the_due_date(programme, applicants, make_user):
    org, owner, _ = applicants
    call = call_due_in(programme, timedelta(days=-20))
    app = application_in_state(call, org, owner, state=ApplicationState.UNDER_REVIEW)
    soon, late, done = (make_user(email=f"{n}@example.org") for n in ("soon", "late", "done"))
    review_assigned(app, soon, due_at=timezone.now() + timedelta(days=2), accept=True)
    review_assigned(app, late, due_at=timezone.now() - timedelta(hours=1))
    finished = review_assigned(app, done, due_at=timezone.now() + timedelta(days=1), accept=True)
    finished.submit()
    finished.save()

    reminders_sweep(kick=False)
    outbox_relay_all()

    rows = {n.email: n.key.split(":")[1] for n in reminders("reminder_review_due")}
    assert rows == {"soon@example.org": "d-3", "late@example.org": "overdue"}
    subjects = {m.to[0]: m.subject for m in mail.outbox}
    assert subjects["soon@example.org"].startswith(PREFIX + "Reminder: your review of")
    assert subjects["late@example.org"].startswith(PREFIX + "Overdue: your review of")


def test_report_reminders_14_and_3_days_before_and_overdue(programme, applicants):
    org, owner, member = applicants
    call = call_due_in(programme, timedelta(days=-100))
    grant = grant_active(call, org, owner)
    today = timezone.localdate()
    report_scheduled(grant, due_on=today + timedelta(days=10))
    report_scheduled(grant, due_on=today + timedelta(days=2), kind="final")
    report_scheduled(grant, due_on=today - timedelta(days=1))
    report_scheduled(grant, due_on=today + timedelta(days=20))

    reminders_sweep(kick=False)

    labels = sorted(n.key.split(":")[1] for n in reminders("reminder_report_due").filter(email=owner.email))
    assert labels == ["d-14", "d-3", "overdue"]
    assert reminders("reminder_report_due").count() == 6  # both members
    outbox_relay_all()
    with translation.override(owner.language):
        expected = gettext("Overdue: the %(report)s for grant %(grant)s was due on %(due)s") % {
            "report": gettext("interim report"),
            "grant": grant.number,
            "due": when_format((today - timedelta(days=1)).isoformat()),
        }
    assert PREFIX + expected in [m.subject for m in mail.outbox if m.to == [owner.email]]


def test_finance_officers_hear_of_tranches_approved_and_unpaid_for_five_days(
    programme, applicants, make_user, grant_role
):
    org, owner, _ = applicants
    finance = grant_role(make_user(email="finance@example.org"), programme, ProgrammeRole.Role.FINANCE)
    manager = grant_role(make_user(email="manager@example.org"), programme, ProgrammeRole.Role.MANAGER)
    call = call_due_in(programme, timedelta(days=-100))
    grant = grant_active(call, org, owner)
    tranche_approved(grant, manager, approved_at=timezone.now() - timedelta(days=6), position=1)
    tranche_approved(grant, manager, approved_at=timezone.now() - timedelta(days=2), position=2)

    reminders_sweep(kick=False)

    [n] = reminders("reminder_tranche_unpaid")
    assert n.email == finance.email and n.context["tranche"] == 1 and n.context["path"] == f"/grants/{grant.pk}/"


def test_clarification_reminder_two_days_before_it_is_due(programme, applicants):
    org, owner, member = applicants
    call = call_due_in(programme, timedelta(days=-5))
    due = timezone.now() + timedelta(days=1)
    app = application_in_state(call, org, owner, state=ApplicationState.CLARIFICATION_REQUESTED, clarification_due=due)

    reminders_sweep(kick=False)

    rows = reminders("reminder_clarification_due")
    assert {n.email for n in rows} == {owner.email, member.email}
    assert {n.context["path"] for n in rows} == {f"/applications/{app.pk}/clarification/"}


def test_sweep_runs_a_constant_number_of_queries(programme, make_user, make_org):
    call = call_due_in(programme, timedelta(days=3))

    def sweep_queries():
        with CaptureQueriesContext(connection) as ctx:
            reminders_sweep(kick=False)
        return len(ctx.captured_queries)

    for i in range(3):
        person = make_user()
        application_in_state(call, make_org(person), person)
    small = sweep_queries()
    Notification.objects.all().delete()
    for i in range(30):
        person = make_user()
        application_in_state(call, make_org(person), person)
    large = sweep_queries()
    assert reminders().count() == 33
    assert small == large <= 2 * sum(len(list(r.windows())) for r in REMINDERS) + 3

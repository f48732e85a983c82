"""config.hotpath reads and writes rows with SQL written once per model; what it returns and
writes must be exactly what the ORM returns and writes (the same types, the same Decimal places,
the same aware datetimes, the same JSON), on SQLite and on PostgreSQL alike.

Values are compared by type and repr, not only by ==: Decimal("12345.5") == Decimal("12345.50")
and an aware datetime equals the same instant in another zone, but the ORM gives one exact form."""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import Membership, ProgrammeRole, User
from accounts.roles import organisation_roles, programme_ids
from applications import services
from applications.models import Application, ApplicationState
from applications.services import AUTOSAVE_FIELDS
from core.errors import TransitionRefused
from config import hotpath
from grants.calls.models import Call
from tests.factories import call_full

KYIV = ZoneInfo("Europe/Kyiv")
YEREVAN = ZoneInfo("Asia/Yerevan")
JOINED = {"call": ["deadline"]}

ANSWERS = {"1": "Громада відповідає: «так», і ще раз — так!\nДругий рядок.",
           "2": "Պատասխան հայերեն՝ «այո»։",
           "3": 'Quotes " and \\ backslashes, tab\tand emoji 🌻'}


def exact(value):
    """What distinguishes two values the ORM would never confuse: their type and exact form."""
    return type(value), repr(value)


def loaded(instance) -> dict:
    """The concrete field values actually loaded on `instance` (deferred ones are left out, and
    reading them here does not load them)."""
    return {f.attname: instance.__dict__[f.attname] for f in type(instance)._meta.concrete_fields
            if f.attname in instance.__dict__}


def assert_same_instance(hot, orm):
    assert type(hot) is type(orm)
    assert hot.get_deferred_fields() == orm.get_deferred_fields()
    assert (hot._state.db, hot._state.adding) == (orm._state.db, orm._state.adding) == ("default", False)
    hot_values, orm_values = loaded(hot), loaded(orm)
    assert hot_values.keys() == orm_values.keys()
    for name, value in orm_values.items():
        assert exact(hot_values[name]) == exact(value), name


def exact_rows(rows) -> list:
    """Rows of values_list() in their exact forms, in a stable order (the queries have none)."""
    return sorted((tuple(map(exact, row)) for row in rows), key=repr)


def read_deferred(instance, name) -> tuple:
    """A deferred field's value (exact form) and how many queries reading it took."""
    with CaptureQueriesContext(connection) as queries:
        value = getattr(instance, name)
    assert queries.captured_queries, f"{name} was not deferred"
    return exact(value), len(queries.captured_queries)


def missing_pk(model) -> int:
    return (model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1000


@pytest.fixture
def applicant(make_user):
    user = make_user(email="olena@example.org")
    user.full_name = "Олена Коваленко"
    user.save(update_fields=["full_name"])
    return user


@pytest.fixture
def org(applicant, make_org):
    return make_org(applicant, country="UA", legal_name="Центр А")


@pytest.fixture
def call(programme):
    return call_full(programme, code="hot-2026")


@pytest.fixture
def draft(applicant, org, call):
    app, _ = services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)
    return app


# --- instance_get: the logged-in user --------------------------------------------------------

def test_user_read_by_sql_equals_the_orm_field_by_field(applicant):
    last_login = datetime(2026, 3, 14, 9, 26, 53, 589793, tzinfo=KYIV)
    User.objects.filter(pk=applicant.pk).update(last_login=last_login, is_staff=True, language="uk")

    hot = hotpath.instance_get(User, applicant.pk)
    orm = User.objects.get(pk=applicant.pk)

    assert_same_instance(hot, orm)
    assert hot.get_deferred_fields() == set()  # every concrete field, none loaded later
    assert loaded(hot).keys() == {f.attname for f in User._meta.concrete_fields}
    assert hot.last_login == last_login and timezone.is_aware(hot.last_login)
    assert timezone.is_aware(hot.date_joined) and hot.date_joined == applicant.date_joined
    assert (hot.full_name, hot.language, hot.is_staff, hot.is_active) == ("Олена Коваленко", "uk", True, True)
    assert hot.check_password("correct-horse-battery")
    assert hot.get_session_auth_hash() == orm.get_session_auth_hash()


def test_user_read_of_a_user_who_never_logged_in_keeps_last_login_none(applicant):
    hot = hotpath.instance_get(User, applicant.pk)
    assert hot.last_login is None
    assert_same_instance(hot, User.objects.get(pk=applicant.pk))


def test_user_read_for_a_missing_pk_is_none(applicant):
    assert hotpath.instance_get(User, missing_pk(User)) is None


def test_user_read_of_some_fields_defers_the_others_as_only_does(applicant, django_assert_num_queries):
    hot = hotpath.instance_get(User, applicant.pk, fields=["email"])
    orm = User.objects.only("email").get(pk=applicant.pk)

    assert_same_instance(hot, orm)
    assert "full_name" in hot.get_deferred_fields()
    with django_assert_num_queries(1):
        assert hot.full_name == "Олена Коваленко"
    assert "full_name" not in hot.get_deferred_fields()


# --- instance_get_joined: the draft an autosave reads --------------------------------------

FILLED = {"title": "Прозорі закупівлі в п'яти областях", "summary": "Ми стежимо за тендерами.\nУсе.",
          "requested_amount": Decimal("12345.5"), "cofinancing_amount": Decimal("250"), "duration_months": 18,
          "answers": ANSWERS,
          "deadline_extended_to": datetime(2026, 11, 30, 23, 59, 59, 999999, tzinfo=YEREVAN)}
EMPTY = {"title": "", "summary": "", "requested_amount": None, "cofinancing_amount": Decimal("0"),
         "duration_months": None, "answers": {}, "deadline_extended_to": None}


@pytest.mark.parametrize("values", [FILLED, EMPTY], ids=["filled", "empty"])
def test_draft_read_with_the_calls_deadline_equals_the_orm(draft, values):
    Application.objects.filter(pk=draft.pk).update(**values)

    hot, joined = hotpath.instance_get_joined(Application, draft.pk, fields=AUTOSAVE_FIELDS, joined=JOINED)
    orm = Application.objects.only(*AUTOSAVE_FIELDS).get(pk=draft.pk)

    assert_same_instance(hot, orm)
    for name, value in values.items():
        assert getattr(hot, name) == value, name
    assert exact(joined["call__deadline"]) == exact(Call.objects.get(pk=draft.call_id).deadline)
    assert joined["call__deadline"] == hot.call.deadline


def test_draft_amounts_have_two_decimal_places_and_datetimes_are_aware(draft):
    Application.objects.filter(pk=draft.pk).update(**FILLED)

    hot, joined = hotpath.instance_get_joined(Application, draft.pk, fields=AUTOSAVE_FIELDS, joined=JOINED)

    assert str(hot.requested_amount) == "12345.50" and str(hot.cofinancing_amount) == "250.00"
    assert isinstance(hot.duration_months, int)
    assert hot.answers == ANSWERS and isinstance(hot.answers, dict)
    for value in (hot.deadline_extended_to, hot.updated_at, joined["call__deadline"]):
        assert isinstance(value, datetime) and timezone.is_aware(value)
    assert hot.deadline_extended_to == FILLED["deadline_extended_to"]
    assert hot.state == ApplicationState.DRAFT and hot.version == 1


def test_draft_field_not_read_by_the_autosave_query_loads_on_access_as_with_only(draft, applicant):
    Application.objects.filter(pk=draft.pk).update(clarification_question="Чому саме ці області?",
                                                   decided_at=datetime(2026, 1, 2, 3, 4, 5, tzinfo=KYIV))

    hot, _joined = hotpath.instance_get_joined(Application, draft.pk, fields=AUTOSAVE_FIELDS, joined=JOINED)
    orm = Application.objects.only(*AUTOSAVE_FIELDS).get(pk=draft.pk)

    assert {"clarification_question", "created_by_id", "decided_at"} <= hot.get_deferred_fields()
    for name in ("clarification_question", "decided_at", "created_by_id"):
        assert read_deferred(hot, name) == read_deferred(orm, name), name
        assert name not in hot.get_deferred_fields()
    assert hot.clarification_question == "Чому саме ці області?" and hot.created_by_id == applicant.pk


def test_draft_read_for_a_missing_pk_is_none_and_none(draft):
    assert hotpath.instance_get_joined(Application, missing_pk(Application), fields=AUTOSAVE_FIELDS,
                                       joined=JOINED) == (None, None)


# --- values_list: memberships and programme roles --------------------------------------------

def test_membership_values_equal_the_orm_values_list(applicant, org, make_user, make_org):
    other = make_user(email="armen@example.org")
    second = make_org(other, country="AM", legal_name="Կենտրոն Բ")
    Membership.objects.create(organisation=second, user=applicant, role=Membership.Role.MEMBER)
    make_org(other, country="GE", legal_name="Not hers")

    hot = hotpath.values_list(Membership, ("organisation", "role"), user=applicant.pk)
    orm = list(Membership.objects.filter(user=applicant.pk).values_list("organisation", "role"))

    assert len(hot) == len(orm) == 2
    assert set(hot) == set(orm) == {(org.pk, "owner"), (second.pk, "member")}
    assert exact_rows(hot) == exact_rows(orm)
    assert organisation_roles(User.objects.get(pk=applicant.pk)) == dict(orm)


def test_membership_dates_read_by_sql_equal_the_orm(applicant, org):
    hot = hotpath.values_list(Membership, ("organisation", "joined_at"), user=applicant.pk)
    orm = list(Membership.objects.filter(user=applicant.pk).values_list("organisation", "joined_at"))
    assert exact_rows(hot) == exact_rows(orm)
    assert timezone.is_aware(hot[0][1])


def test_user_without_memberships_or_roles_reads_nothing(make_user):
    loner = make_user(email="loner@example.org")
    assert hotpath.values_list(Membership, ("organisation", "role"), user=loner.pk) == []
    assert organisation_roles(loner) == {} and programme_ids(loner) == frozenset()


def test_programme_roles_equal_the_orm(make_user, programme, grant_role):
    from grants.calls.models import Programme

    person = make_user(email="manager@example.org")
    later = Programme.objects.create(code="eu4d", title="EU for Democracy", budget=programme.budget,
                                     starts_on=programme.starts_on, ends_on=programme.ends_on, countries=["GE"])
    grant_role(person, programme, ProgrammeRole.Role.MANAGER)
    grant_role(person, later, ProgrammeRole.Role.MANAGER)
    grant_role(person, later, ProgrammeRole.Role.REVIEWER)
    grant_role(make_user(email="someone@example.org"), programme, ProgrammeRole.Role.FINANCE)

    hot = hotpath.values_list(ProgrammeRole, ("role", "programme"), user=person.pk)
    orm = list(ProgrammeRole.objects.filter(user=person.pk).values_list("role", "programme"))

    assert set(hot) == set(orm) and len(hot) == len(orm) == 3
    assert exact_rows(hot) == exact_rows(orm)
    fresh = User.objects.get(pk=person.pk)
    assert programme_ids(fresh, ProgrammeRole.Role.MANAGER) == {programme.pk, later.pk}
    assert programme_ids(fresh, ProgrammeRole.Role.REVIEWER) == {later.pk}
    assert programme_ids(fresh, ProgrammeRole.Role.FINANCE) == frozenset()


# --- row_update: the autosave's compare-and-set ----------------------------------------------

def orm_row(app) -> dict:
    return loaded(Application.objects.get(pk=app.pk))


def test_row_update_with_a_stale_version_writes_nothing(draft):
    before = orm_row(draft)
    written = hotpath.row_update(Application, draft.pk, where={"version": draft.version + 1, "state": ApplicationState.DRAFT},
                                 values={"version": draft.version + 2, "title": "Lost?", "answers": ANSWERS,
                                         "requested_amount": Decimal("1.5"), "updated_at": timezone.now()})
    assert written == 0
    assert {k: exact(v) for k, v in orm_row(draft).items()} == {k: exact(v) for k, v in before.items()}


def test_row_update_of_an_application_no_longer_a_draft_writes_nothing(draft):
    Application.objects.filter(pk=draft.pk).update(state=ApplicationState.SUBMITTED)
    written = hotpath.row_update(Application, draft.pk, where={"version": draft.version, "state": ApplicationState.DRAFT},
                                 values={"version": draft.version + 1, "title": "Too late"})
    assert written == 0
    assert Application.objects.get(pk=draft.pk).title == ""


def test_row_update_when_the_version_matches_writes_what_the_orm_reads_back(draft):
    now = timezone.now()
    extended = datetime(2027, 2, 28, 18, 0, 0, 123456, tzinfo=KYIV)
    answers = {**ANSWERS, "hy": ANSWERS["2"]}
    written = hotpath.row_update(
        Application, draft.pk, where={"version": draft.version, "state": ApplicationState.DRAFT},
        values={"version": draft.version + 1, "updated_at": now, "title": "Громада", "requested_amount": Decimal("40000.5"),
                "cofinancing_amount": Decimal("0.1"), "duration_months": 24, "answers": answers,
                "deadline_extended_to": extended})
    assert written == 1

    app = Application.objects.get(pk=draft.pk)
    assert app.version == draft.version + 1 and app.title == "Громада"
    assert exact(app.requested_amount) == exact(Decimal("40000.50"))
    assert exact(app.cofinancing_amount) == exact(Decimal("0.10"))
    assert app.duration_months == 24
    assert app.answers == answers
    assert app.updated_at == now and app.deadline_extended_to == extended and timezone.is_aware(app.updated_at)
    # Stored as a JSON object, not as a JSON string holding one: the ORM's key lookups find it.
    assert Application.objects.filter(pk=draft.pk, answers__hy=ANSWERS["2"]).exists()
    assert Application.objects.filter(pk=draft.pk, requested_amount=Decimal("40000.50")).exists()


def test_row_update_stores_the_same_column_values_as_the_orms_update(applicant, org, make_org, call):
    """Two drafts get the same values, one by row_update and one by QuerySet.update(): the
    columns as the database holds them are identical (JSON text, decimals, timestamps)."""
    other_org = make_org(applicant, country="MD", legal_name="Centre C")
    first, _ = services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)
    second, _ = services.application_start(actor=applicant, call_id=call.pk, organisation_id=other_org.pk)
    values = {"version": 2, "updated_at": timezone.now(), "title": "Ґрант", "requested_amount": Decimal("777.7"),
              "cofinancing_amount": Decimal("3"), "answers": ANSWERS,
              "deadline_extended_to": datetime(2026, 7, 1, 12, 30, tzinfo=YEREVAN)}

    assert hotpath.row_update(Application, first.pk, where={"version": 1}, values=values) == 1
    assert Application.objects.filter(pk=second.pk, version=1).update(**values) == 1

    names = list(values)
    quote = connection.ops.quote_name
    columns = ", ".join(quote(Application._meta.get_field(name).column) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {quote(Application._meta.db_table)} WHERE id = %s", [first.pk])
        by_hotpath = cursor.fetchone()
        cursor.execute(f"SELECT {columns} FROM {quote(Application._meta.db_table)} WHERE id = %s", [second.pk])
        by_orm = cursor.fetchone()
    assert dict(zip(names, map(exact, by_hotpath))) == dict(zip(names, map(exact, by_orm)))


# --- the autosave service on top of them -----------------------------------------------------

def test_autosave_writes_text_the_orm_reads_back(applicant, draft):
    question = draft.call.questions.order_by("position").first()
    result = services.application_autosave(
        actor=applicant, application_id=draft.pk, version=draft.version,
        fields={"title": "Чесні тендери", "requested_amount": "40000.5", "cofinancing_amount": "2500",
                services.question_field(question.pk): ANSWERS["2"]})
    assert not result.conflicts and not result.errors

    app = Application.objects.get(pk=draft.pk)
    assert result.version == app.version == 2
    assert result.saved_at == app.updated_at
    assert exact(app.requested_amount) == exact(Decimal("40000.50"))
    assert app.answers == {str(question.pk): ANSWERS["2"]}
    assert app.title == "Чесні тендери"


def test_autosave_after_the_calls_deadline_is_refused_unless_the_draft_was_given_more_time(applicant, draft):
    now = timezone.now()
    Call.objects.filter(pk=draft.call_id).update(deadline=now - timedelta(minutes=5))
    Application.objects.filter(pk=draft.pk).update(deadline_extended_to=now - timedelta(minutes=1))
    with pytest.raises(TransitionRefused):
        services.application_autosave(actor=applicant, application_id=draft.pk, version=1, fields={"title": "late"})
    assert Application.objects.get(pk=draft.pk).title == ""

    Application.objects.filter(pk=draft.pk).update(deadline_extended_to=now + timedelta(hours=1))
    result = services.application_autosave(actor=applicant, application_id=draft.pk, version=1, fields={"title": "in time"})
    assert result.applied == ["title"] and Application.objects.get(pk=draft.pk).title == "in time"


def test_autosave_before_the_calls_deadline_is_accepted_even_with_a_past_extension(applicant, draft):
    Application.objects.filter(pk=draft.pk).update(deadline_extended_to=timezone.now() - timedelta(days=1))
    result = services.application_autosave(actor=applicant, application_id=draft.pk, version=1, fields={"title": "on time"})
    assert result.applied == ["title"]


# --- PostgreSQL: the compare-and-set under real concurrency ----------------------------------

@pytest.mark.postgres
def test_simultaneous_row_updates_of_one_version_let_exactly_one_win(postgres, applicant, org, call):
    import threading

    from django.db import connections

    app, _ = services.application_start(actor=applicant, call_id=call.pk, organisation_id=org.pk)
    writers = 6
    barrier, results, errors = threading.Barrier(writers), [], []

    def write(n):
        try:
            barrier.wait(timeout=30)
            results.append((n, hotpath.row_update(Application, app.pk,
                                                  where={"version": 1, "state": ApplicationState.DRAFT},
                                                  values={"version": 2, "title": f"writer {n}",
                                                          "updated_at": timezone.now()})))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(repr(exc))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    [t.start() for t in threads]
    [t.join() for t in threads]

    assert errors == []
    winners = [n for n, written in results if written == 1]
    assert len(results) == writers and len(winners) == 1
    assert sum(written for _n, written in results) == 1
    stored = Application.objects.get(pk=app.pk)
    assert (stored.version, stored.title) == (2, f"writer {winners[0]}")

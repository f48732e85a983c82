"""Fixtures for reporting: a programme with a donor, a decided call, grants built directly from
awarded applications (the grants workflow's services are tested in tests/grants; here only the
models' own transitions are used, in setup)."""

from datetime import date
from decimal import Decimal

import pytest
from djmoney.money import Money

from accounts.models import Membership, ProgrammeRole
from grants.calls.models import CallState, Contribution, Donor, Programme
from tests.factories import call_full
from tests.reporting.builders import make_grant


@pytest.fixture
def donor_org(db):
    return Donor.objects.create(name="European Union", identifier="XI-IATI-EC_NEAR")


@pytest.fixture
def funded_programme(programme, donor_org):
    Contribution.objects.create(donor=donor_org, programme=programme, amount=Money(Decimal("2500000"), "EUR"))
    return programme


@pytest.fixture
def other_programme(db, donor_org):
    p = Programme.objects.create(
        code="other",
        title="Other programme",
        budget=Money(Decimal("100000"), "EUR"),
        starts_on=date(2024, 1, 1),
        ends_on=date(2027, 1, 1),
        countries=["GE"],
    )
    return p


@pytest.fixture
def manager(make_user, funded_programme, grant_role):
    return grant_role(make_user("manager@example.org"), funded_programme, ProgrammeRole.Role.MANAGER)


@pytest.fixture
def finance(make_user, funded_programme, grant_role):
    return grant_role(make_user("finance@example.org"), funded_programme, ProgrammeRole.Role.FINANCE)


@pytest.fixture
def donor_user(make_user, funded_programme, grant_role):
    return grant_role(make_user("donor@example.org"), funded_programme, ProgrammeRole.Role.DONOR)


@pytest.fixture
def other_donor(make_user, other_programme, grant_role):
    return grant_role(make_user("other-donor@example.org"), other_programme, ProgrammeRole.Role.DONOR)


@pytest.fixture
def grantee(make_user):
    return make_user("grantee@example.org", language="uk")


@pytest.fixture
def grantee_org(grantee, make_org):
    return make_org(grantee, country="UA", legal_name="Центр протидії корупції")


@pytest.fixture
def outsider(make_user, make_org):
    user = make_user("outsider@example.org")
    make_org(user, country="GE", legal_name="Another CSO")
    return user


@pytest.fixture
def call(funded_programme):
    return call_full(funded_programme, code="adv", state=CallState.REVIEWING, title="Advocacy grants")


@pytest.fixture
def grant(call, grantee_org, grantee):
    return make_grant(call, grantee_org, grantee, title="Відкриті закупівлі в громадах")


@pytest.fixture
def member_of(db):
    def add(user, organisation):
        Membership.objects.get_or_create(
            organisation=organisation, user=user, defaults={"role": Membership.Role.MEMBER}
        )
        return user

    return add

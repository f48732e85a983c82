"""Fixtures for grants and disbursement: a decided call, an awarded application, people in
every role, and helpers that drive a grant along its life through the services."""

from datetime import date

import pytest

from accounts.models import ProgrammeRole
from grants.calls.models import CallState
from tests.factories import call_full
from tests.grants.disbursement.helpers import award, signed_pdf


@pytest.fixture(autouse=True)
def private_storage(settings, tmp_path):
    settings.PRIVATE_STORAGE_ROOT = tmp_path / "private"
    return settings.PRIVATE_STORAGE_ROOT


@pytest.fixture
def people(make_user, programme, grant_role):
    class People:
        manager = grant_role(make_user("manager@example.org"), programme, ProgrammeRole.Role.MANAGER)
        manager2 = grant_role(make_user("manager2@example.org"), programme, ProgrammeRole.Role.MANAGER)
        finance = grant_role(make_user("finance@example.org"), programme, ProgrammeRole.Role.FINANCE)
        finance2 = grant_role(make_user("finance2@example.org"), programme, ProgrammeRole.Role.FINANCE)
        donor = grant_role(make_user("donor@example.org"), programme, ProgrammeRole.Role.DONOR)
        grantee = make_user("grantee@example.org")
        outsider = make_user("outsider@example.org")

    # A manager who is also a finance officer: the four-eyes rule must stop them paying what they approved.
    grant_role(People.manager2, programme, ProgrammeRole.Role.FINANCE)
    return People


@pytest.fixture
def org(people, make_org):
    return make_org(people.grantee, country="UA")


@pytest.fixture
def call(programme):
    return call_full(programme, code="adv", state=CallState.DECIDED, envelope="500000", max_duration_months=18)


@pytest.fixture
def awarded(call, org, people):
    return award(call, org, people.grantee)


@pytest.fixture
def grant(awarded, people):
    from grants.disbursement.lifecycle import grant_create_from_application

    return grant_create_from_application(actor=people.manager, application_id=awarded.pk, starts_on=date(2026, 1, 1))


@pytest.fixture
def signed(grant, people):
    from grants.disbursement.lifecycle import grant_sign

    return grant_sign(actor=people.manager, grant_id=grant.pk, document=signed_pdf())


@pytest.fixture
def approved_first(signed, people):
    from grants.disbursement.services import tranche_approve

    tranche = signed.tranches.get(position=1)
    return tranche_approve(actor=people.manager, tranche_id=tranche.pk)

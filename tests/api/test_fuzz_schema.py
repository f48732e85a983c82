"""An outside fuzzer (schemathesis) against the published OpenAPI schema, on a live server with a
real database: for an applicant's and a programme manager's token, every operation answers without
a server error, with a status code the schema lists, a body the schema describes and the content
type it names. Bounded: a few examples per operation, no shrinking, so it runs in well under a minute."""

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from accounts.models import ProgrammeRole
from accounts.tokens import token_create
from applications.models import ApplicationState
from grants.calls.models import CallState
from tests.factories import application_in_state, call_full

CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]
# Examples per operation and token: valid input, invalid input, and valid input naming a real object.
EXAMPLES = {GenerationMode.POSITIVE: 2, GenerationMode.NEGATIVE: 2}
EXAMPLES_WITH_REAL_ID = 2


@pytest.fixture
def seeded(transactional_db, make_user, make_org, programme, grant_role):
    """Real objects for the ids the fuzzer sends: a manager's programme with an open call, an
    applicant's draft and a submitted application."""
    manager = grant_role(make_user("manager@eu4i.org"), programme, ProgrammeRole.Role.MANAGER)
    applicant = make_user("owner@cso.org")
    org = make_org(applicant, country="UA", legal_name="Civic Watch")
    call = call_full(programme, code="adv", state=CallState.OPEN)
    draft = application_in_state(call, org, applicant, ApplicationState.DRAFT)
    submitted = application_in_state(call, make_org(applicant, country="UA"), applicant, ApplicationState.SUBMITTED)
    ids = {
        "applications": draft.pk,
        "decisions": submitted.pk,
        "rankings": call.pk,
        "calls": call.pk,
        "programmes": programme.pk,
        "organisations": org.pk,
    }
    tokens = {
        role: token_create(user=user, days=None)[1] for role, user in (("applicant", applicant), ("manager", manager))
    }
    return tokens, ids


def _fuzz(operation, base_url, headers, mode, path_parameters=None):
    """Run `operation` with a few generated cases; the failures of every check, as text."""
    failures = []

    @given(case=operation.as_strategy(generation_mode=mode, path_parameters=path_parameters))
    @settings(
        max_examples=EXAMPLES_WITH_REAL_ID if path_parameters else EXAMPLES[mode],
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case):
        try:
            case.call_and_validate(base_url=base_url, headers=headers, checks=CHECKS, timeout=10)
        except FailureGroup as group:  # every operation's failures, reported together
            failures.extend(
                f"{operation.label}: {failure.title}\n{failure.message}"[:600] for failure in group.exceptions
            )
        except requests.RequestException as exc:
            failures.append(f"{operation.label}: {exc!r}")

    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid (no parameters, no body)
        assert mode == GenerationMode.NEGATIVE
    return failures


def test_no_server_error_and_every_answer_matches_the_schema(live_server, seeded):
    tokens, ids = seeded
    schema = schemathesis.openapi.from_dict(
        requests.get(f"{live_server.url}/api/schema/?format=json", timeout=10).json()
    )
    base_url = f"{live_server.url}"
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        known = ids.get(operation.path.split("/")[3])
        for token in tokens.values():
            headers = {"Authorization": f"Token {token}"}
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                failures += _fuzz(operation, base_url, headers, mode)
            if known is not None and "{id}" in operation.path:
                failures += _fuzz(operation, base_url, headers, GenerationMode.POSITIVE, {"id": known})
    distinct = sorted(set(failures))
    assert not distinct, "\n\n".join(distinct[:200]) + f"\n\n{len(distinct)} distinct failures"

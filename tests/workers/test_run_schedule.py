"""Without a broker the beat schedule runs in-process: a call past its opening time opens."""

import io
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from grants.calls.models import CallState
from tests.factories import call_full


@pytest.mark.django_db(transaction=True)
def test_run_schedule_once_runs_the_periodic_tasks(programme):
    call = call_full(programme, state=CallState.PUBLISHED, opens_at=timezone.now() - timedelta(minutes=1))
    call_command("run_schedule", "--once", stdout=io.StringIO())
    call.refresh_from_db()
    assert call.state == CallState.OPEN

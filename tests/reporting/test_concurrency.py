"""Two tabs autosaving the same report at the same moment on PostgreSQL: the row lock and the
version make exactly one of them win; the other is told to reload, nothing is lost silently."""

import threading

import pytest
from django.db import connections

from reporting.grantee import services
from reporting.grantee.models import GranteeReport, ReportKind


@pytest.mark.postgres
def test_two_simultaneous_saves_of_one_version(postgres, grant, grantee):
    report = GranteeReport.objects.get(grant=grant, kind=ReportKind.INTERIM)
    barrier = threading.Barrier(2)
    outcomes = []

    def save(text):
        try:
            barrier.wait()
            services.grantee_report_save(actor=grantee, report_id=report.pk, version=1, narrative={"summary": text})
            outcomes.append(("saved", text))
        except services.StaleVersion:
            outcomes.append(("stale", text))
        finally:
            connections.close_all()

    for _round in range(20):
        GranteeReport.objects.filter(pk=report.pk).update(version=1)
        outcomes.clear()
        threads = [threading.Thread(target=save, args=(text,)) for text in ("tab A", "tab B")]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(kind for kind, _text in outcomes) == ["saved", "stale"]
        winner = next(text for kind, text in outcomes if kind == "saved")
        report.refresh_from_db()
        assert report.version == 2 and report.narrative["summary"] == winner

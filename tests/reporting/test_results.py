"""The results framework: programme indicators defined by managers, linked to calls, proposed by
applicants, carried by grants, reported as actuals and shown to donors as target against actual."""

import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Membership
from applications.models import ApplicationState, ProposedIndicator
from applications.services.indicators import proposed_indicators_save
from audit.models import AuditEvent
from grants.calls.indicators import programme_indicator_save
from grants.calls.models import CallState, ProgrammeIndicator
from grants.calls.services import call_update
from grants.disbursement.lifecycle import grant_create_from_application
from reporting.grantee.models import GranteeReportState, Indicator, IndicatorValue, ReportDocument
from reporting.grantee.results import grant_results, programme_results
from tests.factories import application_in_state, call_full
from tests.reporting.builders import make_grant
from tests.reporting.test_pages import PDF

pytestmark = pytest.mark.django_db


def _indicator(programme, code="OP1", target="40", **fields):
    return ProgrammeIndicator.objects.create(
        programme=programme, code=code, name=fields.pop("name", f"Indicator {code}"), target=Decimal(target), **fields
    )


def test_manager_defines_indicators_on_the_results_page(client, manager, funded_programme):
    client.force_login(manager)
    url = reverse("calls:programme_indicators", args=[funded_programme.pk])
    response = client.post(
        url,
        {
            "level": "output",
            "code": "OP1",
            "name": "Officials trained",
            "unit": "people",
            "baseline": "0",
            "target": "120",
            "disaggregation": ["country", "gender"],
        },
    )
    assert response.status_code == 302
    indicator = ProgrammeIndicator.objects.get(programme=funded_programme, code="OP1")
    assert indicator.target == Decimal("120") and indicator.disaggregation == ["country", "gender"]
    assert AuditEvent.objects.filter(action="programme_indicator_add", object_id=str(indicator.pk)).exists()
    # Its name in other languages goes on the programme's texts page, side by side.
    texts = reverse("calls:programme_texts", args=[funded_programme.pk])
    assert "Officials trained" in client.get(texts).content.decode()
    saved = client.post(texts, {f"programmeindicator-{indicator.pk}-name-uk": "Навчені посадовці"})
    assert saved.status_code == 302
    # A second indicator with the same code is refused on the field.
    again = client.post(url, {"level": "output", "code": "OP1", "name": "Other", "target": "1"})
    assert again.status_code == 200 and "already has an indicator" in again.content.decode()
    manager.language = "uk"
    manager.save(update_fields=["language"])
    page = client.get(url).content.decode()
    assert "Навчені посадовці" in page and "Officials trained" not in page
    # Editing keeps the row and audits the change.
    edit = reverse("calls:programme_indicator_edit", args=[funded_programme.pk, indicator.pk])
    client.post(edit, {"level": "outcome", "code": "OP1", "name": "Officials trained", "target": "150"})
    indicator.refresh_from_db()
    assert indicator.target == Decimal("150") and indicator.level == "outcome"


def test_results_page_is_the_managers_own(client, make_user, donor_user, funded_programme, other_programme):
    _indicator(funded_programme)
    url = reverse("calls:programme_indicators", args=[funded_programme.pk])
    for user in (donor_user, make_user("stranger@example.org")):
        client.force_login(user)
        assert client.get(url).status_code == 404
        assert client.post(url, {"code": "X", "name": "x", "target": "1"}).status_code == 404
    assert ProgrammeIndicator.objects.count() == 1
    with pytest.raises(PermissionDenied):
        programme_indicator_save(actor=donor_user, programme_id=funded_programme.pk, code="X", name="x", target="1")


def test_a_call_names_its_indicators_and_sector(manager, funded_programme, other_programme):
    call = call_full(funded_programme, code="draft", state=CallState.DRAFT, eligible_countries=["UA"])
    mine, theirs = _indicator(funded_programme), _indicator(other_programme, code="GE1")
    call_update(actor=manager, call_id=call.pk, indicators=[mine], sector="15113")
    call.refresh_from_db()
    assert list(call.indicators.all()) == [mine] and call.sector == "15113"
    assert AuditEvent.objects.filter(action="call_update", data__indicators=["OP1"]).exists()
    with pytest.raises(ValidationError):
        call_update(actor=manager, call_id=call.pk, indicators=[theirs])


def test_applicant_proposes_targets_that_become_the_grants_indicators(
    client, manager, grantee, grantee_org, outsider, funded_programme
):
    call = call_full(funded_programme, code="open")
    linked = _indicator(funded_programme)
    call.indicators.add(linked)
    app = application_in_state(call, grantee_org, grantee)
    url = reverse("applications:application_indicators", args=[app.pk])
    client.force_login(grantee)
    data = {
        "ind-TOTAL_FORMS": "2",
        "ind-INITIAL_FORMS": "0",
        "ind-0-programme_indicator": str(linked.pk),
        "ind-0-name": "Municipal officials trained",
        "ind-0-unit": "people",
        "ind-0-baseline": "0",
        "ind-0-target": "30",
        "ind-0-means_of_verification": "Attendance lists",
    }
    assert client.post(url, data).status_code == 302
    proposed = ProposedIndicator.objects.get(application=app)
    assert proposed.target == Decimal("30") and proposed.programme_indicator == linked
    # Someone outside the organisation does not see the application; a manager may read, not write.
    client.force_login(outsider)
    assert client.get(url).status_code == 404
    client.force_login(manager)
    assert client.get(url).status_code == 200
    assert client.post(url, data).status_code == 403
    # A row linked to an indicator the call does not contribute to is refused, naming the row.
    other = _indicator(funded_programme, code="OP9")
    with pytest.raises(ValidationError) as exc:
        proposed_indicators_save(
            actor=grantee, application_id=app.pk, rows=[{"name": "x", "target": "1", "programme_indicator": other.pk}]
        )
    assert "Row 1" in str(exc.value)
    # On award the proposal becomes the grant's indicator, linked to the programme's.
    for name in ("submit", "mark_eligible", "start_review", "complete_review", "award"):
        getattr(app, name)()
    app.awarded_amount = Decimal("40000")
    app.save()
    grant = grant_create_from_application(actor=manager, application_id=app.pk)
    indicator = Indicator.objects.get(grant=grant)
    assert (indicator.name, indicator.target, indicator.programme_indicator_id) == (
        "Municipal officials trained",
        Decimal("30"),
        linked.pk,
    )
    assert indicator.means_of_verification == "Attendance lists"


def _report_actual(grant, indicator, actual):
    report = grant.reports.order_by("due_on").first()
    report.submit()
    report.approve()
    report.save()
    IndicatorValue.objects.create(report=report, indicator=indicator, actual=Decimal(actual))


def _grants_with_results(call, programme_indicator, make_user, make_org, n, *, start=0):
    grants = []
    for i in range(start, start + n):
        user = make_user(f"g{i}@example.org")
        org = make_org(user, country="UA" if i % 2 else "AM", legal_name=f"CSO {i}")
        grant = make_grant(call, org, user, starts_on=date.today() - timedelta(days=400), amount="20000")
        indicator = Indicator.objects.create(
            grant=grant, name=f"Trained {i}", target=Decimal("10"), programme_indicator=programme_indicator
        )
        if i % 3:
            _report_actual(grant, indicator, "4")
        grants.append(grant)
    return grants


def test_donor_sees_target_against_actual_by_country_and_call(
    client, donor_user, other_donor, funded_programme, call, make_user, make_org
):
    pi = _indicator(funded_programme, code="OC1", target="100", name="People trained")
    _grants_with_results(call, pi, make_user, make_org, 3)
    [result] = programme_results(funded_programme)
    assert result.grants_target == Decimal("30") and result.actual == Decimal("8")
    assert result.late == 1  # grant 0 has a past-due report that is not approved and no value
    assert {b.label for b in result.by_country.values()} == {"Armenia", "Ukraine"}
    assert [b.grants for b in result.by_call.values()] == [3]
    client.force_login(donor_user)
    page = client.get(reverse("donor:donor_dashboard", args=[funded_programme.pk])).content.decode()
    assert "Results: target against actual" in page and 'data-actual="OC1">8.00 (8%)' in page
    client.force_login(other_donor)
    assert client.get(reverse("donor:donor_dashboard", args=[funded_programme.pk])).status_code == 404


def test_results_run_a_constant_number_of_queries(funded_programme, call, make_user, make_org):
    pi = _indicator(funded_programme)
    grants = _grants_with_results(call, pi, make_user, make_org, 2)
    with CaptureQueriesContext(connection) as small:
        programme_results(funded_programme)
        grant_results([g.pk for g in grants])
    grants += _grants_with_results(call, pi, make_user, make_org, 6, start=2)
    with CaptureQueriesContext(connection) as large:
        programme_results(funded_programme)
        by_grant = grant_results([g.pk for g in grants])
    assert len(small) == len(large)
    assert sum(1 for rows in by_grant.values() for r in rows if r.actual is not None) == 5


def test_report_states_count_only_approved_actuals(funded_programme, call, grantee, grantee_org):
    grant = make_grant(call, grantee_org, grantee)
    pi = _indicator(funded_programme)
    indicator = Indicator.objects.create(grant=grant, name="x", target=Decimal("5"), programme_indicator=pi)
    report = grant.reports.first()
    report.submit()
    report.save()
    IndicatorValue.objects.create(report=report, indicator=indicator, actual=Decimal("3"))
    assert report.state == GranteeReportState.SUBMITTED
    assert grant_results([grant.pk])[grant.pk][0].actual is None
    assert Membership.objects.filter(user=grantee).exists()
    assert grant.application.state == ApplicationState.AWARDED


def test_grantee_attaches_evidence_for_an_indicator(
    client, grant, grantee, funded_programme, call, make_user, make_org
):
    indicator = Indicator.objects.create(grant=grant, name="Hearings held", target=Decimal("6"))
    someone_elses = make_grant(call, make_org(make_user("x@example.org")), make_user("y@example.org"))
    foreign = Indicator.objects.create(grant=someone_elses, name="Other", target=Decimal("1"))
    report = grant.reports.order_by("due_on").first()
    client.force_login(grantee)
    url = reverse("reports:report_document_add", args=[report.pk])
    upload = io.BytesIO(PDF)
    upload.name = "minutes.pdf"
    assert client.post(url, {"file": upload, "indicator": foreign.pk}).status_code == 400
    upload = io.BytesIO(PDF)
    upload.name = "minutes.pdf"
    assert client.post(url, {"file": upload, "indicator": indicator.pk}).status_code == 302
    assert ReportDocument.objects.get().indicator == indicator
    page = client.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert "підтвердження для «Hearings held»" in page  # the grantee reads Ukrainian


def test_manager_changes_a_target_with_a_reason(client, grant, manager, grantee):
    indicator = Indicator.objects.create(grant=grant, name="Hearings held", target=Decimal("6"))
    url = reverse("reports:grant_reports", args=[grant.pk])
    data = {"action": "indicator_change", "chg-indicator": indicator.pk, "chg-target": "8", "chg-reason": "Scope grew"}
    client.force_login(grantee)
    assert client.post(url, data).status_code == 403
    client.force_login(manager)
    assert client.post(url, data).status_code == 302
    indicator.refresh_from_db()
    assert indicator.target == Decimal("8")
    event = AuditEvent.objects.get(action="indicator_change")
    assert event.reason == "Scope grew" and event.data["before"]["target"] == "6.00"


def test_indicators_import_from_a_spreadsheet_with_a_preview(manager, donor_user, funded_programme, other_programme):
    from reporting.data import imports

    _indicator(funded_programme, code="OP1", target="10")
    text = (
        "code,level,name,name_uk,name_hy,unit,baseline,target,disaggregation\n"
        "OP1,output,People trained,Навчені люди,,people,0,300,country;gender\n"
        "OC1,outcome,Bodies publishing data,,,bodies,2,20,country\n"
        "OC2,impact,Bad level,,,,,x,\n"
    )
    token, preview = imports.import_preview(
        actor=manager, kind="indicators", content=text.encode(), filename="i.csv", programme_id=funded_programme.pk
    )
    errors = {row["number"]: dict(row["messages"]) for row in imports.import_errors(preview)}
    assert set(errors) == {3} and {"level", "target"} <= set(errors[3])
    fixed = "\n".join(text.splitlines()[:3]) + "\n"
    token, preview = imports.import_preview(
        actor=manager, kind="indicators", content=fixed.encode(), filename="i.csv", programme_id=funded_programme.pk
    )
    assert imports.import_summary(preview)["new"] == 1 and imports.import_summary(preview)["update"] == 1
    imports.import_confirm(actor=manager, token=token)
    op1 = ProgrammeIndicator.objects.get(programme=funded_programme, code="OP1")
    assert (
        op1.target == Decimal("300") and op1.name_uk == "Навчені люди" and op1.disaggregation == ["country", "gender"]
    )
    assert ProgrammeIndicator.objects.get(code="OC1").level == "outcome"
    assert AuditEvent.objects.filter(action="programme_indicators_import").exists()
    with pytest.raises(PermissionDenied):
        imports.import_preview(
            actor=manager, kind="indicators", content=fixed.encode(), filename="i.csv", programme_id=other_programme.pk
        )
    with pytest.raises(PermissionDenied):
        imports.import_preview(
            actor=donor_user,
            kind="indicators",
            content=fixed.encode(),
            filename="i.csv",
            programme_id=funded_programme.pk,
        )


def test_the_indicators_import_page_is_for_managers(client, manager, grantee, funded_programme):
    url = reverse("data:import_indicators")
    client.force_login(grantee)
    assert client.get(url).status_code == 404
    client.force_login(manager)
    page = client.get(url).content.decode()
    assert "Programme indicators" in page and "disaggregation" in page.lower()
    assert url in client.get(reverse("calls:programme_indicators", args=[funded_programme.pk])).content.decode()


def test_a_call_with_indicators_asks_for_proposed_targets_which_the_receipt_covers(
    grantee, grantee_org, funded_programme
):
    from applications.services import application_submission_problems, application_submit

    call = call_full(funded_programme, code="open", eligible_countries=["UA"])
    linked = _indicator(funded_programme)
    app = application_in_state(call, grantee_org, grantee)
    assert not any("Propose" in p for p in application_submission_problems(app))
    call.indicators.add(linked)
    assert any("Propose at least one indicator" in p for p in application_submission_problems(app))
    proposed_indicators_save(
        actor=grantee,
        application_id=app.pk,
        rows=[{"name": "Trained", "target": "30", "programme_indicator": linked.pk}],
    )
    assert not any("Propose" in p for p in application_submission_problems(app))
    call.required_documents.update(required=False)  # the factory's draft attaches no file
    type(app).objects.filter(pk=app.pk).update(requested_amount=Decimal("37500"))  # budget = request + co-financing
    app.refresh_from_db()
    assert application_submission_problems(app) == []
    app = application_submit(actor=grantee, application_id=app.pk)
    assert app.submitted_content["indicators"][0]["target"] == "30.00"


def test_actuals_by_gender_when_the_programme_indicator_is_disaggregated_so(
    client, grant, grantee, donor_user, funded_programme
):
    from reporting.grantee.services import grantee_report_save

    pi = _indicator(funded_programme, code="OP1", target="100", disaggregation=["country", "gender"])
    indicator = Indicator.objects.create(
        grant=grant, name="People trained", target=Decimal("40"), programme_indicator=pi
    )
    report = grant.reports.order_by("due_on").first()
    client.force_login(grantee)
    page = client.get(reverse("reports:report_detail", args=[report.pk])).content.decode()
    assert f'name="actual_{indicator.pk}_women"' in page and f'name="actual_{indicator.pk}_men"' in page
    with pytest.raises(ValidationError):
        grantee_report_save(
            actor=grantee,
            report_id=report.pk,
            version=report.version,
            indicators={indicator.pk: {"actual": "20", "breakdown": {"women": "15", "men": "10"}}},
        )
    report.refresh_from_db()
    grantee_report_save(
        actor=grantee,
        report_id=report.pk,
        version=report.version,
        indicators={indicator.pk: {"actual": "20", "breakdown": {"women": "12", "men": "8"}}},
    )
    assert IndicatorValue.objects.get(indicator=indicator).breakdown == {"women": "12.00", "men": "8.00"}
    report.submit()
    report.approve()
    report.save()
    [result] = programme_results(funded_programme)
    assert result.by_gender == {"women": Decimal("12.00"), "men": Decimal("8.00")}
    client.force_login(donor_user)
    dashboard = client.get(reverse("donor:donor_dashboard", args=[funded_programme.pk])).content.decode()
    assert 'data-gender="OP1">12.00 / 8.00' in dashboard


def test_the_call_form_offers_the_programmes_indicators_and_dac_sectors(
    client, manager, funded_programme, other_programme
):
    call = call_full(funded_programme, code="draft", state=CallState.DRAFT, eligible_countries=["UA"])
    mine, theirs = _indicator(funded_programme, code="OP7"), _indicator(other_programme, code="GE9")
    client.force_login(manager)
    page = client.get(reverse("calls:call_edit", args=[call.pk])).content.decode()
    assert f'name="indicators" value="{mine.pk}"' in page and f'name="indicators" value="{theirs.pk}"' not in page
    assert "OP7 Indicator OP7" in page and "GE9" not in page
    assert 'name="sector"' in page and "15113 Anti-corruption organisations and institutions" in page


def test_the_api_gives_donors_the_same_results(funded_programme, call, donor_user, other_donor, make_user, make_org):
    from rest_framework.test import APIClient

    pi = _indicator(funded_programme, code="OC1", target="100", name="People trained")
    _grants_with_results(call, pi, make_user, make_org, 3)
    api = APIClient()
    api.force_authenticate(donor_user)
    url = f"/api/v1/programme-results/{funded_programme.pk}/"
    answer = api.get(url).json()
    assert answer["programme"] == funded_programme.code
    [result] = answer["indicators"]
    assert (result["code"], result["actual"], result["grants_target"], result["late"]) == ("OC1", "8.00", "30.00", 1)
    assert {b["name"] for b in result["by_country"]} == {"Armenia", "Ukraine"} and len(result["grants"]) == 3
    api.force_authenticate(other_donor)
    assert api.get(url).status_code == 404

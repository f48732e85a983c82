"""Results: what the grants achieved against their targets, read for the donor dashboard, the
donor report and the public register. A grant indicator's actual is the value of its latest
approved report (grantees report the cumulative value); a value is *late* when a report of the
grant is past due and not approved, *missing* when no approved report carries it yet.

Every function here runs a fixed number of queries whatever the number of grants or reports."""

from collections import OrderedDict
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils import timezone

from accounts.orgid import PROGRAMME_COUNTRY_CHOICES
from grants.calls.models import Programme, ProgrammeIndicator
from reporting.grantee.models import GranteeReport, GranteeReportState, Indicator, IndicatorValue

ZERO = Decimal("0")


def latest_actuals(indicator_ids) -> dict[int, tuple[Decimal | None, object, dict]]:
    """{indicator id: (actual, period end, breakdown by gender)} from the latest approved report
    carrying a value (one query)."""
    latest: dict[int, tuple[Decimal | None, object, dict]] = {}
    values = (
        IndicatorValue.objects.filter(
            indicator_id__in=indicator_ids, report__state=GranteeReportState.APPROVED, actual__isnull=False
        )
        .order_by("report__due_on", "report_id")
        .values_list("indicator_id", "actual", "report__period_end", "report__due_on", "breakdown")
    )
    for indicator_id, actual, period_end, due_on, breakdown in values:
        latest[indicator_id] = (actual, period_end or due_on, breakdown or {})
    return latest


def grants_with_late_reports(grant_ids) -> set[int]:
    """The grants with a report past due that is not approved (one query)."""
    return set(
        GranteeReport.objects.filter(grant_id__in=grant_ids, due_on__lt=timezone.localdate())
        .exclude(state=GranteeReportState.APPROVED)
        .values_list("grant_id", flat=True)
    )


@dataclass
class IndicatorResult:
    indicator: Indicator
    actual: Decimal | None
    as_of: object = None
    late: bool = False

    @property
    def status(self) -> str:
        if self.actual is not None:
            return "reported"
        return "late" if self.late else "missing"


def grant_results(grant_ids) -> dict[int, list[IndicatorResult]]:
    """{grant id: its indicators with target and latest approved actual} (three queries)."""
    grant_ids = list(grant_ids)
    indicators = list(
        Indicator.objects.filter(grant_id__in=grant_ids)
        .select_related("programme_indicator")
        .order_by("grant_id", "position", "pk")
    )
    actuals = latest_actuals([i.pk for i in indicators]) if indicators else {}
    late = grants_with_late_reports(grant_ids) if indicators else set()
    out: dict[int, list[IndicatorResult]] = {g: [] for g in grant_ids}
    for ind in indicators:
        actual, as_of, _parts = actuals.get(ind.pk, (None, None, {}))
        out[ind.grant_id].append(IndicatorResult(ind, actual, as_of, ind.grant_id in late))
    return out


@dataclass
class Breakdown:
    label: str
    target: Decimal = ZERO
    actual: Decimal = ZERO
    grants: int = 0


@dataclass
class ProgrammeIndicatorResult:
    indicator: ProgrammeIndicator
    grants_target: Decimal = ZERO
    actual: Decimal = ZERO
    by_country: dict = field(default_factory=OrderedDict)
    by_call: dict = field(default_factory=OrderedDict)
    rows: list = field(default_factory=list)  # (grant, IndicatorResult) behind the figure
    by_gender: dict = field(default_factory=dict)  # {"women": …, "men": …} when disaggregated by gender
    late: int = 0
    missing: int = 0

    @property
    def pct(self) -> Decimal | None:
        target = self.indicator.target or self.grants_target
        if not target:
            return None
        return (self.actual * 100 / target).quantize(Decimal("1"))


def programme_results(programme: Programme) -> list[ProgrammeIndicatorResult]:
    """Per programme indicator: its target, the sum of the linked grant indicators' targets and
    latest actuals, by country and by call, with the grants behind each figure (four queries)."""
    countries = dict(PROGRAMME_COUNTRY_CHOICES)
    results = OrderedDict(
        (pi.pk, ProgrammeIndicatorResult(pi)) for pi in programme.indicators.order_by("position", "code")
    )
    if not results:
        return []
    indicators = list(
        Indicator.objects.filter(programme_indicator__programme=programme)
        .select_related("grant__organisation", "grant__call")
        .order_by("grant__number", "position")
    )
    actuals = latest_actuals([i.pk for i in indicators]) if indicators else {}
    late = grants_with_late_reports({i.grant_id for i in indicators}) if indicators else set()
    for ind in indicators:
        result = results.get(ind.programme_indicator_id)  # type: ignore[arg-type]
        if result is None:
            continue
        actual, as_of, parts = actuals.get(ind.pk, (None, None, {}))
        row = IndicatorResult(ind, actual, as_of, ind.grant_id in late)
        if "gender" in (result.indicator.disaggregation or []):
            for group in ("women", "men"):
                result.by_gender[group] = result.by_gender.get(group, ZERO) + Decimal(parts.get(group) or 0)
        result.rows.append((ind.grant, row))
        result.grants_target += ind.target
        result.actual += actual or ZERO
        if actual is None:
            result.late += row.late
            result.missing += not row.late
        grant = ind.grant
        country = grant.organisation.country
        for bucket, key, label in (
            (result.by_country, country, str(countries.get(country, country))),
            (result.by_call, grant.call_id, str(grant.call)),
        ):
            part = bucket.setdefault(key, Breakdown(label))
            part.target += ind.target
            part.actual += actual or ZERO
            part.grants += 1
    return list(results.values())

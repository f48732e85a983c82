"""Reads of the public register under /transparency/: every grant of a decided (or archived) call,
what was paid so far, its indicators with targets and actuals, and the published practices.

Only what an award makes public is read: number, title, amounts, dates, state, the recipient's
legal name and country (unless the programme withholds the name of a grantee at risk), the call
and programme. Each list runs a fixed number of queries whatever its length."""

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from accounts.orgid import PROGRAMME_COUNTRY_CHOICES
from grants.agreements.models import Grant
from grants.calls.models import Call, Programme
from reporting.data.opendata import PUBLIC_CALL_STATES
from reporting.grantee.results import grant_results
from reporting.transparency.models import Practice, PracticePhoto, PracticeState

COUNTRY_NAMES = dict(PROGRAMME_COUNTRY_CHOICES)


def public_grants() -> QuerySet[Grant]:
    return Grant.objects.filter(call__state__in=PUBLIC_CALL_STATES)


@dataclass
class RegisterFilter:
    q: str = ""
    programme: str = ""
    call: int | None = None
    country: str = ""
    year: int | None = None


def register_grants(f: RegisterFilter) -> QuerySet[Grant]:
    """The register's grants matching the filter, by grant number. A withheld name is neither
    shown nor searchable."""
    grants = public_grants()
    if f.q:
        grants = grants.filter(
            Q(number__icontains=f.q)
            | Q(title__icontains=f.q)
            | Q(organisation__legal_name__icontains=f.q, withhold_recipient=False)
        )
    if f.programme:
        grants = grants.filter(call__programme__code=f.programme)
    if f.call:
        grants = grants.filter(call_id=f.call)
    if f.country:
        grants = grants.filter(organisation__country=f.country)
    if f.year:
        grants = grants.filter(starts_on__year=f.year)
    return grants.select_related("organisation", "call__programme").order_by("number")


def register_choices() -> dict:
    """What the filters offer: programmes and calls with public grants, countries, years (three queries)."""
    calls = list(
        Call.objects.filter(state__in=PUBLIC_CALL_STATES)
        .select_related("programme")
        .order_by("programme__code", "code")
    )
    programmes = list(Programme.objects.filter(calls__state__in=PUBLIC_CALL_STATES).distinct().order_by("code"))
    years = sorted({d.year for d in public_grants().dates("starts_on", "year")}, reverse=True)
    return {
        "programmes": programmes,
        "calls": calls,
        "countries": list(PROGRAMME_COUNTRY_CHOICES),
        "years": years,
    }


def register_rows(grants) -> list[tuple[Grant, list]]:
    """The grants of one page with their indicators (three queries for the whole page)."""
    grants = list(grants)
    results = grant_results([g.pk for g in grants])
    return [(g, results.get(g.pk, [])) for g in grants]


def register_grant(pk) -> Grant:
    """One public grant (Grant.DoesNotExist otherwise: 404)."""
    return public_grants().select_related("organisation", "call__programme").get(pk=pk)


def published_practices() -> QuerySet[Practice]:
    return (
        Practice.objects.filter(state=PracticeState.PUBLISHED, grant__call__state__in=PUBLIC_CALL_STATES)
        .select_related("grant__organisation", "grant__call__programme")
        .order_by("-published_at", "-pk")
    )


def recipient_name(grant: Grant) -> str | None:
    """The recipient's name as the public may see it; None when withheld."""
    return None if grant.withhold_recipient else grant.organisation.legal_name


def practice_covers(practice_ids) -> dict:
    """{practice id: its first photo} (one query)."""
    covers: dict = {}
    for photo in PracticePhoto.objects.filter(practice_id__in=practice_ids).order_by("position", "pk"):
        covers.setdefault(photo.practice_id, photo)
    return covers

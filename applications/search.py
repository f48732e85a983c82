"""Full-text search of applications for the managers' lists and the API (`?q=`): reference,
title and summary of the application, or its organisation's legal name.

On PostgreSQL every word (letters and digits only, so it is safe in a raw tsquery) is matched as
a prefix (`budg` finds "budgets") against the same `SearchVector` expressions that the GIN
indexes of `Application` and `Organisation` are built on, so the planner uses them; both are
subqueries of the list's statement (one query). On SQLite (the embedded default) each word is
matched with `icontains`, with the same meaning: every word in the application's own text, or
every word in its organisation's name."""

import re

from django.contrib.postgres.search import SearchQuery
from django.db import connection
from django.db.models import Q, QuerySet

from accounts.models import ORGANISATION_SEARCH, Organisation
from applications.models import APPLICATION_SEARCH, Application

MAX_WORDS = 8


def search_words(query: str) -> list[str]:
    return re.findall(r"\w+", query or "")[:MAX_WORDS]


def _prefix(word: str) -> str:
    """A word of the query as a tsquery prefix. PostgreSQL's parser reads the "-0042" of a
    reference "ADV-0042" as a signed number, so a number also matches with its minus sign."""
    return f"('{word}':* | '-{word}':*)" if word.isdigit() else f"'{word}':*"


def application_search(qs: QuerySet, query: str) -> QuerySet:
    """The applications of `qs` whose own text (reference, title, summary) holds every word of
    the query, or whose organisation's name does."""
    words = search_words(query)
    if not words:
        return qs
    if connection.vendor == "postgresql":
        tsquery = SearchQuery(" & ".join(_prefix(w) for w in words), config="simple", search_type="raw")
        # Each side is answered by its own GIN index (a bitmap scan), then the list's own filters.
        matching = Application.objects.alias(text=APPLICATION_SEARCH).filter(text=tsquery).values("pk")
        organisations = Organisation.objects.alias(text=ORGANISATION_SEARCH).filter(text=tsquery).values("pk")
        return qs.filter(Q(pk__in=matching) | Q(organisation_id__in=organisations))
    own, organisation = Q(), Q()
    for word in words:
        own &= Q(reference__icontains=word) | Q(title__icontains=word) | Q(summary__icontains=word)
        organisation &= Q(organisation__legal_name__icontains=word)
    return qs.filter(own | organisation)

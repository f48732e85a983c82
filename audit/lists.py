"""Lists whose count is kept until the next audited change (`audit.cache`).

A list's page costs two queries: its rows (LIMIT 50, read from an index) and its count, which
reads every row of the filter and so grows with the data. For lists whose rows come and go only
through audited use cases (applications, reviews, grants, tranches, payments, reports, the
reviewer pool), the count is kept under the query's SQL until the next audited change: the same
list with the same filters, opened again by anyone who sees the same rows, costs no count. Never
for a list changed without an audit event (notifications read, for one).
"""

import hashlib
from functools import cached_property

from django.core.exceptions import EmptyResultSet
from django.db.models import QuerySet
from rest_framework.pagination import PageNumberPagination

from audit.cache import until_next_change
from core.pagination import ListPaginator

COUNT_REUSE_SECONDS = 60  # at most, for a change the audit trail does not see (an admin edit)


class CountReusingPaginator(ListPaginator):
    @cached_property
    def count(self) -> int:
        items = self.object_list
        if not isinstance(items, QuerySet):
            return len(items)
        try:
            sql = str(items.query)
        except EmptyResultSet:
            return 0
        key = "list-count:" + hashlib.sha256(f"{items.db}:{sql}".encode()).hexdigest()[:32]
        return until_next_change(key, items.count, seconds=COUNT_REUSE_SECONDS)


class AuditedListPagination(PageNumberPagination):
    """The API's pagination (`core.api.pagination.ApiPagination`) with the count kept until the
    next audited change."""

    django_paginator_class = CountReusingPaginator

"""Pages past the middle of a list are read from the other end of its order: the same rows in the
same order as an OFFSET would give, without walking every row before them."""

import pytest
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.pagination import ListPaginator

pytestmark = pytest.mark.django_db


def _users(n):
    User = get_user_model()
    User.objects.bulk_create(User(email=f"p{i:02}@example.org") for i in range(n))
    # Many ties on the first key: only the unique last key makes the order total.
    return User.objects.filter(email__startswith="p").order_by("is_active", "pk")


@pytest.mark.parametrize("per_page,orphans", [(3, 0), (4, 2), (5, 0)])
def test_every_page_holds_the_rows_an_offset_would_give(per_page, orphans):
    users = _users(17)
    plain, fast = Paginator(users, per_page, orphans=orphans), ListPaginator(users, per_page, orphans=orphans)
    assert fast.num_pages == plain.num_pages
    for number in fast.page_range:
        assert [u.email.split("@")[0] for u in fast.page(number)] == [
            u.email.split("@")[0] for u in plain.page(number)
        ], number


def test_the_last_page_is_read_backwards_with_no_offset():
    users = _users(17)
    with CaptureQueriesContext(connection) as queries:
        last = ListPaginator(users, 5).page(4)
        list(last)
    rows_sql = queries.captured_queries[-1]["sql"]
    assert "DESC" in rows_sql and "OFFSET" not in rows_sql
    assert [u.email.split("@")[0] for u in last] == ["p15", "p16"]


def test_an_order_without_a_unique_last_key_is_read_forwards():
    users = _users(9).order_by("is_active")  # ties everywhere: reading backwards could reorder them
    with CaptureQueriesContext(connection) as queries:
        list(ListPaginator(users, 4).page(3))
    assert "DESC" not in queries.captured_queries[-1]["sql"]


def test_a_reused_count_holds_until_the_next_audited_change():
    from audit.lists import CountReusingPaginator
    from tests.factories import audited_bulk

    User = get_user_model()
    audited_bulk("start")
    users = _users(5)
    assert CountReusingPaginator(users, 2).count == 5
    User.objects.bulk_create(User(email=f"q{i}@example.org") for i in range(3))  # not audited
    everyone = User.objects.order_by("pk")
    assert CountReusingPaginator(users, 2).count == 5  # reused: nothing audited since
    assert ListPaginator(everyone, 2).count == 8  # a list that does not reuse counts is exact
    audited_bulk("more users")
    assert CountReusingPaginator(User.objects.filter(email__startswith="p").order_by("pk"), 2).count == 5
    assert CountReusingPaginator(everyone, 2).count == 8
    User.objects.filter(email__startswith="q").delete()
    audited_bulk("fewer users")
    assert CountReusingPaginator(everyone, 2).count == 5

"""The API's page-number pagination, on the same paginator as the pages (`core.pagination`): the
last page is read from the other end of the order, not after every row before it."""

from rest_framework.pagination import PageNumberPagination

from core.pagination import ListPaginator


class ApiPagination(PageNumberPagination):
    django_paginator_class = ListPaginator

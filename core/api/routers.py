"""The API's router: object ids in paths are numbers, so an id that is not one is 404 before any
view runs (`core.api.errors.not_found` answers it in JSON)."""

from typing import Any

from rest_framework.routers import SimpleRouter

ID_PATTERN = "[0-9]+"


class Router(SimpleRouter):
    """DRF's router whose object ids are numbers: `/things/abc/` is 404 before any view runs."""

    def get_lookup_regex(self, viewset: Any, lookup_prefix: str = "") -> str:
        if getattr(viewset, "lookup_value_regex", None) is None:
            viewset.lookup_value_regex = ID_PATTERN
        return super().get_lookup_regex(viewset, lookup_prefix)

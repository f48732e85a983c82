"""OPTIONS answers of the API (DRF's metadata), safe for every action."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404
from rest_framework.exceptions import APIException
from rest_framework.metadata import SimpleMetadata
from rest_framework.request import Request, clone_request


class Metadata(SimpleMetadata):
    """OPTIONS: what the caller may send, per method. DRF's own asks every PUT for its object, which
    fails on an action without one (`PUT /notifications/preferences/`); here an action without an
    object or a serializer is simply not described."""

    def determine_actions(self, request: Request, view: Any) -> dict[str, Any]:
        actions: dict[str, Any] = {}
        lookup = getattr(view, "lookup_url_kwarg", None) or getattr(view, "lookup_field", "pk")
        for method in sorted({"PUT", "POST"} & set(view.allowed_methods)):
            if not hasattr(view, "get_serializer") or getattr(view, "serializer_class", None) is None:
                continue
            view.request = clone_request(request, method)
            try:
                view.check_permissions(view.request)
                if method == "PUT" and lookup in view.kwargs:
                    view.get_object()
                actions[method] = self.get_serializer_info(view.get_serializer())
            except (APIException, PermissionDenied, Http404):
                pass
            finally:
                view.request = request
        return actions

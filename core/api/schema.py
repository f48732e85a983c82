"""The OpenAPI schema (drf-spectacular), truthful about the error answers and the pagination."""

import re
from typing import Any

from django.utils.translation import gettext as _
from drf_spectacular.openapi import AutoSchema as SpectacularAutoSchema
from drf_spectacular.plumbing import ResolvedComponent, build_basic_type
from drf_spectacular.types import OpenApiTypes
from rest_framework.permissions import AllowAny

from core.api.routers import ID_PATTERN

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
# {"field": ["message", …]}, nested for nested input ({"lines": [{"unit_cost": [...]}]}),
# "non_field_errors" for the request as a whole, or {"detail": …} for a body that is not JSON.

# {"field": ["message", …]}, nested for nested input ({"lines": [{"unit_cost": [...]}]}),
# "non_field_errors" for the request as a whole, or {"detail": …} for a body that is not JSON.
VALIDATION_ERROR = {
    "type": "object",
    "description": "Each field that was refused, with its messages in the caller's language.",
    "additionalProperties": {},
}


class AutoSchema(SpectacularAutoSchema):
    """drf-spectacular's schema, truthful about what the API answers besides success:

    - 400 (each refused field with its messages) for every operation that takes a body or query
      parameters; 401 and 403 for every operation that needs a signed-in caller; 404 for every
      operation with an id in its path, a page number, or ids in its body; 409 for every change
      (a state that refuses it, or a stale version). An operation's own `extend_schema(responses=…)`
      for a code wins.
    - Only list actions are paginated (`ListModelMixin.list`, and an action marked `paginated = True`
      that pages its answer with the view's paginator); a list returned by another action is
      described as the plain array it is.
    - Path ids matched by `Router` are integers."""

    def _get_paginator(self) -> Any:
        # A viewset's action, or an APIView's handler ("get") marked the same way.
        action = getattr(self.view, "action", None) or self.method.lower()
        if action != "list" and not getattr(getattr(self.view, action, None), "paginated", False):
            return None
        return super()._get_paginator()  # type: ignore[no-untyped-call]  # drf-spectacular is untyped here

    def _resolve_path_parameters(self, variables: list[str]) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._resolve_path_parameters(variables)  # type: ignore[no-untyped-call]
        for parameter in parameters:
            if parameter["schema"].get("pattern") in (f"^{ID_PATTERN}$", r"^\d+$"):
                parameter["schema"] = build_basic_type(OpenApiTypes.INT)
        return parameters

    def _error_component(self, name: str, schema: dict[str, Any]) -> dict[str, Any]:
        component = ResolvedComponent(  # type: ignore[no-untyped-call]
            name=name, type=ResolvedComponent.SCHEMA, schema=schema, object=name
        )
        self.registry.register_on_missing(component)
        ref: dict[str, Any] = component.ref
        return ref

    def _error_codes(self) -> dict[str, str]:
        changes = self.method in ("POST", "PUT", "PATCH", "DELETE")
        has_path_ids = bool(re.search(r"\{[^}]+\}", self.path))
        query = [p for p in self._get_parameters() if p.get("in") == "query" and p.get("name") != "page"]
        paginated = self._get_paginator() is not None
        codes: dict[str, str] = {}
        if self.method in ("POST", "PUT", "PATCH") or query:
            codes["400"] = _("The input was refused; each field says why.")
        if not self._is_public():
            codes["401"] = _("No valid credentials were sent.")
            codes["403"] = _("The caller's role does not allow this.")
        if has_path_ids or paginated or changes or query:
            codes["404"] = _("The object does not exist or the caller may not see it.")
        if changes:
            codes["409"] = _("The object's state does not allow this now.")
        return codes

    def _is_public(self) -> bool:
        return all(isinstance(p, AllowAny) for p in self.view.get_permissions())

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        for code, description in self._error_codes().items():
            if code in responses:
                continue
            schema = VALIDATION_ERROR if code == "400" else ERROR
            name = "ValidationError" if code == "400" else "Error"
            responses[code] = {
                "content": {"application/json": {"schema": self._error_component(name, schema)}},
                "description": description,
            }
        return responses

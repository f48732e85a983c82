"""How the API answers what goes wrong: a state that refuses it 409, a role 403, wrong input 400
naming the field, an object the caller may not see (or an id that is not one) 404."""

import logging
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.translation import gettext as _
from django.views.defaults import page_not_found
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core.errors import TransitionRefused

logger = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, TransitionRefused):
        return Response({"detail": str(exc.message)}, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ObjectDoesNotExist):  # an object the caller names but may not see does not exist for them
        exc = NotFound()
    elif isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = ValidationError(detail)
    elif isinstance(exc, ValueError):
        # A value the input could not be turned into (a number, a date): the client's mistake, not
        # the server's. Logged with its traceback so a real bug behind it is still seen.
        logger.warning("API input refused: %s", exc, exc_info=exc)
        exc = ValidationError({"non_field_errors": [_("A value in this request is not valid.")]})
    return drf_exception_handler(exc, context)


def not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 404 handler: the API's JSON body under /api/, the site's page elsewhere."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Not found.")}, status=404)
    return page_not_found(request, exception)

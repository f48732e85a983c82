"""Small reads every part needs: an object the user may see (or 404), an object the user may act
on (or 403), and the programme an object belongs to."""

from typing import Any, TypeVar

from django.core.exceptions import PermissionDenied
from django.db import models
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext as _

M = TypeVar("M", bound=models.Model)


def get_visible_or_404(queryset: QuerySet[M], pk: object) -> M:
    """The object `pk` of `queryset` (already narrowed to what the user may see), or 404: an object
    the user may not see does not exist for them."""
    try:
        return queryset.get(pk=pk)
    except (queryset.model.DoesNotExist, ValueError, TypeError):  # type: ignore[attr-defined]
        raise Http404 from None


def get_permitted_or_403(actor: Any, model: type[M], pk: object, permission: str, message: str | None = None) -> M:
    """The object `pk` of `model` if `actor` holds `permission` on it; 403 otherwise. The permission
    is checked before anything about the object can fail, and the answer is the same whether the
    object does not exist or is not the actor's: an unknown id is neither a 500 nor a way to learn
    which ids exist."""
    try:
        obj = model._default_manager.filter(pk=pk).first()
    except (ValueError, TypeError):
        obj = None
    if obj is None or not actor.has_perm(permission, obj):
        raise PermissionDenied(message or _("You may not do this."))
    return obj


def programme_id_of(obj: models.Model | None) -> int | None:
    """The programme `obj` belongs to: a Programme itself, or anything that reaches one through
    `programme_id` (Call, DonorReport), `call` (Application, Grant), `application` (Review),
    `grant` (Tranche, Payment, Amendment, GranteeReport) or `review`. None for anything else:
    an unrelated object's own id is never taken for a programme's."""
    if obj is None:
        return None
    if obj._meta.label == "grants.Programme":
        pk: int = obj.pk
        return pk
    if hasattr(obj, "programme_id"):
        programme_id: int | None = obj.programme_id
        return programme_id
    for attr in ("call", "application", "grant", "review"):
        related = getattr(obj, attr, None)
        if related is not None:
            return programme_id_of(related)
    return None

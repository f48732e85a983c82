"""Serializer fields the API modules share."""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.money import AMOUNT_MAX_DIGITS, amount_parse, cents


@extend_schema_field(OpenApiTypes.DECIMAL)
class AmountField(serializers.Field):  # type: ignore[type-arg]
    """An amount checked by `core.money.amount_parse`, as the pages and the autosave check it: more
    than 0 (or 0 where `allow_zero`), at most two decimals, below what the column holds."""

    def __init__(self, *, allow_zero: bool = False, max_digits: int = AMOUNT_MAX_DIGITS, **kwargs: Any) -> None:
        self.allow_zero, self.max_digits = allow_zero, max_digits
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> Decimal:
        try:
            return amount_parse(data, allow_zero=self.allow_zero, max_digits=self.max_digits)
        except DjangoValidationError as exc:
            raise serializers.ValidationError(exc.messages)

    def to_representation(self, value: Any) -> str:
        return str(cents(value))

# djmoney's MoneyField subclasses DecimalField without saying what it holds; to django-stubs a
# money field would read as a bare Decimal. It reads and takes Money (with its currency).
from decimal import Decimal
from typing import Any

from django.db.models import CharField, DecimalField
from django.db.models.expressions import Combinable
from djmoney.money import Money

class MoneyField(DecimalField):
    _pyi_private_set_type: Money | Decimal | int | str | Combinable  # type: ignore[assignment]
    _pyi_private_get_type: Money  # type: ignore[assignment]
    def __init__(
        self,
        verbose_name: Any = ...,
        name: Any = ...,
        max_digits: int | None = ...,
        decimal_places: int | None = ...,
        default: Any = ...,
        default_currency: Any = ...,
        currency_choices: Any = ...,
        currency_max_length: int = ...,
        currency_field_name: str | None = ...,
        money_descriptor_class: Any = ...,
        **kwargs: Any,
    ) -> None: ...

class CurrencyField(CharField):
    def __init__(self, *args: Any, **kwargs: Any) -> None: ...

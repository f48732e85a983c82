"""Serializer mixins and fields every app's API shares: text cleaned on input (`core.text`) and
one file per field."""

from typing import Any

from rest_framework import serializers
from rest_framework.exceptions import ValidationError

from core.forms import SEVERAL_FILES
from core.text import multi_line, single_line


class TextCleaning(serializers.Serializer):  # type: ignore[type-arg]
    """Serializer mixin (put it first among the bases): every text field's input is cleaned by
    `core.text`. A field is one line when it is named in `single_line_fields`, or has a
    `max_length` and is not styled as a text area (DRF's own mark for a model's TextField);
    any other text keeps its newlines and tabs (`multi_line`)."""

    single_line_fields: tuple[str, ...] = ()

    def to_internal_value(self, data: Any) -> Any:
        values = super().to_internal_value(data)
        for name, field in self.fields.items():
            key = field.source if field.source and field.source != "*" else name
            value = values.get(key) if isinstance(values, dict) else None
            if not isinstance(value, str) or not isinstance(field, serializers.CharField):
                continue
            one_line = name in self.single_line_fields or (
                field.max_length is not None and field.style.get("base_template") != "textarea.html"
            )
            values[key] = single_line(value) if one_line else multi_line(value)
        return values


class OneFileField(serializers.FileField):
    """One file: a multipart request that sends several under this name is refused (400, on the
    field) rather than cut down to the last one, as DRF's FileField does."""

    def get_value(self, dictionary: Any) -> Any:
        sent = dictionary.getlist(self.field_name) if hasattr(dictionary, "getlist") else []
        return sent if len(sent) > 1 else super().get_value(dictionary)

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, list):
            raise ValidationError(str(SEVERAL_FILES % {"count": len(data)}), code="several_files")
        return super().to_internal_value(data)

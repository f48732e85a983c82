"""Page error mapping shared by every app: a service's ValidationError lands on the form
field it names (or on the form as a whole), so the page shows it next to what was typed."""
from django.core.exceptions import ValidationError


def form_errors_add(form, exc: ValidationError) -> None:
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)

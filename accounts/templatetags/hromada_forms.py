from django import template

register = template.Library()


@register.filter
def widget_described(field):
    """Render a field's widget with aria-describedby naming its help text and its errors, so
    screen readers announce the error with the field."""
    ids = []
    if field.help_text:
        ids.append(f"{field.auto_id}_helptext")
    if field.errors:
        ids.append(f"{field.auto_id}_error")
    attrs = {"aria-describedby": " ".join(ids)} if ids else {}
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)

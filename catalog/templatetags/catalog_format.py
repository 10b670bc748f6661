from django import template

register = template.Library()


@register.filter
def thousands(value: int | None) -> str:
    """474934 → "474,934" (the count format of the products page)."""
    try:
        return f"{int(value):,}"
    except (TypeError, ValueError):
        return ""

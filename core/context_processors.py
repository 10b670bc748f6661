from django.http import HttpRequest

SECTION_PREFIXES = (("/imports", "imports"), ("/webhooks", "webhooks"))


def section(request: HttpRequest) -> dict:
    """Which top-bar section the current page belongs to (Products is home)."""
    for prefix, name in SECTION_PREFIXES:
        if request.path.startswith(prefix):
            return {"section": name}
    return {"section": "products"}

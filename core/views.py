from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from rest_framework.authtoken.models import Token

from core.selectors import system_health


@login_not_required
@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Health of the app and its services; 503 when it cannot serve requests.

    A missing Celery worker is reported but does not make the app unhealthy:
    the web process still serves every page and queues work for later.
    """
    health = system_health()
    status = 200 if health["status"] == "ok" else 503
    return JsonResponse(health, status=status)


@require_http_methods(["GET", "POST"])
def account_token(request: HttpRequest) -> HttpResponse:
    """Shows the signed-in user's API token; POST replaces it with a new one."""
    if request.method == "POST":
        Token.objects.filter(user=request.user).delete()
    token, _ = Token.objects.get_or_create(user=request.user)
    return render(request, "core/account_token.html", {"token": token.key})

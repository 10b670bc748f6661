from django.contrib.auth import views as auth_views
from django.urls import path

from core import views
from core.apis import TokenObtainApi

urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path(
        "login/",
        auth_views.LoginView.as_view(redirect_authenticated_user=True),
        name="login",
    ),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account/token/", views.account_token, name="account-token"),
    path("api/auth/token/", TokenObtainApi.as_view(), name="api-token"),
]

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.views import ObtainAuthToken


@extend_schema(
    request=inline_serializer(
        "TokenRequest",
        {"username": serializers.CharField(), "password": serializers.CharField()},
    ),
    responses=inline_serializer("TokenResponse", {"token": serializers.CharField()}),
)
class TokenObtainApi(ObtainAuthToken):
    """Exchanges a username and password for the user's API token."""

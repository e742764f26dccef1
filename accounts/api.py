"""Token auth for scripts: POST /api/auth/token/ with username and password -> {"token": "..."}."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from accounts.lockout import lockout_response
from config.parsers import JSONObjectParser
from config.schema import ERROR_REF


class TokenView(ObtainAuthToken):
    parser_classes = [JSONObjectParser, FormParser, MultiPartParser]
    serializer_class = AuthTokenSerializer
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth_token"

    @extend_schema(
        summary="Get an API token",
        description=(
            "Send it as `Authorization: Token <token>`. The same token is returned until it is revoked "
            "(a password change revokes it). Repeated wrong passwords lock the client out for a while (429)."
        ),
        request=AuthTokenSerializer,
        responses={
            200: inline_serializer("TokenResponse", {"token": serializers.CharField()}),
            400: OpenApiResponse(response=ERROR_REF, description="wrong username or password"),
            429: OpenApiResponse(
                response=ERROR_REF, description="too many attempts: locked out or throttled"
            ),
        },
        auth=[],
    )
    def post(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        if not serializer.is_valid():
            # django-axes flags the DRF request (not the Django one its middleware sees) on a lockout.
            if getattr(request, "axes_locked_out", False):
                return lockout_response(request._request)
            raise serializers.ValidationError(serializer.errors)
        token, _created = Token.objects.get_or_create(user=serializer.validated_data["user"])
        return Response({"token": token.key})

"""Token auth for scripts: POST /api/auth/token/ with username and password -> {"token": "..."}; a person's own
settings at /api/me/."""

from drf_spectacular.utils import OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.authtoken.models import Token
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.authtoken.views import ObtainAuthToken
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.lockout import lockout_response
from accounts.models import Profile
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


class MeSerializer(serializers.Serializer):
    username = serializers.CharField(read_only=True)
    named_publicly = serializers.BooleanField(
        help_text="whether readers who are not members see your username on published work (default: no)"
    )


class MeView(APIView):
    """The signed-in person's own settings: GET reads them, PATCH changes them."""

    parser_classes = [JSONObjectParser, FormParser, MultiPartParser]
    permission_classes = [IsAuthenticated]

    @staticmethod
    def _body(user) -> dict:
        profile = Profile.objects.filter(user=user).first()
        return {"username": user.get_username(), "named_publicly": bool(profile and profile.named_publicly)}

    @extend_schema(summary="Your own settings", responses={200: MeSerializer})
    def get(self, request):
        return Response(self._body(request.user))

    @extend_schema(summary="Change your own settings", request=MeSerializer, responses={200: MeSerializer})
    def patch(self, request):
        serializer = MeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        if "named_publicly" in serializer.validated_data:
            Profile.objects.update_or_create(
                user=request.user, defaults={"named_publicly": serializer.validated_data["named_publicly"]}
            )
        return Response(self._body(request.user))

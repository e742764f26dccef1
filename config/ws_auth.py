"""Token auth for WebSocket handshakes: `Authorization: Token <key>` for scripts; the session cookie otherwise."""

from channels.db import database_sync_to_async
from channels.middleware import BaseMiddleware


@database_sync_to_async
def _user_for_token(key: str):
    from rest_framework.authtoken.models import Token

    try:
        return Token.objects.select_related("user").get(key=key).user
    except Token.DoesNotExist:
        return None


class TokenAuthMiddleware(BaseMiddleware):
    async def __call__(self, scope, receive, send):
        headers = dict(scope.get("headers", []))
        auth = headers.get(b"authorization", b"").decode("latin-1")
        if auth.lower().startswith("token "):
            user = await _user_for_token(auth[6:].strip())
            if user is not None and user.is_active:
                scope = dict(scope, user=user)
        return await super().__call__(scope, receive, send)


def _origin_tuple(scheme: str, host: str) -> tuple[str, str, int] | None:
    """(scheme, hostname, port) with the default port filled in; None when it does not parse."""
    from urllib.parse import urlsplit

    try:
        parts = urlsplit(f"{scheme}://{host}")
        port = parts.port or {"http": 80, "https": 443}.get(scheme)
    except ValueError:
        return None
    if not parts.hostname or port is None:
        return None
    return scheme, parts.hostname.lower(), port


class SameOriginValidator:
    """The WebSocket handshake's Origin must be this very site: scheme, host AND port of the handshake (its Host
    header; https behind the TLS proxy that SECURE_PROXY_SSL_HEADER names), or one of CSRF_TRUSTED_ORIGINS, and
    the host must be in ALLOWED_HOSTS. Browsers always send Origin; a handshake without one comes from a script
    (with a token), which cannot ride anyone's cookie, so it passes on to authentication.

    Channels' AllowedHostsOriginValidator compared the host only: a page on another port of the same host could
    open the room with the victim's cookie."""

    def __init__(self, application):
        self.application = application

    async def __call__(self, scope, receive, send):
        if self._allowed(scope):
            return await self.application(scope, receive, send)
        from channels.security.websocket import WebsocketDenier

        return await WebsocketDenier()(scope, receive, send)

    @staticmethod
    def _allowed(scope) -> bool:
        from django.conf import settings
        from django.http.request import split_domain_port, validate_host

        headers = {}
        for name, value in scope.get("headers", []):
            headers.setdefault(name.decode("latin-1").lower(), value.decode("latin-1"))
        origin = headers.get("origin")
        if origin is None:
            return True
        host = headers.get("host", "")
        domain, _port = split_domain_port(host)
        allowed_hosts = settings.ALLOWED_HOSTS or (
            ["localhost", "127.0.0.1", "[::1]"] if settings.DEBUG else []
        )
        if not domain or not validate_host(domain, allowed_hosts):
            return False
        scheme = "https" if scope.get("scheme") in ("wss", "https") else "http"
        proxy = settings.SECURE_PROXY_SSL_HEADER
        if proxy:
            meta_name, expected = proxy
            if headers.get(meta_name.removeprefix("HTTP_").lower().replace("_", "-")) == expected:
                scheme = "https"
        scheme_origin, _, rest = origin.partition("://")
        claimed = _origin_tuple(scheme_origin.lower(), rest) if rest and "/" not in rest else None
        if claimed is None:
            return False
        if claimed == _origin_tuple(scheme, host):
            return True
        trusted = {_origin_tuple(*o.split("://", 1)) for o in settings.CSRF_TRUSTED_ORIGINS if "://" in o}
        return claimed in trusted

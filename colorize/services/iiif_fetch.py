"""Safe fetching of IIIF manifests and images (docs/interop.md): they come from anywhere.

- only http(s); every host, including each redirect's, is resolved and refused when any address is loopback,
  private, link-local (cloud metadata), multicast, reserved or unspecified, unless its `host:port` is listed in
  IIIF_IMPORT_ALLOWED_HOSTS; the connection goes to the address that was checked (no DNS rebinding between the
  check and the connect);
- bounded: IIIF_IMPORT_TIMEOUT_SECONDS per fetch (a deadline, not per read), a byte limit per fetch, five
  redirects; the body is spooled to a temporary file.
"""

import http.client
import ipaddress
import socket
import ssl
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.utils.translation import gettext as _

MAX_REDIRECTS = 5
USER_AGENT = "FindColor-IIIF-Import/1.0"


class FetchError(Exception):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code
        self.message = message


# ---------------------------------------------------------------------------------------------------------
# Safe fetching


def _allowed(host: str, port: int) -> bool:
    return f"{host.lower()}:{port}" in {h.lower() for h in settings.IIIF_IMPORT_ALLOWED_HOSTS}


def _public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or ip in ipaddress.ip_network("100.64.0.0/10")  # carrier-grade NAT
    )


def check_url(url: str) -> tuple[str, str, int, str]:
    """(scheme, host, port, address to connect to) of a URL that may be fetched; FetchError if not."""
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise FetchError("bad_url", _("%(url)s is not a valid URL") % {"url": url[:200]}) from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise FetchError(
            "bad_url", _("only http and https URLs can be imported: %(url)s") % {"url": url[:200]}
        )
    if parts.username or parts.password:
        raise FetchError("bad_url", _("URLs with a user name or password are refused"))
    host = parts.hostname
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise FetchError("unresolvable", _("the host %(host)s could not be found") % {"host": host}) from None
    addresses = [info[4][0] for info in infos]
    if not _allowed(host, port) and not all(_public(a) for a in addresses):
        raise FetchError(
            "forbidden_host",
            _("%(host)s resolves to a private, loopback or link-local address; it is not fetched")
            % {"host": host},
        )
    return parts.scheme, host, port, addresses[0]


class _Pinned(http.client.HTTPConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout)
        self.address = address

    def connect(self):
        self.sock = socket.create_connection((self.address, self.port), self.timeout)


class _PinnedTLS(http.client.HTTPSConnection):
    def __init__(self, host, port, address, timeout):
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self.address = address

    def connect(self):
        sock = socket.create_connection((self.address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


@dataclass
class Fetched:
    url: str
    content_type: str
    file: object  # a SpooledTemporaryFile, at position 0
    size: int


REDIRECT_STATUSES = (301, 302, 303, 307, 308)


def _unreachable(url: str, exc: Exception) -> FetchError:
    return FetchError(
        "unreachable",
        _("%(url)s could not be fetched: %(reason)s") % {"url": url[:200], "reason": exc.__class__.__name__},
    )


def _too_large(url: str, max_bytes: int) -> FetchError:
    return FetchError(
        "too_large", _("%(url)s is larger than %(limit)s bytes") % {"url": url[:200], "limit": max_bytes}
    )


def _connect(url: str, deadline: float) -> http.client.HTTPConnection:
    """A connection pinned to the address check_url approved for `url` (not yet opened)."""
    scheme, host, port, address = check_url(url)
    timeout = max(0.1, deadline - time.monotonic())
    return (_PinnedTLS if scheme == "https" else _Pinned)(host, port, address, timeout)


def _get(conn: http.client.HTTPConnection, url: str, accept: str) -> http.client.HTTPResponse:
    """Send the GET for `url` on `conn` and read the response's status and headers."""
    parts = urlsplit(url)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        conn.request(
            "GET",
            path,
            headers={
                "Host": parts.netloc.rsplit("@", 1)[-1],
                "Accept": accept,
                "User-Agent": USER_AGENT,
            },
        )
        return conn.getresponse()
    except (OSError, http.client.HTTPException) as exc:
        raise _unreachable(url, exc) from None


def _redirect_target(url: str, response: http.client.HTTPResponse) -> str:
    location = response.getheader("Location")
    if not location:
        raise FetchError("bad_redirect", _("a redirect without a Location"))
    return urljoin(url, location)


def _check_final(url: str, response: http.client.HTTPResponse, max_bytes: int) -> None:
    """Refuse a final response that is not a 200, or that declares a body over max_bytes."""
    if response.status != 200:
        raise FetchError(
            "http_error",
            _("%(url)s answered HTTP %(status)s") % {"url": url[:200], "status": response.status},
        )
    declared = response.getheader("Content-Length")
    if declared and declared.isdigit() and int(declared) > max_bytes:
        raise _too_large(url, max_bytes)


def _spool_body(url: str, response: http.client.HTTPResponse, max_bytes: int, deadline: float):
    """(the body spooled to a temporary file at position 0, its size); at most max_bytes, before deadline."""
    body = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)
    size = 0
    try:
        while True:
            if time.monotonic() > deadline:
                raise FetchError("timeout", _("%(url)s took too long") % {"url": url[:200]})
            chunk = response.read(64 * 1024)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise _too_large(url, max_bytes)
            body.write(chunk)
    except (OSError, http.client.HTTPException) as exc:
        body.close()
        raise _unreachable(url, exc) from None
    except FetchError:
        body.close()
        raise
    body.seek(0)
    return body, size


def fetch(url: str, max_bytes: int, accept: str) -> Fetched:
    """GET `url` safely (see the module docstring); the body spooled to a temporary file."""
    deadline = time.monotonic() + settings.IIIF_IMPORT_TIMEOUT_SECONDS
    for _hop in range(MAX_REDIRECTS + 1):
        conn = _connect(url, deadline)
        try:
            response = _get(conn, url, accept)
            if response.status in REDIRECT_STATUSES:
                url = _redirect_target(url, response)
                continue
            _check_final(url, response, max_bytes)
            body, size = _spool_body(url, response, max_bytes, deadline)
            content_type = (response.getheader("Content-Type") or "").split(";", 1)[0].strip().lower()
            return Fetched(url, content_type, body, size)
        finally:
            conn.close()
    raise FetchError("too_many_redirects", _("more than %(n)s redirects") % {"n": MAX_REDIRECTS})

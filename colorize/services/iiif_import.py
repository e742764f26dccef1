"""Import the canvases of a IIIF Presentation 3 or 2.x manifest into a collection (docs/interop.md).

`do_request_iiif_import` checks the URL (and its host) in the request and answers with a job; the job fetches the
manifest, then for each canvas downloads the largest image available (the image service at full/max, else the
painting body) and stores it through the normal ingest path (archive.services.ingest.do_ingest_photo: format sniffed,
SHA-256, pixel limits). Each canvas is one row of the report: ok, skipped (already imported) or error with its
reason; a canvas that fails stores nothing.

Safety (the manifest and its images come from anywhere):
- only http(s); every host, including each redirect's, is resolved and refused when any address is loopback,
  private, link-local (cloud metadata), multicast, reserved or unspecified, unless its `host:port` is listed in
  IIIF_IMPORT_ALLOWED_HOSTS; the connection goes to the address that was checked (no DNS rebinding between the
  check and the connect);
- bounded: IIIF_IMPORT_TIMEOUT_SECONDS per fetch (a deadline, not per read), IIIF_IMPORT_MAX_MANIFEST_BYTES for a
  manifest, MAX_UPLOAD_BYTES for an image, IIIF_IMPORT_MAX_CANVASES, five redirects, a nesting depth of 64;
- content types: a manifest must be JSON, an image an image/* (an HTML page is refused, not ingested).
"""

import datetime
import http.client
import ipaddress
import json
import socket
import ssl
import tempfile
import time
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from archive.models import Collection, Photo
from archive.services.errors import DuplicatePhoto
from archive.services.ingest import check_upload, do_ingest_photo
from colorize.models import InteropJob, InteropKind, InteropStatus
from colorize.services.interop import counts
from config import jobs
from config.api import ServiceError, invalid

MAX_REDIRECTS = 5
MAX_DEPTH = 64
USER_AGENT = "FindColor-IIIF-Import/1.0"
JSON_TYPES = ("application/json", "application/ld+json", "text/json", "text/plain")


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


# ---------------------------------------------------------------------------------------------------------
# Manifests


def _depth_ok(value) -> bool:
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_DEPTH:
            return False
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return True


def load_manifest(url: str) -> dict:
    fetched = fetch(url, settings.IIIF_IMPORT_MAX_MANIFEST_BYTES, "application/ld+json, application/json")
    with fetched.file as f:
        data = f.read()
    if fetched.content_type not in JSON_TYPES:
        raise FetchError(
            "not_json", _("the manifest is not JSON (it is %(type)s)") % {"type": fetched.content_type or "?"}
        )
    try:
        manifest = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, ValueError):
        raise FetchError("not_json", _("the manifest is not valid JSON")) from None
    except RecursionError:
        raise FetchError("too_deep", _("the manifest is nested too deeply")) from None
    if not _depth_ok(manifest):
        raise FetchError("too_deep", _("the manifest is nested too deeply"))
    if not isinstance(manifest, dict):
        raise FetchError("not_manifest", _("the manifest is not a JSON object"))
    return manifest


def presentation_version(manifest: dict) -> int:
    context = manifest.get("@context")
    contexts = context if isinstance(context, list) else [context]
    texts = [c for c in contexts if isinstance(c, str)]
    kind = manifest.get("type") or manifest.get("@type")
    if any("presentation/3" in c for c in texts) and kind == "Manifest":
        return 3
    if any("presentation/2" in c for c in texts) and kind == "sc:Manifest":
        return 2
    raise FetchError("not_manifest", _("this is not a IIIF Presentation 3 or 2.x manifest"))


def _lang_value(value) -> tuple[str, str]:
    """(text, language) of a IIIF language map (v3) or a v2 value (string, {@value, @language}, or a list)."""
    if isinstance(value, str):
        return value, ""
    if isinstance(value, dict) and "@value" in value:
        return str(value.get("@value") or ""), str(value.get("@language") or "")
    if isinstance(value, list):
        items = [_lang_value(v) for v in value if isinstance(v, str | dict)]
        for preferred in ("ko", "en"):
            for text, lang in items:
                if lang.lower().startswith(preferred) and text:
                    return text, lang
        return items[0] if items else ("", "")
    if isinstance(value, dict):
        for key in ("ko", "en", *value.keys()):
            texts = value.get(key)
            if isinstance(texts, list) and texts and all(isinstance(t, str) for t in texts):
                return "; ".join(texts), "" if key in ("none", "@none") else key
            if isinstance(texts, str):
                return texts, "" if key in ("none", "@none") else key
    return "", ""


def _identifier(resource) -> str:
    if isinstance(resource, dict):
        value = resource.get("id") or resource.get("@id")
        return value if isinstance(value, str) else ""
    return resource if isinstance(resource, str) else ""


LABELS = {
    "creator": ("creator", "author", "photographer", "artist", "작가", "사진가", "촬영자", "제작자", "저자"),
    "date_display": ("date", "날짜", "일자", "촬영일", "연도", "date created"),
    "place": ("place", "location", "coverage", "장소", "위치", "지역"),
    "identifier": ("identifier", "call number", "식별자", "소장번호", "관리번호"),
    "rights": ("rights", "license", "권리", "저작권", "이용조건"),
}


def _title(manifest: dict, canvas: dict) -> tuple[str, str]:
    """(title, language): the canvas's own label, prefixed by the manifest's when in the same language; the
    manifest's label alone when the canvas has none or only a placeholder ("1", "image", "canvas")."""
    label, lang = _lang_value(canvas.get("label"))
    manifest_label, manifest_lang = _lang_value(manifest.get("label"))
    if not label or label.strip().lower() in ("", "1", "image", "canvas"):
        return manifest_label, manifest_lang
    if manifest_label and manifest_label != label and (not lang or lang == manifest_lang):
        return f"{manifest_label}: {label}", manifest_lang  # "부산항: p. 1"
    return label, lang


def _add_metadata_pairs(fields: dict, manifest: dict) -> None:
    """Fill the LABELS fields not yet in `fields` from the manifest's metadata label/value pairs."""
    pairs = manifest.get("metadata") if isinstance(manifest.get("metadata"), list) else []
    for pair in pairs[:200]:
        if not isinstance(pair, dict):
            continue
        name, _name_lang = _lang_value(pair.get("label"))
        value, _value_lang = _lang_value(pair.get("value"))
        if not name or not value:
            continue
        for field, names in LABELS.items():
            if name.strip().lower() in names and field not in fields:
                fields[field] = value[:300]


def _rights_text(manifest: dict, version: int) -> str:
    """The rights (v3) or license (v2) URI and the requiredStatement (v3) or attribution (v2), joined by " — "."""
    rights = manifest.get("rights") if version == 3 else manifest.get("license")
    if isinstance(rights, list):
        rights = rights[0] if rights else ""
    statement = manifest.get("requiredStatement") if version == 3 else manifest.get("attribution")
    statement_text = ""
    if isinstance(statement, dict) and "value" in statement:
        statement_text, _lang = _lang_value(statement.get("value"))
    elif statement is not None:
        statement_text, _lang = _lang_value(statement)
    return " — ".join(t for t in (rights if isinstance(rights, str) else "", statement_text) if t)


def metadata_fields(manifest: dict, canvas: dict, manifest_id: str, canvas_id: str, version: int) -> dict:
    """The Dublin Core fields of one canvas: the canvas's own label, else the manifest's; the manifest's
    summary/description, metadata pairs, rights, requiredStatement (attribution) and navDate."""
    fields: dict = {}
    label, lang = _title(manifest, canvas)
    if label:
        fields["title"], fields["title_lang"] = label[:500], lang
    summary, summary_lang = _lang_value(manifest.get("summary" if version == 3 else "description"))
    if summary:
        fields["description"], fields["description_lang"] = summary[:20000], summary_lang
    _add_metadata_pairs(fields, manifest)
    rights_text = _rights_text(manifest, version)
    if rights_text:
        fields["rights"] = rights_text[:500]
    nav = canvas.get("navDate") or manifest.get("navDate")
    if isinstance(nav, str) and _iso_day(nav[:10]):
        fields["date_from"] = fields["date_to"] = nav[:10]
        fields.setdefault("date_display", nav[:10])
    fields["source"] = source_of(manifest_id, canvas_id)
    return {k: v for k, v in fields.items() if v not in (None, "")}


def _iso_day(text: str) -> bool:
    """A navDate's day, when it is one (a malformed navDate is left out, not an error of the canvas)."""
    try:
        datetime.date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def source_of(manifest_id: str, canvas_id: str) -> str:
    """dc:source of an imported photo: the manifest and canvas URIs (the canvas alone when both do not fit)."""
    both = f"{manifest_id} {canvas_id}"
    return both if len(both) <= 300 else canvas_id[:300]


def _service_image(service, version_hint: int) -> str:
    services = service if isinstance(service, list) else [service]
    for entry in services:
        if not isinstance(entry, dict):
            continue
        kind = str(entry.get("type") or entry.get("@type") or "")
        sid = _identifier(entry)
        profile = entry.get("profile")
        profile_text = json.dumps(profile) if not isinstance(profile, str) else profile
        if not sid:
            continue
        if kind == "ImageService3" or "image/3" in str(entry.get("@context", "")):
            return f"{sid.rstrip('/')}/full/max/0/default.jpg"
        if (
            kind in ("ImageService2", "ImageService1")
            or "image/2" in str(entry.get("@context", ""))
            or ("iiif.io/api/image/2" in profile_text)
        ):
            return f"{sid.rstrip('/')}/full/full/0/default.jpg"
    return ""


def canvases(manifest: dict, version: int) -> list[dict]:
    """[{canvas id, the manifest entry, candidate image URLs (largest first), problem}] of each canvas."""
    if version == 3:
        items = manifest.get("items")
    else:
        sequences = manifest.get("sequences")
        first = sequences[0] if isinstance(sequences, list) and sequences else None
        items = first.get("canvases") if isinstance(first, dict) else None
    if not isinstance(items, list):
        raise FetchError("no_canvases", _("the manifest has no list of canvases"))
    if len(items) > settings.IIIF_IMPORT_MAX_CANVASES:
        raise FetchError(
            "too_many_canvases",
            _("the manifest has more than %(n)s canvases") % {"n": settings.IIIF_IMPORT_MAX_CANVASES},
        )
    out = []
    for index, canvas in enumerate(items):
        entry = {
            "index": index,
            "canvas": _identifier(canvas) or f"#{index + 1}",
            "raw": canvas,
            "urls": [],
            "problem": "",
        }
        if not isinstance(canvas, dict):
            entry["problem"] = _("this canvas is not an object")
        else:
            try:
                entry["urls"] = _image_urls(canvas, version)
            except (TypeError, AttributeError, KeyError, IndexError):
                entry["urls"] = []
            if not entry["urls"]:
                entry["problem"] = _("this canvas paints no image")
        out.append(entry)
    return out


def _painted_bodies_v3(canvas: dict) -> list[dict]:
    """The bodies of a Presentation 3 canvas's painting annotations (a Choice's items, in order)."""
    bodies = []
    for page in canvas.get("items") or []:
        for annotation in (page.get("items") or []) if isinstance(page, dict) else []:
            if isinstance(annotation, dict) and annotation.get("motivation") in ("painting", None):
                bodies.extend(_annotation_bodies(annotation.get("body")))
    return bodies


def _annotation_bodies(body) -> list[dict]:
    """The resources of one v3 annotation body: a Choice's items, a list's objects, or the body itself."""
    if isinstance(body, dict) and body.get("type") == "Choice":
        return [b for b in body.get("items") or [] if isinstance(b, dict)]
    if isinstance(body, list):
        return [b for b in body if isinstance(b, dict)]
    if isinstance(body, dict):
        return [body]
    return []


def _painted_bodies_v2(canvas: dict) -> list[dict]:
    """The resources of a Presentation 2 canvas's images (an oa:Choice's default)."""
    bodies = []
    for image in canvas.get("images") or []:
        resource = image.get("resource") if isinstance(image, dict) else None
        if isinstance(resource, dict) and resource.get("@type") == "oa:Choice":
            default = resource.get("default")
            bodies.extend(b for b in [default] if isinstance(b, dict))
        elif isinstance(resource, dict):
            bodies.append(resource)
    return bodies


def _image_urls(canvas: dict, version: int) -> list[str]:
    bodies = _painted_bodies_v3(canvas) if version == 3 else _painted_bodies_v2(canvas)
    urls = []
    for body in bodies[:1]:  # the first painted image (a Choice's default)
        service = _service_image(body.get("service"), version)
        if service:
            urls.append(service)
        direct = _identifier(body)
        if direct and direct not in urls:
            urls.append(direct)
    return [u for u in urls if isinstance(u, str) and u.startswith(("http://", "https://"))]


# ---------------------------------------------------------------------------------------------------------
# Services and the job


def do_request_iiif_import(user, collection: Collection, url: str) -> InteropJob:
    check_upload(user, collection)
    url = (url or "").strip()
    try:
        check_url(url)
    except FetchError as exc:
        raise invalid({"manifest": exc.message}, message=exc.message) from None
    with transaction.atomic():
        job = InteropJob.objects.create(
            collection=collection,
            kind=InteropKind.IIIF_IMPORT,
            requested_by=user,
            params={"manifest": url},
            report={"counts": {}, "results": []},
        )
        jobs.enqueue("colorize.services.iiif_import.run_iiif_import", job.pk)
    return job


def _record(job_id: int, results: list[dict], **fields) -> None:
    InteropJob.objects.filter(pk=job_id).update(
        processed=len(results),
        report={"counts": counts(results), "results": results},
        updated=timezone.now(),
        **fields,
    )


def _import_canvas(user, collection, entry: dict, manifest: dict, manifest_id: str, version: int) -> dict:
    result = {
        "canvas": entry["canvas"],
        "index": entry["index"],
        "status": "error",
        "photo_id": None,
        "code": "",
        "message": "",
        "image": "",
    }
    if entry["problem"]:
        return {**result, "code": "bad_canvas", "message": entry["problem"]}
    source = source_of(manifest_id, entry["canvas"])
    existing = Photo.objects.filter(collection=collection, source=source).values_list("pk", flat=True).first()
    if existing:
        return {
            **result,
            "status": "skipped",
            "photo_id": existing,
            "code": "already_imported",
            "message": _("this canvas was imported before"),
        }
    try:
        metadata = metadata_fields(manifest, entry["raw"], manifest_id, entry["canvas"], version)
    except (TypeError, AttributeError, ValueError):
        return {**result, "code": "bad_canvas", "message": _("this canvas's metadata could not be read")}
    last_error = None
    for url in entry["urls"]:
        try:
            fetched = fetch(url, settings.MAX_UPLOAD_BYTES, "image/*")
        except FetchError as exc:
            last_error = (exc.code, exc.message)
            continue
        with fetched.file as body:
            if not fetched.content_type.startswith("image/"):
                last_error = (
                    "not_an_image",
                    _("%(url)s is not an image (it is %(type)s)")
                    % {"url": url[:200], "type": fetched.content_type or "?"},
                )
                continue
            name = f"iiif-{entry['index'] + 1}{_extension(fetched.content_type)}"
            try:
                photo = do_ingest_photo(user, collection, body, name, metadata)
            except DuplicatePhoto as exc:
                return {
                    **result,
                    "status": "skipped",
                    "photo_id": exc.existing_id,
                    "code": "duplicate",
                    "message": exc.message,
                    "image": url,
                }
            except ServiceError as exc:
                last_error = (exc.code, str(exc.message))
                continue
        return {**result, "status": "ok", "photo_id": photo.pk, "image": url, "sha256": photo.sha256}
    code, message = last_error or ("no_image", _("no image could be fetched"))
    return {**result, "code": code, "message": message}


def _extension(content_type: str) -> str:
    return {"image/jpeg": ".jpg", "image/png": ".png", "image/tiff": ".tif"}.get(content_type, "")


def run_iiif_import(job_id: int) -> str:
    """Job: fetch the manifest, import each canvas, report after each. A retried job skips the canvases
    already imported (their dc:source is there)."""
    job = InteropJob.objects.select_related("collection", "requested_by").filter(pk=job_id).first()
    if job is None or job.status in (InteropStatus.DONE, InteropStatus.FAILED):
        return "gone" if job is None else job.status
    InteropJob.objects.filter(pk=job_id).update(status=InteropStatus.RUNNING, updated=timezone.now())
    url = job.params.get("manifest", "")
    results: list[dict] = []
    try:
        if job.requested_by is None:
            raise FetchError("not_allowed", _("the person who asked for this import is gone"))
        check_upload(job.requested_by, job.collection)
        manifest = load_manifest(url)
        version = presentation_version(manifest)
        manifest_id = _identifier(manifest) or url
        entries = canvases(manifest, version)
        InteropJob.objects.filter(pk=job_id).update(total=len(entries))
        for entry in entries:
            results.append(
                _import_canvas(job.requested_by, job.collection, entry, manifest, manifest_id, version)
            )
            _record(job_id, results)
    except FetchError as exc:
        _record(job_id, results, status=InteropStatus.FAILED, error=exc.message)
        return "failed"
    except ServiceError as exc:  # the requester lost the right to add photos
        _record(job_id, results, status=InteropStatus.FAILED, error=str(exc.message))
        return "failed"
    _record(job_id, results, status=InteropStatus.DONE)
    return "done"

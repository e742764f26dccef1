"""IIIF import (colorize/services/iiif_import.py) from a local manifest server: Presentation 3 and 2.x with
Korean labels, the largest image, Dublin Core with languages, dc:source, re-import, SSRF and hostile manifests."""

import hashlib
import http.server
import io
import json
import threading

import pytest
from PIL import Image

from archive.models import Photo

pytestmark = [pytest.mark.django_db(transaction=True)]


def _jpeg(width, height, shade) -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (width, height), shade).save(buffer, format="JPEG")
    return buffer.getvalue()


class Server:
    """A manifest and image server on 127.0.0.1: routes map a path to (status, content type, body, headers)."""

    def __init__(self):
        self.routes: dict[str, tuple] = {}
        routes = self.routes

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                status, ctype, body, headers = routes.get(self.path, (404, "text/plain", b"no", {}))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(body)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def json(self, path, data):
        self.routes[path] = (200, "application/ld+json", json.dumps(data, ensure_ascii=False).encode(), {})

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server(settings):
    s = Server()
    settings.IIIF_IMPORT_ALLOWED_HOSTS = [f"127.0.0.1:{s.port}"]
    yield s
    s.close()


BIG = _jpeg(120, 90, 100)  # what the image service gives at full/max
SMALL = _jpeg(40, 30, 100)  # the painting body's own (smaller) file
PLAIN = _jpeg(50, 40, 180)


def v3_manifest(base):
    return {
        "@context": "http://iiif.io/api/presentation/3/context.json",
        "id": f"{base}/v3/manifest.json",
        "type": "Manifest",
        "label": {"ko": ["서울역 전경"], "en": ["Seoul Station"]},
        "summary": {"ko": ["1950년대 서울역 앞 광장"]},
        "metadata": [
            {"label": {"ko": ["작가"]}, "value": {"none": ["김철수"]}},
            {"label": {"en": ["Place"]}, "value": {"en": ["Seoul"]}},
            {"label": {"en": ["Identifier"]}, "value": {"none": ["ARC-1950-001"]}},
        ],
        "rights": "http://creativecommons.org/licenses/by/4.0/",
        "requiredStatement": {"label": {"en": ["Attribution"]}, "value": {"ko": ["국가기록원 제공"]}},
        "navDate": "1953-07-27T00:00:00Z",
        "items": [
            {
                "id": f"{base}/v3/canvas/1",
                "type": "Canvas",
                "label": {"ko": ["서울역 전경"]},
                "width": 120,
                "height": 90,
                "items": [
                    {
                        "id": f"{base}/v3/page/1",
                        "type": "AnnotationPage",
                        "items": [
                            {
                                "id": f"{base}/v3/anno/1",
                                "type": "Annotation",
                                "motivation": "painting",
                                "target": f"{base}/v3/canvas/1",
                                "body": {
                                    "id": f"{base}/small.jpg",
                                    "type": "Image",
                                    "format": "image/jpeg",
                                    "service": [
                                        {
                                            "id": f"{base}/iiif/big",
                                            "type": "ImageService3",
                                            "profile": "level1",
                                        }
                                    ],
                                },
                            }
                        ],
                    }
                ],
            },
            {
                "id": f"{base}/v3/canvas/2",
                "type": "Canvas",
                "label": {"en": ["Back of the print"]},
                "width": 50,
                "height": 40,
                "items": [
                    {
                        "id": f"{base}/v3/page/2",
                        "type": "AnnotationPage",
                        "items": [
                            {
                                "id": f"{base}/v3/anno/2",
                                "type": "Annotation",
                                "motivation": "painting",
                                "target": f"{base}/v3/canvas/2",
                                "body": {"id": f"{base}/plain.jpg", "type": "Image", "format": "image/jpeg"},
                            }
                        ],
                    }
                ],
            },
        ],
    }


def v2_manifest(base):
    return {
        "@context": "http://iiif.io/api/presentation/2/context.json",
        "@id": f"{base}/v2/manifest.json",
        "@type": "sc:Manifest",
        "label": [{"@value": "부산항", "@language": "ko"}, {"@value": "Busan harbour", "@language": "en"}],
        "description": "Harbour at dawn",
        "metadata": [{"label": "Date", "value": "c. 1951"}],
        "attribution": "Busan City Archives",
        "sequences": [
            {
                "@type": "sc:Sequence",
                "canvases": [
                    {
                        "@id": f"{base}/v2/canvas/1",
                        "@type": "sc:Canvas",
                        "label": "p. 1",
                        "width": 120,
                        "height": 90,
                        "images": [
                            {
                                "@type": "oa:Annotation",
                                "motivation": "sc:painting",
                                "on": f"{base}/v2/canvas/1",
                                "resource": {
                                    "@id": f"{base}/small.jpg",
                                    "@type": "dctypes:Image",
                                    "service": {
                                        "@context": "http://iiif.io/api/image/2/context.json",
                                        "@id": f"{base}/iiif2/big",
                                        "profile": "http://iiif.io/api/image/2/level1.json",
                                    },
                                },
                            }
                        ],
                    }
                ],
            }
        ],
    }


def _serve_images(server):
    server.routes["/iiif/big/full/max/0/default.jpg"] = (200, "image/jpeg", BIG, {})
    server.routes["/iiif2/big/full/full/0/default.jpg"] = (200, "image/jpeg", BIG, {})
    server.routes["/small.jpg"] = (200, "image/jpeg", SMALL, {})
    server.routes["/plain.jpg"] = (200, "image/jpeg", PLAIN, {})


def _import(client, collection, url, expect=202):
    response = client.post(
        f"/api/collections/{collection.pk}/imports/iiif/", {"manifest": url}, content_type="application/json"
    )
    assert response.status_code == expect, response.content
    if expect != 202:
        return response.json()
    assert response["Location"] == response.json()["status_url"]
    return client.get(response.json()["status_url"]).json()  # JOB_BACKEND=sync: done by now


def test_a_curator_imports_a_presentation_3_manifest_with_korean_labels(people, server, client_for):
    _serve_images(server)
    server.json("/v3/manifest.json", v3_manifest(server.url))
    job = _import(client_for(people.curator), people.collection, f"{server.url}/v3/manifest.json")
    assert job["status"] == "done", job
    assert job["total"] == 2 and job["processed"] == 2 and job["counts"] == {"ok": 2}
    first = Photo.objects.get(pk=job["results"][0]["photo_id"])
    # The largest image: the image service's full/max, not the body's own smaller file.
    assert first.sha256 == hashlib.sha256(BIG).hexdigest() and (first.width, first.height) == (120, 90)
    assert job["results"][0]["sha256"] == first.sha256
    assert (first.title, first.title_lang) == ("서울역 전경", "ko")
    assert (first.description, first.description_lang) == ("1950년대 서울역 앞 광장", "ko")
    assert first.creator == "김철수" and first.place == "Seoul" and first.identifier == "ARC-1950-001"
    assert (
        first.rights.startswith("http://creativecommons.org/licenses/by/4.0/")
        and "국가기록원 제공" in first.rights
    )
    assert first.date_from.isoformat() == "1953-07-27"
    assert f"{server.url}/v3/manifest.json" in first.source and f"{server.url}/v3/canvas/1" in first.source
    second = Photo.objects.get(pk=job["results"][1]["photo_id"])
    assert second.sha256 == hashlib.sha256(PLAIN).hexdigest()
    assert (second.title, second.title_lang) == ("Back of the print", "en")


def test_a_malformed_nav_date_is_left_out_and_the_canvas_still_imported(people, server, client_for):
    _serve_images(server)
    manifest = v3_manifest(server.url)
    manifest["navDate"] = "1953-13-45T00:00:00Z"
    server.json("/v3/manifest.json", manifest)
    job = _import(client_for(people.curator), people.collection, f"{server.url}/v3/manifest.json")
    assert job["counts"] == {"ok": 2}, job
    assert Photo.objects.get(pk=job["results"][0]["photo_id"]).date_from is None


def test_re_importing_skips_the_canvases_already_imported(people, server, client_for):
    _serve_images(server)
    server.json("/v3/manifest.json", v3_manifest(server.url))
    client = client_for(people.curator)
    _import(client, people.collection, f"{server.url}/v3/manifest.json")
    again = _import(client, people.collection, f"{server.url}/v3/manifest.json")
    assert again["status"] == "done" and again["counts"] == {"skipped": 2}
    assert {r["code"] for r in again["results"]} == {"already_imported"}
    assert Photo.objects.filter(collection=people.collection).count() == 2


def test_a_presentation_2_manifest_is_imported_with_its_languages(people, server, client_for):
    _serve_images(server)
    server.json("/v2/manifest.json", v2_manifest(server.url))
    job = _import(client_for(people.curator), people.collection, f"{server.url}/v2/manifest.json")
    assert job["counts"] == {"ok": 1}, job
    photo = Photo.objects.get(pk=job["results"][0]["photo_id"])
    assert photo.sha256 == hashlib.sha256(BIG).hexdigest()  # the v2 image service's full/full
    assert (photo.title, photo.title_lang) == ("부산항: p. 1", "ko")
    assert photo.description == "Harbour at dawn" and photo.date_display == "c. 1951"
    assert photo.rights == "Busan City Archives"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/manifest.json",
        "http://localhost/manifest.json",
        "http://169.254.169.254/latest/meta-data/",
        "http://10.0.0.8/manifest.json",
        "http://192.168.1.1/manifest.json",
        "http://[::1]/manifest.json",
        "http://[::ffff:127.0.0.1]/manifest.json",
        "file:///etc/passwd",
        "gopher://example.org/",
        "not a url",
    ],
)
def test_private_loopback_link_local_and_non_http_addresses_are_refused_at_once(people, client_for, url):
    body = _import(client_for(people.curator), people.collection, url, expect=400)
    assert body["error"]["fields"]["manifest"]
    assert Photo.objects.count() == 0


def test_a_redirect_to_a_private_address_is_checked_again_and_refused(people, server, client_for):
    server.routes["/moved.json"] = (302, "text/plain", b"", {"Location": "http://127.0.0.1:9/manifest.json"})
    job = _import(client_for(people.curator), people.collection, f"{server.url}/moved.json")
    assert job["status"] == "failed" and "127.0.0.1" in job["error"]
    # An image link that redirects to the metadata address fails that canvas alone.
    manifest = v3_manifest(server.url)
    del manifest["items"][0]["items"][0]["items"][0]["body"]["service"]
    server.routes["/small.jpg"] = (302, "text/plain", b"", {"Location": "http://169.254.169.254/latest/"})
    server.routes["/plain.jpg"] = (200, "image/jpeg", PLAIN, {})
    server.json("/v3/manifest.json", manifest)
    job = _import(client_for(people.curator), people.collection, f"{server.url}/v3/manifest.json")
    assert job["counts"] == {"error": 1, "ok": 1}
    assert job["results"][0]["code"] == "forbidden_host"


def test_an_owner_of_another_collection_and_a_viewer_may_not_import(people, server, client_for):
    server.json("/v3/manifest.json", v3_manifest(server.url))
    url = f"{server.url}/v3/manifest.json"
    assert _import(client_for(people.viewer), people.collection, url, expect=403)
    assert _import(client_for(people.outsider), people.collection, url, expect=404)


HOSTILE = {
    "html": (200, "text/html", b"<html><body>not a manifest</body></html>", "not_json"),
    "broken": (200, "application/json", b'{"items": [', "not_json"),
    "deep": (200, "application/json", b"[" * 5000 + b"]" * 5000, "too_deep"),
    "huge": (200, "application/json", b'{"x": "' + b"a" * 300_000 + b'"}', "too_large"),
    "array": (200, "application/json", b"[1, 2, 3]", "not_manifest"),
    "not_iiif": (200, "application/json", b'{"hello": "world"}', "not_manifest"),
    "missing": (404, "text/plain", b"gone", "http_error"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_a_hostile_or_malformed_manifest_fails_clearly_and_stores_nothing(
    people, server, client_for, settings, name
):
    settings.IIIF_IMPORT_MAX_MANIFEST_BYTES = 200_000
    status, ctype, body, _code = HOSTILE[name]
    server.routes[f"/{name}.json"] = (status, ctype, body, {})
    job = _import(client_for(people.curator), people.collection, f"{server.url}/{name}.json")
    assert job["status"] == "failed"
    assert job["error"]  # a sentence, not a traceback
    assert "Traceback" not in job["error"]
    assert Photo.objects.count() == 0


def test_wrong_types_and_an_image_link_to_html_fail_their_canvas_alone(people, server, client_for):
    manifest = v3_manifest(server.url)
    manifest["items"][0]["items"][0]["items"][0]["body"] = {"id": f"{server.url}/page.html", "type": "Image"}
    manifest["items"].extend(
        [42, {"id": "x", "type": "Canvas", "items": "nope"}, {"type": "Canvas", "label": 7}]
    )
    server.routes["/page.html"] = (200, "text/html", b"<html>login</html>", {})
    server.routes["/plain.jpg"] = (200, "image/jpeg", PLAIN, {})
    server.json("/v3/manifest.json", manifest)
    job = _import(client_for(people.curator), people.collection, f"{server.url}/v3/manifest.json")
    assert job["status"] == "done" and job["total"] == 5
    codes = [r["code"] for r in job["results"]]
    assert codes[0] == "not_an_image" and codes[1] == "" and codes[2:] == ["bad_canvas"] * 3
    assert all(r["message"] for r in job["results"] if r["status"] == "error")
    assert Photo.objects.count() == 1  # only the good canvas


def test_a_korean_curator_reads_the_refusal_in_korean(people, client_for):
    client = client_for(people.curator)
    response = client.post(
        f"/api/collections/{people.collection.pk}/imports/iiif/",
        {"manifest": "http://127.0.0.1:9/m.json"},
        content_type="application/json",
        HTTP_ACCEPT_LANGUAGE="ko",
    )
    assert response.status_code == 400
    assert response.json()["error"]["message"] == (
        "127.0.0.1의 주소가 사설, 루프백 또는 링크 로컬 주소여서 가져오지 않습니다"
    )


def test_the_collection_page_offers_import_to_curators_and_export_to_reviewers_and_owners(people, client_for):
    url = f"/collections/{people.collection.pk}/"
    seen = {}
    for name in ("owner", "reviewer", "curator", "viewer"):
        html = client_for(getattr(people, name)).get(url).content.decode()
        seen[name] = ('id="iiif-import-open"' in html, 'id="bagit-export-open"' in html)
    assert seen == {
        "owner": (True, True),
        "reviewer": (True, True),
        "curator": (True, False),
        "viewer": (False, False),
    }
    korean = client_for(people.owner).get(url, HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    assert "IIIF에서 가져오기" in korean and "BagIt으로 내보내기" in korean

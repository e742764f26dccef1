"""Helpers the browser tests share: upload a generated photo through the API as the signed-in page."""

import base64
import io

from PIL import Image

UPLOAD = """async ([url, name, title, b64]) => {
  const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
  const form = new FormData();
  form.append("file", new File([bytes], name, {type: "image/png"}));
  form.append("title", title);
  const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
  const r = await fetch(url, {method: "POST", body: form, headers: {"X-CSRFToken": csrf}});
  return [r.status, await r.json()];
}"""


def png_bytes(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def upload_photo(page, ui_server, image: Image.Image, name: str, title: str, collection=None) -> dict:
    """POST the image to a collection (default: the seeded one) as the page's user; returns the photo JSON."""
    url = f"{ui_server.url}/api/collections/{collection or ui_server.seed['collection']}/photos/"
    status, body = page.evaluate(UPLOAD, [url, name, title, base64.b64encode(png_bytes(image)).decode()])
    assert status == 201, body
    return body


def wait_for_ingest(page, ui_server, photo_id: int) -> None:
    """Wait (on the photo's state, not a clock) until its derivatives, the IIIF pyramid among them, are done."""
    status = f"fetch('{ui_server.url}/api/photos/{photo_id}/').then((r) => r.json()).then((p) => p.derivatives_status)"
    page.wait_for_function(f"{status}.then((s) => s !== 'pending')", polling=200, timeout=120_000)

"""The media serving policy, for local media (colorize/media.py) and the S3 storage (config/storage.py) alike.

The Content-Type comes from an allowlist of image extensions (anything else is application/octet-stream), and
files that users supplied (originals, references, evidence images) are attachments (docs/uploads.md).
"""

import posixpath

# The only types media is ever served as.
MEDIA_TYPES = {
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
    ".tif": "image/tiff",
    ".tiff": "image/tiff",
    ".webp": "image/webp",
}
FALLBACK_TYPE = "application/octet-stream"
# Files whose bytes came from a user: never shown inline on the platform's origin.
USER_SUPPLIED = ("originals", "references", "collection-references", "hint-evidence")


def media_type(name: str) -> str:
    return MEDIA_TYPES.get(posixpath.splitext(name)[1].lower(), FALLBACK_TYPE)


def is_user_supplied(name: str) -> bool:
    parts = name.split("/")
    if parts[0] in USER_SUPPLIED:
        return True
    return parts[0] == "runs" and parts[-1].startswith("reference-")


def must_download(name: str) -> bool:
    return is_user_supplied(name) or media_type(name) == FALLBACK_TYPE

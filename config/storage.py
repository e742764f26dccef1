"""The S3 media storage: every object gets its Content-Type from the image allowlist, never from the client.

django-storages would otherwise take an upload's client-declared content type (or guess one from the name),
so a file uploaded as `text/html` would be served as a page from the bucket. User-supplied files are also
stored with `Content-Disposition: attachment` (the policy of config/media_policy.py; see docs/uploads.md).
"""

import logging
import posixpath

from django.db import transaction
from storages.backends.s3 import S3Storage

from config.media_policy import media_type, must_download

log = logging.getLogger(__name__)


class MediaS3Storage(S3Storage):
    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        params["ContentType"] = media_type(name)
        if must_download(name):
            params["ContentDisposition"] = f'attachment; filename="{posixpath.basename(name)}"'
        return params


def delete_quietly(storage, name: str) -> None:
    """Delete a stored file, logging instead of raising when that fails: it runs after a commit (the row that
    named the file is gone), where an error could only lose the request's answer, not the file."""
    try:
        storage.delete(name)
    except Exception as exc:  # noqa: BLE001
        log.warning("could not delete %s: %s", name, exc)


def files_go_with_the_row(*fields: str):
    """A post_delete receiver: the deleted row's files (these FileFields) are deleted once the deletion commits,
    whoever deleted it (a service, the admin, the cascade of a deleted collection). Connect it with weak=False."""

    def receiver(sender, instance, **kwargs):
        for field in fields:
            field_file = getattr(instance, field)
            if field_file and field_file.name:
                storage, name = field_file.storage, field_file.name
                transaction.on_commit(lambda storage=storage, name=name: delete_quietly(storage, name))

    return receiver

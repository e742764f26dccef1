"""The S3 media storage: every object gets its Content-Type from the image allowlist, never from the client.

django-storages would otherwise take an upload's client-declared content type (or guess one from the name),
so a file uploaded as `text/html` would be served as a page from the bucket. User-supplied files are also
stored with `Content-Disposition: attachment` (the policy of config/media_policy.py; see docs/uploads.md).
"""

import posixpath

from storages.backends.s3 import S3Storage

from config.media_policy import media_type, must_download


class MediaS3Storage(S3Storage):
    def get_object_parameters(self, name):
        params = super().get_object_parameters(name)
        params["ContentType"] = media_type(name)
        if must_download(name):
            params["ContentDisposition"] = f'attachment; filename="{posixpath.basename(name)}"'
        return params

"""The body limit of file uploads, apart from every other request's.

Quart fixes a request's body limit when the request object is made, before any view runs,
from ``MAX_CONTENT_LENGTH`` (the 1 MiB of ``LEGION_MAX_BODY_BYTES``). The few paths that
take a file (the knowledge base's, SPEC §15) get ``LEGION_MAX_UPLOAD_BYTES`` instead; past
it the request is a 413 (at once when ``Content-Length`` says so, else as soon as the body
passes it), and the multipart parser spools the file to disk rather than memory.
"""

from __future__ import annotations

import re

from quart.wrappers import Request

UPLOAD_PATHS = re.compile(r"/(v1|developer)/apps/[^/]+/context")


def request_class(max_upload_bytes: int) -> type[Request]:
    class UploadingRequest(Request):
        def __init__(self, method: str, scheme: str, path: str, *args, **kwargs) -> None:
            uploading = method == "POST" and UPLOAD_PATHS.fullmatch(path) is not None
            if uploading:
                kwargs["max_content_length"] = max_upload_bytes
            super().__init__(method, scheme, path, *args, **kwargs)
            if uploading:
                self.max_content_length = max_upload_bytes  # the multipart parser's limit

    return UploadingRequest

"""The body limit of file uploads, apart from every other request's.

Quart fixes a request's body limit when the request object is made, before any view runs,
from ``MAX_CONTENT_LENGTH`` (the 1 MiB of ``LEGION_MAX_BODY_BYTES``). The few paths that
take a file (the knowledge base's, SPEC §15) get :func:`upload_body_limit` instead: the
file limit ``LEGION_MAX_UPLOAD_BYTES`` plus what multipart framing adds, so that a file of
exactly the limit is taken. Past it the request is a 413 (at once when ``Content-Length``
says so, else as soon as the body passes it), and the multipart parser spools the file to
disk rather than memory. The views then hold each file itself to the limit
(:func:`file_size`).
"""

from __future__ import annotations

import os
import re

from quart.datastructures import FileStorage
from quart.wrappers import Request

UPLOAD_PATHS = re.compile(r"/(v1|developer)/apps/[^/]+/context")
# Boundaries, part headers and the form's other fields (a CSRF token) around the file.
MULTIPART_ALLOWANCE = 64 * 1024


def upload_body_limit(max_upload_bytes: int) -> int:
    return max_upload_bytes + MULTIPART_ALLOWANCE


def file_size(file: FileStorage) -> int:
    """The size of an uploaded file as received (spooled), without reading it."""
    stream = file.stream
    position = stream.tell()
    size = stream.seek(0, os.SEEK_END)
    stream.seek(position)
    return size


def request_class(max_upload_bytes: int) -> type[Request]:
    body_limit = upload_body_limit(max_upload_bytes)

    class UploadingRequest(Request):
        def __init__(self, method: str, scheme: str, path: str, *args, **kwargs) -> None:
            uploading = method == "POST" and UPLOAD_PATHS.fullmatch(path) is not None
            if uploading:
                kwargs["max_content_length"] = body_limit
            super().__init__(method, scheme, path, *args, **kwargs)
            if uploading:
                self.max_content_length = body_limit  # the multipart parser's limit

    return UploadingRequest

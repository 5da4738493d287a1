"""From an uploaded file to searchable chunks, off the request path (SPEC §15).

The upload only checks the file's type and size, keeps its bytes in a private temporary
file, and writes the document as ``processing``, owned by this server process. One worker
per process then reads the text (``formats.py``), cuts it into chunks (``chunking.py``)
and embeds them (``embedding.py``) on a thread of its own, stores the chunks a batch per
transaction, and marks the document ``ready``, or ``failed`` with the reason. A document
whose process died is failed by any live process within a minute (the heartbeat's
recovery), and a process that stops fails its own unfinished ones; the app's other
documents are never touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..storage import Database
from . import store
from .chunking import chunk_text
from .embedding import Embedder, chunk_vectors
from .formats import SUPPORTED, DocumentError, clean_filename, extract, kind_of

log = logging.getLogger("widget_server.knowledge")

CHUNKS_PER_WRITE = 100
COPY_BLOCK = 1024 * 1024
UNREADABLE = "The file could not be processed."


class UploadRefused(Exception):
    """A file refused at upload: its HTTP status and the reason."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass(frozen=True)
class _Job:
    document_pk: int
    app_id: int
    kind: str
    path: Path


@dataclass(frozen=True)
class _Prepared:
    chunks: list[str]
    blobs: list[bytes]
    pages: int | None


class Ingestor:
    def __init__(
        self,
        db: Database,
        embedder: Embedder,
        process_id: str,
        on_ready: Callable[[int], None],
    ) -> None:
        self.db = db
        self.embedder = embedder
        self.process_id = process_id
        self.on_ready = on_ready
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="knowledge")
        self._folder = Path(tempfile.mkdtemp(prefix="legion-knowledge-"))
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._worker: asyncio.Task | None = None

    def start(self) -> None:
        self._worker = asyncio.get_running_loop().create_task(self._work_forever())

    async def accept(self, app_id: int, filename: str | None, media_type: str | None, stream):
        """Keep the upload and queue it; the document row (``processing``), or
        :class:`UploadRefused` for a file of no supported type or an empty one."""
        name = clean_filename(filename)
        loop = asyncio.get_running_loop()
        path, size, head = await loop.run_in_executor(None, self._keep, stream)
        kind = kind_of(name, media_type, head)
        refusal = None
        if size == 0:
            refusal = UploadRefused(400, "invalid_request", f"The file {name} is empty.")
        elif kind is None:
            refusal = UploadRefused(
                415,
                "unsupported_media_type",
                f"The file {name} is of a type the knowledge base does not read; it takes "
                f"{SUPPORTED} files.",
            )
        if refusal is not None:
            path.unlink(missing_ok=True)
            raise refusal
        try:
            document = await self.db.write(
                lambda conn: store.create_document(conn, app_id, name, kind, size, self.process_id)
            )
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        self._queue.put_nowait(_Job(document.pk, app_id, kind, path))
        return document

    def _keep(self, stream: BinaryIO) -> tuple[Path, int, bytes]:
        """On a thread: the upload's bytes into a file of our own."""
        handle = tempfile.NamedTemporaryFile(dir=self._folder, delete=False)  # noqa: SIM115
        size, head = 0, b""
        with handle:
            while block := stream.read(COPY_BLOCK):
                if not head:
                    head = block[:1024]
                handle.write(block)
                size += len(block)
        return Path(handle.name), size, head

    async def _work_forever(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self._process(job)
            except Exception:
                log.exception("knowledge document %d could not be processed", job.document_pk)
            finally:
                job.path.unlink(missing_ok=True)

    async def _process(self, job: _Job) -> None:
        loop = asyncio.get_running_loop()
        try:
            prepared = await loop.run_in_executor(self._thread, self._prepare, job)
        except DocumentError as refusal:
            await self._finish(job, error=str(refusal))
            return
        except Exception:
            log.exception("could not read knowledge document %d", job.document_pk)
            await self._finish(job, error=UNREADABLE)
            return
        for first in range(0, len(prepared.chunks), CHUNKS_PER_WRITE):
            last = first + CHUNKS_PER_WRITE
            stored = await self.db.write(
                lambda conn, first=first, last=last: store.add_chunks(
                    conn,
                    job.document_pk,
                    job.app_id,
                    first,
                    prepared.chunks[first:last],
                    prepared.blobs[first:last],
                    self.process_id,
                )
            )
            if not stored:
                return  # deleted (or taken for dead) meanwhile
        await self._finish(job, pages=prepared.pages)

    def _prepare(self, job: _Job) -> _Prepared:
        """On the worker thread: text, chunks, vectors."""
        extracted = extract(job.kind, job.path.read_bytes())
        chunks = chunk_text(extracted.text)
        return _Prepared(chunks, chunk_vectors(self.embedder, chunks), extracted.pages)

    async def _finish(self, job: _Job, *, error: str | None = None, pages: int | None = None):
        await self.db.write(
            lambda conn: store.finish_document(
                conn, job.document_pk, self.process_id, error=error, pages=pages
            )
        )
        if error is None:
            self.on_ready(job.app_id)

    async def close(self) -> None:
        """Stop; this process's unfinished documents are failed (upload again)."""
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
        self._thread.shutdown(wait=False, cancel_futures=True)
        try:
            await self.db.write(
                lambda conn: store.fail_orphaned(conn, None, process_id=self.process_id)
            )
        except Exception:
            log.exception("could not fail the unfinished knowledge documents")
        shutil.rmtree(self._folder, ignore_errors=True)

"""Knowledge documents and their chunks, as rows: every query of the knowledge base.

Functions take a synchronous connection, run through :meth:`Database.write` or
:meth:`Database.read_call`. Every look-up is by app first, so another app's document id is
simply not found (404), and a search never reaches another app's chunks.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import (
    Connection,
    column,
    delete,
    func,
    insert,
    literal_column,
    select,
    table,
    text,
    update,
)
from sqlalchemy.engine import Row

from ..clock import iso, utcnow
from ..storage.heartbeat import is_dead_process
from ..storage.schema import knowledge_chunks, knowledge_documents

PROCESSING, READY, FAILED = "processing", "ready", "failed"
INTERRUPTED = "Processing was interrupted (the server stopped); upload the file again."
_fts = table("knowledge_chunks_fts", column("rowid"))
_SEARCH_VECTOR = literal_column("knowledge_chunks.search_vector")  # PostgreSQL only


def new_context_id() -> str:
    return f"ctx_{secrets.token_hex(12)}"


def document_out(row: Row) -> dict:
    """A document as the API shows it (SPEC §15)."""
    return {
        "id": row.id,
        "object": "context",
        "filename": row.filename,
        "type": row.kind,
        "bytes": row.size_bytes,
        "status": row.status,
        "reason": row.error,
        "pages": row.pages,
        "chunks": row.chunk_count,
        "created_at": iso(row.created_at),
        "updated_at": iso(row.updated_at),
    }


def create_document(
    conn: Connection, app_id: int, filename: str, kind: str, size: int, process_id: str
) -> Row:
    now = utcnow()
    pk = conn.execute(
        insert(knowledge_documents)
        .values(
            id=new_context_id(),
            app_id=app_id,
            filename=filename,
            kind=kind,
            size_bytes=size,
            status=PROCESSING,
            created_at=now,
            updated_at=now,
            process_id=process_id,
        )
        .returning(knowledge_documents.c.pk)
    ).scalar_one()
    return document_by_pk(conn, pk)


def document_by_pk(conn: Connection, pk: int) -> Row | None:
    return conn.execute(select(knowledge_documents).where(knowledge_documents.c.pk == pk)).first()


def get_document(conn: Connection, app_id: int, context_id: str) -> Row | None:
    return conn.execute(
        select(knowledge_documents).where(
            knowledge_documents.c.app_id == app_id, knowledge_documents.c.id == context_id
        )
    ).first()


def list_documents(conn: Connection, app_id: int) -> list[Row]:
    return list(
        conn.execute(
            select(knowledge_documents)
            .where(knowledge_documents.c.app_id == app_id)
            .order_by(knowledge_documents.c.pk.desc())
        )
    )


def delete_document(conn: Connection, app_id: int, context_id: str) -> bool:
    removed = conn.execute(
        delete(knowledge_documents).where(
            knowledge_documents.c.app_id == app_id, knowledge_documents.c.id == context_id
        )
    )
    return bool(removed.rowcount)


def _still_ours(conn: Connection, pk: int, process_id: str) -> bool:
    row = conn.execute(
        select(knowledge_documents.c.status, knowledge_documents.c.process_id).where(
            knowledge_documents.c.pk == pk
        )
    ).first()
    return row is not None and row.status == PROCESSING and row.process_id == process_id


def add_chunks(
    conn: Connection,
    document_pk: int,
    app_id: int,
    first_position: int,
    contents: list[str],
    blobs: list[bytes],
    process_id: str,
) -> bool:
    """Store some of a document's chunks; False (nothing stored) when the document was
    deleted or taken for dead meanwhile."""
    if not _still_ours(conn, document_pk, process_id):
        return False
    conn.execute(
        insert(knowledge_chunks),
        [
            {
                "document_pk": document_pk,
                "app_id": app_id,
                "position": first_position + offset,
                "content": content,
                "embedding": blob,
            }
            for offset, (content, blob) in enumerate(zip(contents, blobs, strict=True))
        ],
    )
    return True


def finish_document(
    conn: Connection,
    document_pk: int,
    process_id: str,
    *,
    error: str | None = None,
    pages: int | None = None,
) -> bool:
    """``ready`` (with its page and chunk counts) or ``failed`` with the reason (its chunks
    deleted); False when it was no longer this process's to finish."""
    if not _still_ours(conn, document_pk, process_id):
        return False
    values: dict = {"updated_at": utcnow(), "process_id": None}
    if error is not None:
        conn.execute(delete(knowledge_chunks).where(knowledge_chunks.c.document_pk == document_pk))
        values.update(status=FAILED, error=error, chunk_count=0)
    else:
        count = conn.execute(
            select(func.count()).where(knowledge_chunks.c.document_pk == document_pk)
        ).scalar_one()
        values.update(status=READY, pages=pages, chunk_count=count)
    conn.execute(
        update(knowledge_documents).where(knowledge_documents.c.pk == document_pk).values(**values)
    )
    return True


def fail_orphaned(conn: Connection, alive_since: datetime, process_id: str | None = None) -> int:
    """Fail the documents whose process stopped beating (or this one, when it stops)."""
    which = (
        knowledge_documents.c.process_id == process_id
        if process_id is not None
        else is_dead_process(knowledge_documents.c.process_id, alive_since)
    )
    orphaned = list(
        conn.execute(
            select(knowledge_documents.c.pk).where(
                knowledge_documents.c.status == PROCESSING, which
            )
        ).scalars()
    )
    if orphaned:
        conn.execute(delete(knowledge_chunks).where(knowledge_chunks.c.document_pk.in_(orphaned)))
        conn.execute(
            update(knowledge_documents)
            .where(knowledge_documents.c.pk.in_(orphaned))
            .values(status=FAILED, error=INTERRUPTED, process_id=None, updated_at=utcnow())
        )
    return len(orphaned)


# ---------------------------------------------------------------- search


@dataclass(frozen=True)
class IndexRows:
    """Every ready chunk of an app: its pk, its document's pk, and its vectors."""

    chunk_pks: list[int]
    document_pks: list[int]
    blobs: list[bytes]
    document_ids: dict[str, int]  # ctx_... -> document pk, ready documents only
    version: tuple  # index_version() when read


def index_version(conn: Connection, app_id: int) -> tuple:
    """What changes whenever a document of the app becomes ready or is deleted."""
    d = knowledge_documents
    return tuple(
        conn.execute(
            select(func.count(), func.max(d.c.pk), func.max(d.c.updated_at)).where(
                d.c.app_id == app_id, d.c.status == READY
            )
        ).one()
    )


def index_rows(conn: Connection, app_id: int) -> IndexRows:
    rows = conn.execute(
        select(knowledge_chunks.c.pk, knowledge_chunks.c.document_pk, knowledge_chunks.c.embedding)
        .join(knowledge_documents, knowledge_documents.c.pk == knowledge_chunks.c.document_pk)
        .where(knowledge_chunks.c.app_id == app_id, knowledge_documents.c.status == READY)
        .order_by(knowledge_chunks.c.pk)
    ).all()
    documents = conn.execute(
        select(knowledge_documents.c.id, knowledge_documents.c.pk).where(
            knowledge_documents.c.app_id == app_id, knowledge_documents.c.status == READY
        )
    ).all()
    return IndexRows(
        [row.pk for row in rows],
        [row.document_pk for row in rows],
        [bytes(row.embedding) for row in rows],
        {row.id: row.pk for row in documents},
        index_version(conn, app_id),
    )


def keyword_ranked(
    conn: Connection,
    app_id: int,
    words: list[str],
    document_pks: list[int] | None,
    limit: int,
) -> list[int]:
    """The app's chunk pks that hold any of ``words``, best first (bm25 on SQLite,
    ``ts_rank_cd`` on PostgreSQL); only of ``document_pks`` when given."""
    if not words:
        return []
    query = select(knowledge_chunks.c.pk).where(knowledge_chunks.c.app_id == app_id)
    if document_pks is not None:
        query = query.where(knowledge_chunks.c.document_pk.in_(document_pks))
    if conn.dialect.name == "sqlite":
        # Any word (OR): bm25 weighs rare words above common ones.
        phrase = " OR ".join(f'"{word}"' for word in words)
        query = (
            query.join(_fts, _fts.c.rowid == knowledge_chunks.c.pk)
            .where(text("knowledge_chunks_fts MATCH :kb_query").bindparams(kb_query=phrase))
            .order_by(text("knowledge_chunks_fts.rank"))
        )
    else:
        # Words are runs of letters and digits: nothing in them is tsquery syntax.
        terms = " | ".join(words)
        tsquery = text("to_tsquery('simple', :kb_terms)").bindparams(kb_terms=terms)
        query = query.where(_SEARCH_VECTOR.op("@@")(tsquery)).order_by(
            func.ts_rank_cd(_SEARCH_VECTOR, tsquery).desc()
        )
    return list(conn.execute(query.limit(limit)).scalars())


@dataclass(frozen=True)
class Passage:
    chunk_pk: int
    content: str
    context_id: str
    filename: str


def passages(conn: Connection, app_id: int, chunk_pks: list[int]) -> list[Passage]:
    """The chunks' texts with their documents, in the order given; chunks deleted (or of
    documents no longer ready) since the index was read are left out."""
    if not chunk_pks:
        return []
    rows = conn.execute(
        select(
            knowledge_chunks.c.pk,
            knowledge_chunks.c.content,
            knowledge_documents.c.id,
            knowledge_documents.c.filename,
        )
        .join(knowledge_documents, knowledge_documents.c.pk == knowledge_chunks.c.document_pk)
        .where(
            knowledge_chunks.c.app_id == app_id,
            knowledge_chunks.c.pk.in_(chunk_pks),
            knowledge_documents.c.status == READY,
        )
    ).all()
    found = {row.pk: Passage(row.pk, row.content, row.id, row.filename) for row in rows}
    return [found[pk] for pk in chunk_pks if pk in found]

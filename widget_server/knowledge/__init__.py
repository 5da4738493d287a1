"""The app knowledge base (SPEC §15): documents an app's owner uploads, read into chunks
with embeddings (``ingest.py``), searched for every question of the app's users
(``search.py``), and managed through ``/v1/apps/{client_id}/context`` (``views.py``) and
the app's page on ``/developer``.

``init_app(app)`` starts, for the life of the server, the :class:`KnowledgeBase` of this
process (its upload worker and its caches) and the recovery of documents whose process
died; :func:`knowledge_base` reaches it from a request.
"""

from __future__ import annotations

import os

# One BLAS thread, set before numpy loads: a question's scores are one small matrix-vector
# product, which OpenBLAS's threads only slow down on a server (their hand-offs contend
# with the event loop: 7 ms against 0.8 ms for 21,000 vectors, bench/README.md).
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from datetime import datetime

from quart import Quart
from sqlalchemy.engine import Row

from ..context.sections import wants_context
from ..gateway.request import ChatRequest
from ..storage import Database
from . import store
from .embedding import Embedder
from .ingest import Ingestor
from .search import NO_KNOWLEDGE, Knowledge, KnowledgeSearch

EXTRAS_KEY = "knowledge"

__all__ = ["NO_KNOWLEDGE", "Knowledge", "KnowledgeBase", "init_app", "knowledge_base"]


class KnowledgeBase:
    """This process's knowledge base: uploads in, searches out."""

    def __init__(self, db: Database, process_id: str) -> None:
        self.db = db
        self.embedder = Embedder()
        self.search = KnowledgeSearch(db, self.embedder)
        self.ingestor = Ingestor(db, self.embedder, process_id, self.search.invalidate)

    async def find(self, app_id: int, request: ChatRequest, question: str) -> Knowledge:
        """The knowledge for a request, or none at all (nothing read) when its flags are all
        off and it names no ``context_ids``."""
        if not wants_context(request):
            return NO_KNOWLEDGE
        return await self.search.find(app_id, question, request.context_ids)

    async def documents(self, app_id: int) -> list[Row]:
        return await self.db.read_call(lambda conn: store.list_documents(conn, app_id))

    async def document(self, app_id: int, context_id: str) -> Row | None:
        return await self.db.read_call(lambda conn: store.get_document(conn, app_id, context_id))

    async def delete(self, app_id: int, context_id: str) -> bool:
        """Delete a document with its chunks; False when the app has no such document."""
        deleted = await self.db.write(lambda conn: store.delete_document(conn, app_id, context_id))
        if deleted:
            self.search.invalidate(app_id)
        return deleted

    async def fail_orphaned(self, alive_since: datetime) -> int:
        return await self.db.write(lambda conn: store.fail_orphaned(conn, alive_since))


def init_app(app: Quart) -> None:
    from .views import blueprint

    app.register_blueprint(blueprint)

    @app.before_serving
    async def start_knowledge_base() -> None:
        services = app.extensions["legion"]
        base = KnowledgeBase(services.db, services.heartbeat.process_id)
        base.ingestor.start()
        services.extras[EXTRAS_KEY] = base
        services.heartbeat.on_dead_processes("knowledge documents", base.fail_orphaned)

    async def stop_knowledge_base() -> None:
        services = app.extensions.get("legion")
        base = services.extras.pop(EXTRAS_KEY, None) if services else None
        if base is not None:
            await base.ingestor.close()

    # After the gateway's stop, before the database closes.
    app.after_serving_funcs.insert(1, stop_knowledge_base)


def knowledge_base() -> KnowledgeBase:
    from ..services import services

    return services().extras[EXTRAS_KEY]

"""Finding the chunks of an app's documents that answer a question (SPEC §15): meaning
(vector cosine) and words (FTS5 / PostgreSQL full-text), fused by Reciprocal Rank Fusion.

Vectors: an app's knowledge base is small (1,000 chunks of about 21 window vectors × 256
dimensions is a 21 MB matrix), so each process keeps the app's vectors in memory as one
numpy matrix, read from the database once and re-checked every :data:`CACHE_SECONDS`, and
scores a question against all of them with one matrix product (about a millisecond); a
chunk's score is its best window's. That is the vector store on both SQLite and
PostgreSQL, in place of sqlite-vec or pgvector (see the README).

Words: the question's keywords (less function words; ``context/signals.py``), any of them
(OR), ranked by bm25 (SQLite) or ``ts_rank_cd`` (PostgreSQL) among the app's chunks.

Fusion: each chunk scores ``1 / (60 + rank)`` in each ranking it is in (the top
:data:`CANDIDATES` of each); the best :data:`TOP_CHUNKS` are read and become the
``[App Knowledge Base]`` section. Results are cached :data:`CACHE_SECONDS` per app,
question and ``context_ids``; an app's entries are dropped when one of its documents is
added or deleted in this process (other processes see the change within the minute).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import OrderedDict, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection

from ..context.sections import KNOWLEDGE
from ..context.signals import keywords
from ..storage import Database
from ..words import query_words, snippet
from . import store
from .embedding import Embedder, from_blobs

RRF_K = 60
CANDIDATES = 20
TOP_CHUNKS = 5
# Below this cosine (of a chunk's best window) a chunk is no match by meaning: chosen on
# bench/data/knowledge.json (bench/README.md). No threshold tells a greeting from a
# question reliably with this model; questions without a word of meaning aren't searched.
MIN_SIMILARITY = 0.15
CACHE_SECONDS = 60.0
MAX_CACHED_VECTORS = 250_000  # about 256 MB of float32 vectors, all apps together
MAX_CACHED_RESULTS = 2048
MAX_QUERY_CHARS = 2000
MAX_KEYWORDS = 16
MODES = ("hybrid", "keyword", "vector")
log = logging.getLogger("widget_server.knowledge")
INTRO = "Passages from this app's documents that may help with the user's question:"


@dataclass(frozen=True)
class Knowledge:
    """What the knowledge base adds to a request: its section, and the chunks it holds
    (``{context_id, filename, snippet}``, for a §11 answer's ``sources``)."""

    section: str = ""
    sources: list[dict] = field(default_factory=list)


NO_KNOWLEDGE = Knowledge()


@dataclass(frozen=True)
class AppIndex:
    chunk_pks: np.ndarray
    document_pks: np.ndarray
    vectors: np.ndarray  # every chunk's window vectors, chunk after chunk
    starts: np.ndarray  # the row where each chunk's vectors start
    document_ids: dict[str, int]

    @property
    def empty(self) -> bool:
        return len(self.chunk_pks) == 0


class _Expiring(OrderedDict):
    """A small LRU whose entries also expire."""

    def __init__(self, size: int, seconds: float, clock: Callable[[], float]) -> None:
        super().__init__()
        self.size, self.seconds, self.clock = size, seconds, clock

    def fresh(self, key):
        entry = self.get(key)
        if entry is None or self.clock() - entry[0] > self.seconds:
            return None
        self.move_to_end(key)
        return entry[1]

    def put(self, key, value) -> None:
        self[key] = (self.clock(), value)
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


@dataclass
class _Cached:
    index: AppIndex
    version: tuple
    checked: float


class KnowledgeSearch:
    """Searches, with this process's caches: each app's vectors (kept while they fit
    :data:`MAX_CACHED_VECTORS`, and re-checked against the database in the background every
    :data:`CACHE_SECONDS`, serving the one in hand meanwhile: no request waits on a
    re-read), and the results of recent questions (:data:`CACHE_SECONDS`)."""

    def __init__(
        self, db: Database, embedder: Embedder, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.db = db
        self.embedder = embedder
        self.clock = clock
        self._indexes: OrderedDict[int, _Cached] = OrderedDict()
        self._vectors = 0  # rows held by _indexes
        self._results = _Expiring(MAX_CACHED_RESULTS, CACHE_SECONDS, clock)
        self._tasks: dict[int, asyncio.Task] = {}  # loads and re-checks in flight
        self._generation: dict[int, int] = {}  # bumped by invalidate()

    def invalidate(self, app_id: int) -> None:
        """Forget the app's vectors and results (one of its documents came or went)."""
        self._generation[app_id] = self._generation.get(app_id, 0) + 1
        self._drop(app_id)
        for key in [key for key in self._results if key[0] == app_id]:
            del self._results[key]

    async def find(
        self, app_id: int, question: str, context_ids: list[str], mode: str = "hybrid"
    ) -> Knowledge:
        """The knowledge for ``question``: nothing when the app has no ready document (or
        none of ``context_ids`` is one of them), or the question no word of meaning (a
        greeting), without reading anything more."""
        index = await self.index(app_id)  # first: most apps have no documents
        if index.empty:
            return NO_KNOWLEDGE
        question = question.strip()[:MAX_QUERY_CHARS]
        words = search_words(question)
        if not words:
            return NO_KNOWLEDGE
        key = (app_id, question, tuple(sorted(set(context_ids))), mode)
        cached = self._results.fresh(key)
        if cached is not None:
            return cached
        allowed = None
        if context_ids:  # ids of other apps, or unknown, are simply not among them
            allowed = sorted(
                {index.document_ids[c] for c in context_ids if c in index.document_ids}
            )
        if allowed == []:
            knowledge = NO_KNOWLEDGE
        else:
            found = await self.db.read_call(
                lambda conn: self.rank(conn, app_id, index, question, words, allowed, mode)
            )
            knowledge = _knowledge(found, words)
        self._results.put(key, knowledge)
        return knowledge

    async def index(self, app_id: int) -> AppIndex:
        """The app's vectors: from the cache (re-checked in the background once
        :data:`CACHE_SECONDS` old), else read once for all concurrent callers."""
        cached = self._indexes.get(app_id)
        if cached is None:
            task = self._tasks.get(app_id) or self._start(app_id, self._load(app_id))
            return await asyncio.shield(task)
        self._indexes.move_to_end(app_id)
        if self.clock() - cached.checked > CACHE_SECONDS and app_id not in self._tasks:
            self._start(app_id, self._recheck(app_id, cached))
        return cached.index

    def _start(self, app_id: int, work) -> asyncio.Task:
        task = asyncio.ensure_future(work)
        self._tasks[app_id] = task

        def done(finished: asyncio.Task) -> None:
            if self._tasks.get(app_id) is finished:
                del self._tasks[app_id]
            if not finished.cancelled() and finished.exception() is not None:
                log.error(
                    "could not read the knowledge base of app %d",
                    app_id,
                    exc_info=finished.exception(),
                )

        task.add_done_callback(done)
        return task

    async def _recheck(self, app_id: int, cached: _Cached) -> AppIndex:
        version = await self.db.read_call(lambda conn: store.index_version(conn, app_id))
        if version != cached.version:
            return await self._load(app_id)
        cached.checked = self.clock()
        return cached.index

    async def _load(self, app_id: int) -> AppIndex:
        generation = self._generation.get(app_id, 0)
        rows = await self.db.read_call(lambda conn: store.index_rows(conn, app_id))
        vectors, starts = from_blobs(rows.blobs)
        index = AppIndex(
            np.asarray(rows.chunk_pks, dtype=np.int64),
            np.asarray(rows.document_pks, dtype=np.int64),
            vectors,
            starts,
            rows.document_ids,
        )
        if not index.empty:  # the model's first load (0.2 s) off the event loop
            await asyncio.get_running_loop().run_in_executor(None, self.embedder.load)
        if self._generation.get(app_id, 0) == generation:  # else: invalidated meanwhile
            self._keep(app_id, _Cached(index, rows.version, self.clock()))
        return index

    def _keep(self, app_id: int, cached: _Cached) -> None:
        self._drop(app_id)
        self._indexes[app_id] = cached
        self._vectors += len(cached.index.vectors)
        while self._vectors > MAX_CACHED_VECTORS and len(self._indexes) > 1:
            self._drop(next(iter(self._indexes)))

    def _drop(self, app_id: int) -> None:
        cached = self._indexes.pop(app_id, None)
        if cached is not None:
            self._vectors -= len(cached.index.vectors)

    def rank(
        self,
        conn: Connection,
        app_id: int,
        index: AppIndex,
        question: str,
        words: list[str],
        allowed: list[int] | None,
        mode: str = "hybrid",
    ) -> list[store.Passage]:
        """On a reader: both rankings, fused, and the best chunks' texts."""
        rankings = []
        if mode in ("hybrid", "vector"):
            rankings.append(self.vector_ranked(index, question, allowed))
        if mode in ("hybrid", "keyword"):
            rankings.append(store.keyword_ranked(conn, app_id, words, allowed, CANDIDATES))
        return store.passages(conn, app_id, fuse(rankings)[:TOP_CHUNKS])

    def vector_ranked(self, index: AppIndex, question: str, allowed: list[int] | None) -> list[int]:
        """Chunks by their best window's cosine, best first, down to MIN_SIMILARITY."""
        windows = index.vectors @ self.embedder.embed([question])[0]
        scores = np.maximum.reduceat(windows, index.starts)
        if allowed is not None:
            scores = np.where(np.isin(index.document_pks, allowed), scores, -1.0)
        best = np.argsort(-scores, kind="stable")[:CANDIDATES]
        return [int(index.chunk_pks[i]) for i in best if scores[i] >= MIN_SIMILARITY]


def search_words(question: str) -> list[str]:
    """The words a question is searched by: its words of two letters or more less common
    function words. None (``hello``, ``thanks!``, ``ok``): the question is not searched."""
    words = query_words(question, limit=4 * MAX_KEYWORDS)
    return list(keywords(words, MAX_KEYWORDS, min_chars=2))


def fuse(rankings: list[list[int]], k: int = RRF_K) -> list[int]:
    """Reciprocal Rank Fusion: best first; a tie goes to the earlier ranking's order."""
    scores: dict[int, float] = defaultdict(float)
    for ranking in rankings:
        for rank, pk in enumerate(ranking, start=1):
            scores[pk] += 1.0 / (k + rank)
    return sorted(scores, key=lambda pk: -scores[pk])


def _knowledge(found: list[store.Passage], words: list[str]) -> Knowledge:
    if not found:
        return NO_KNOWLEDGE
    passages = "\n\n".join(
        f"[{number}] {passage.filename}\n{passage.content}"
        for number, passage in enumerate(found, start=1)
    )
    sources = [
        {
            "context_id": passage.context_id,
            "filename": passage.filename,
            "snippet": snippet(passage.content, words),
        }
        for passage in found
    ]
    return Knowledge(f"{KNOWLEDGE}\n{INTRO}\n\n{passages}", sources)

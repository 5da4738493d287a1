"""Knowledge-base benchmark (SPEC §15): retrieval quality, the latency a knowledge base
adds to an ask, and ingest throughput.

    .venv/bin/python bench/knowledge.py [--quick] [--backend sqlite|postgres] [--json FILE]

1. **Recall@5** on the labelled set ``bench/data/knowledge.json`` (30 passages of a made-up
   company's documents, 60 questions: for each passage one sharing its rare words and one
   sharing none of its content words), hybrid (RRF) against keyword-only and vector-only,
   in process on the same index, in two layouts: each passage a small document of its own
   (an FAQ), and each passage one paragraph inside a ~1000-token chunk of unrelated text
   (a long document). Distractor chunks: the running Python's standard-library docs.
2. **Added latency**: a real server (``widget-server serve``, one worker) and the fake
   OpenAI upstream; one app with a 1,000-chunk knowledge base, one connected user; non-
   streamed ``/v1/chat/completions`` one at a time, interleaved: every flag off (no
   look-up), the knowledge base searched with a new question each time (the app's vectors
   cached, the question's result not), and the same question again (its result cached);
   and non-streamed §11 asks in one conversation, flags off against a new question.
3. **Ingest**: a 100-page PDF uploaded through the API, until ``ready``: pages a second,
   with the parts (text, chunks, vectors) timed in process.

Numbers, not pass/fail; bench/README.md keeps them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import pydoc
import random
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.gateway import pct, start_fake  # noqa: E402
from tests.fakes.server import provider_env  # noqa: E402
from tests.support.databases import TestDatabase  # noqa: E402
from tests.support.documents import make_pdf  # noqa: E402
from tests.support.knowledge import new_owner  # noqa: E402
from tests.support.server import ServerProcess, free_port  # noqa: E402
from widget_server.clock import utcnow  # noqa: E402
from widget_server.knowledge import store  # noqa: E402
from widget_server.knowledge.chunking import CHUNK_CHARS, chunk_text  # noqa: E402
from widget_server.knowledge.embedding import Embedder, chunk_vectors  # noqa: E402
from widget_server.knowledge.formats import extract  # noqa: E402
from widget_server.knowledge.search import MODES, KnowledgeSearch, search_words  # noqa: E402
from widget_server.storage import Database  # noqa: E402
from widget_server.storage.migrate import upgrade  # noqa: E402
from widget_server.storage.schema import apps  # noqa: E402

DATA = ROOT / "bench" / "data" / "knowledge.json"
DISTRACTOR_MODULES = [
    "json",
    "csv",
    "sqlite3",
    "logging",
    "argparse",
    "random",
    "datetime",
    "collections",
    "itertools",
    "functools",
    "pathlib",
    "subprocess",
    "threading",
    "socket",
    "re",
    "string",
    "textwrap",
    "decimal",
    "statistics",
    "zipfile",
    "tarfile",
    "shutil",
    "unittest",
    "email.message",
    "http.client",
    "urllib.parse",
    "gzip",
    "heapq",
    "bisect",
    "calendar",
]
MODEL = "gpt-4o-mini"


# ---------------------------------------------------------------- 1. recall@5


def distractor_text() -> str:
    parts = []
    for name in DISTRACTOR_MODULES:
        try:
            parts.append(pydoc.render_doc(name, renderer=pydoc.plaintext))
        except (ImportError, pydoc.ErrorDuringImport):
            continue
    return "\n\n".join(parts)


async def new_app(db: Database) -> int:
    now = utcnow()
    return await db.write(
        lambda conn: conn.execute(
            apps.insert()
            .values(
                client_id=f"lgn_{time.time_ns():024x}"[:28],
                name="bench",
                type="web",
                secret_hash="x",
                created_at=now,
                updated_at=now,
            )
            .returning(apps.c.id)
        ).scalar_one()
    )


async def ingest(db: Database, embedder: Embedder, app_id: int, name: str, text: str) -> int:
    """A document straight into the store, as the upload worker would write it."""
    document = await db.write(
        lambda conn: store.create_document(conn, app_id, name, "text", len(text), "bench")
    )
    chunks = chunk_text(text)
    blobs = chunk_vectors(embedder, chunks)
    await db.write(
        lambda conn: store.add_chunks(conn, document.pk, app_id, 0, chunks, blobs, "bench")
    )
    await db.write(lambda conn: store.finish_document(conn, document.pk, "bench"))
    return len(chunks)


async def recall(url: str, layout: str, data: dict, noise: str) -> dict:
    db = Database(url)
    embedder = Embedder()
    try:
        await upgrade(db)
        app_id = await new_app(db)
        passages = {p["id"]: p["text"] for d in data["documents"] for p in d["passages"]}
        at = 0
        if layout == "faq":
            for pid, text in passages.items():
                await ingest(db, embedder, app_id, f"{pid}.md", text)
        else:  # each passage amid ~3,300 characters of unrelated text: about one chunk
            for document in data["documents"]:
                pieces = []
                for passage in document["passages"]:
                    pad = (CHUNK_CHARS - len(passage["text"])) * 4 // 5
                    before = noise[at : at + pad // 2]
                    after = noise[at + pad // 2 : at + pad]
                    at += pad
                    pieces.append(f"{before}\n\n{passage['text']}\n\n{after}")
                await ingest(db, embedder, app_id, document["name"], "\n\n".join(pieces))
        distractors = noise[at : at + 400_000]
        await ingest(db, embedder, app_id, "python-docs.txt", distractors)
        search = KnowledgeSearch(db, embedder)
        index = await search.index(app_id)
        results: dict = {"chunks": len(index.chunk_pks)}
        for mode in MODES:
            found = {"keyword": [0, 0], "meaning": [0, 0]}
            for query in data["queries"]:
                words = search_words(query["q"])
                hits = await db.read_call(
                    lambda conn, q=query["q"], w=words, m=mode: search.rank(
                        conn, app_id, index, q, w, None, m
                    )
                )
                wanted = " ".join(passages[query["passage"]].split())
                hit = any(wanted in " ".join(p.content.split()) for p in hits)
                found[query["kind"]][0] += hit
                found[query["kind"]][1] += 1
            results[mode] = {kind: hit / total for kind, (hit, total) in found.items()}
            total_hits = sum(h for h, _ in found.values())
            results[mode]["all"] = total_hits / len(data["queries"])
        return results
    finally:
        await db.dispose()


# ---------------------------------------------------------------- 2. added latency


def vocabulary(text: str) -> list[str]:
    words = [w.lower() for w in search_words(text.replace("\n", " ")) if w.isalpha()]
    words += [w for w in text.split() if w.isalpha() and 3 <= len(w) <= 12]
    return sorted(set(words))


def synthetic_text(words: list[str], chars: int, rng: random.Random) -> str:
    """Sentences of words drawn with a Zipf-like skew, as real text has."""
    weights = [1 / (rank + 1) for rank in range(len(words))]
    out, size = [], 0
    while size < chars:
        sentence = " ".join(rng.choices(words, weights, k=rng.randint(8, 20))).capitalize() + "."
        out.append(sentence)
        size += len(sentence) + 1
    return " ".join(out)


def timed_post(client: httpx.Client, url: str, token: str, body: dict) -> float:
    started = time.perf_counter()
    response = client.post(url, headers={"Authorization": f"Bearer {token}"}, json=body)
    elapsed = time.perf_counter() - started
    assert response.status_code in (200, 201), response.text
    return elapsed


def latency(server: ServerProcess, noise: str, rounds: int) -> dict:
    rng = random.Random(12)
    words = vocabulary(noise)
    owner = new_owner(server, f"kb-owner-{time.time_ns()}@example.com")
    text = synthetic_text(words, 3_450_000, rng).encode()
    started = time.perf_counter()
    document = owner.add("big.txt", text, "text/plain")
    built = time.perf_counter() - started
    visitor = owner.visitor(f"kb-visitor-{time.time_ns()}@example.com")
    server.cli("wallet", "credit", "--email", visitor.email, "--amount", "100000")
    off = {"user_preferences": False, "user_information": False, "user_context": False}
    names = ("off", "search", "cached", "ask_off", "ask_search")
    timings: dict[str, list[float]] = {name: [] for name in names}
    completions = server.url + "/v1/chat/completions"
    with httpx.Client(timeout=60) as client:
        conversation = client.post(
            f"{server.url}/v1/chat/{visitor.client_id}/conversations",
            headers={"Authorization": f"Bearer {visitor.token}"},
            json={},
        ).json()["id"]
        asks = f"{server.url}/v1/chat/{visitor.client_id}/conversations/{conversation}/messages"

        def chat(question: str, **flags) -> float:
            body = {"model": MODEL, "max_tokens": 16, **flags}
            body["messages"] = [{"role": "user", "content": question}]
            return timed_post(client, completions, visitor.token, body)

        def ask(question: str, **flags) -> float:
            body = {"model": MODEL, "max_tokens": 16, "content": question, **flags}
            return timed_post(client, asks, visitor.token, body)

        repeated = "What does the " + " ".join(rng.sample(words, 4)) + " do?"
        for _ in range(20):  # warm up: connections, caches, the model's first load
            chat(repeated)
            chat(repeated, **off)
        for number in range(rounds):
            question = f"Question {number}: how does " + " ".join(rng.sample(words, 5)) + " work?"
            timings["off"].append(chat(question, **off))
            timings["search"].append(chat(question))
            timings["cached"].append(chat(repeated))
            if number < rounds // 3:  # a conversation grows: fewer of these
                timings["ask_off"].append(ask(question + " (ask)", **off))
                timings["ask_search"].append(ask(question + " (ask)"))
    result = {"chunks": document["chunks"], "kb_build_s": built}
    for name, values in timings.items():
        result[name] = {"p50": pct(values, 50), "p99": pct(values, 99)}
    for name in ("search", "cached"):
        result[f"added_{name}_p50"] = result[name]["p50"] - result["off"]["p50"]
    result["added_ask_search_p50"] = result["ask_search"]["p50"] - result["ask_off"]["p50"]
    return result


# ---------------------------------------------------------------- 3. ingest


def ingest_speed(server: ServerProcess, noise: str) -> dict:
    pages = []
    for number in range(100):
        start = (number * 4000) % max(1, len(noise) - 4000)
        pages.append(f"Page {number + 1}.\n" + noise[start : start + 3800])
    pdf = make_pdf(pages)
    owner = new_owner(server, f"kb-ingest-{time.time_ns()}@example.com")
    started = time.perf_counter()
    document = owner.add("hundred-pages.pdf", pdf, "application/pdf")
    elapsed = time.perf_counter() - started
    parts = {}
    t0 = time.perf_counter()
    extracted = extract("pdf", pdf)
    parts["text_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    chunks = chunk_text(extracted.text)
    parts["chunks_s"] = time.perf_counter() - t0
    embedder = Embedder()
    embedder.load()
    t0 = time.perf_counter()
    chunk_vectors(embedder, chunks)
    parts["vectors_s"] = time.perf_counter() - t0
    return {
        "pages": document["pages"],
        "bytes": len(pdf),
        "chunks": document["chunks"],
        "upload_to_ready_s": elapsed,
        "pages_per_s": document["pages"] / elapsed,
        **parts,
    }


# ---------------------------------------------------------------- orchestration


def report(results: dict) -> str:
    lines = ["| layout | chunks | mode | keyword questions | meaning questions | all |"]
    lines.append("| --- | --- | --- | --- | --- | --- |")
    for layout in ("faq", "long"):
        r = results["recall"][layout]
        for mode in MODES:
            m = r[mode]
            lines.append(
                f"| {layout} | {r['chunks']} | {mode} | {m['keyword']:.0%} | "
                f"{m['meaning']:.0%} | {m['all']:.0%} |"
            )
    lat = results["latency"]
    lines.append("")
    lines.append(f"Latency, {lat['chunks']} chunks ({lat['kb_build_s']:.1f} s to build):")
    lines.append("| ask | p50 | p99 | added p50 |")
    lines.append("| --- | --- | --- | --- |")
    labels = (
        ("off", "completion, flags off"),
        ("search", "completion, new question"),
        ("cached", "completion, same question"),
        ("ask_off", "§11 ask, flags off"),
        ("ask_search", "§11 ask, new question"),
    )
    for name, label in labels:
        added = f"{lat[f'added_{name}_p50'] * 1000:.2f} ms" if f"added_{name}_p50" in lat else ""
        lines.append(
            f"| {label} | {lat[name]['p50'] * 1000:.2f} ms | {lat[name]['p99'] * 1000:.2f} ms "
            f"| {added} |"
        )
    ing = results["ingest"]
    lines.append("")
    lines.append(
        f"Ingest: {ing['pages']} pages ({ing['bytes']:,} bytes, {ing['chunks']} chunks) "
        f"ready in {ing['upload_to_ready_s']:.2f} s = {ing['pages_per_s']:.0f} pages/s; "
        f"text {ing['text_s']:.2f} s, chunks {ing['chunks_s']:.3f} s, "
        f"vectors {ing['vectors_s']:.3f} s"
    )
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--backend", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    data = json.loads(DATA.read_text())
    noise = distractor_text()
    results: dict = {"recall": {}}
    with tempfile.TemporaryDirectory() as folder:
        for layout in ("faq", "long"):
            url = f"sqlite:///{folder}/{layout}.db"
            results["recall"][layout] = asyncio.run(recall(url, layout, data, noise))
    fake_port = free_port()
    fake = start_fake(fake_port)
    database = TestDatabase(args.backend)
    env = {
        **provider_env(f"http://127.0.0.1:{fake_port}"),
        "LEGION_CHAT_RATE_LIMIT_PER_TOKEN": "0",
        "LEGION_CHAT_RATE_LIMIT_PER_USER": "0",
    }
    server = ServerProcess(database.url, env=env).start()
    try:
        results["latency"] = latency(server, noise, 50 if args.quick else 300)
        results["ingest"] = ingest_speed(server, noise)
    finally:
        server.stop()
        database.close()
        fake.kill()
    print(report(results))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

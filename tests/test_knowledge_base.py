"""The app knowledge base (SPEC §15), through a real server: files made here (PDF, DOCX,
PPTX, text) uploaded by API and on /developer, read in the background, searched by
meaning and by words (fused by RRF) for every question, and what the model was sent,
asserted at the fake provider; context_ids, isolation between apps, and bad input."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from urllib.parse import urlsplit

import httpx
import pytest

from tests.support.conversations import ChatClient
from tests.support.databases import run_async
from tests.support.documents import (
    FILLER_TOPICS,
    damaged_pdf,
    filler,
    make_docx,
    make_pdf,
    make_pptx,
    zip_bomb_docx,
)
from tests.support.knowledge import ask, new_owner, serve, system_text
from tests.support.oauth import Person, form_with_action
from tests.support.server import ServerProcess
from widget_server.clock import utcnow
from widget_server.knowledge import store
from widget_server.knowledge.embedding import Embedder, chunk_vectors
from widget_server.knowledge.search import KnowledgeSearch, fuse
from widget_server.storage import Database
from widget_server.storage.migrate import upgrade
from widget_server.storage.schema import apps

KB = "[App Knowledge Base]"


@pytest.fixture(scope="module")
def kb_server(backend, fake):
    yield from serve(backend, fake)


@pytest.fixture
def owner(kb_server, unique_email):
    return new_owner(kb_server, unique_email("owner"))


# ---------------------------------------------------------------- upload → ready → found


def test_pdf_docx_and_pptx_become_ready_and_the_right_chunk_reaches_the_model(
    owner, fake, unique_email
):
    pdf = make_pdf(
        [
            "Warranty terms. Every Kestrel kettle carries a warranty of 27 months.",
            "Descaling. Descale the kettle every month with citric acid.",
        ]
    )
    docx = make_docx(
        ["Shipping. Parcels to Iceland travel by the Nordlys ferry and take 9 days."],
        table=[["Region", "Carrier"], ["Faroe Islands", "Smyril courier"]],
    )
    pptx = make_pptx([("Roadmap", "The Merlin toaster launches in the autumn of 2027.")])
    response = owner.upload("kettle manual.pdf", pdf, "application/pdf")
    assert response.status_code == 202, response.text
    accepted = response.json()
    assert accepted["status"] == "processing" and accepted["id"].startswith("ctx_")
    assert (accepted["filename"], accepted["type"], accepted["bytes"]) == (
        "kettle manual.pdf",
        "pdf",
        len(pdf),
    )
    ready = owner.wait(accepted["id"])
    assert (ready["status"], ready["reason"], ready["pages"]) == ("ready", None, 2)
    assert ready["chunks"] == 1
    shipping = owner.add("shipping.docx", docx)
    roadmap = owner.add("roadmap.pptx", pptx)
    assert roadmap["pages"] == 1  # slides
    listed = owner.documents()
    assert [d["id"] for d in listed] == [roadmap["id"], shipping["id"], accepted["id"]]

    visitor = owner.visitor(unique_email("asker"))
    ask(visitor, "How long do parcels to Iceland take?")
    system = system_text(fake)
    assert system.startswith(KB)
    assert "[1] shipping.docx\n" in system and "Nordlys ferry" in system
    assert "Faroe Islands | Smyril courier" in system  # the table too
    ask(visitor, "When does the Merlin toaster launch?")
    first = system_text(fake).split("[2]")[0]
    assert "roadmap.pptx" in first and "autumn of 2027" in first
    ask(visitor, "How many months of warranty does the Kestrel kettle have?")
    first = system_text(fake).split("[2]")[0]
    assert "kettle manual.pdf" in first and "27 months" in first


def test_a_conversation_answer_lists_the_chunks_it_used_as_sources(owner, fake, unique_email):
    doc = owner.add("faq.md", b"# Opening hours\n\nThe Lisbon store opens at 08:45 on weekdays.")
    chat = ChatClient(owner.visitor(unique_email("asker")))
    conversation = chat.new_conversation()
    response = chat.ask(conversation, "When does the Lisbon store open?")
    assert response.status_code == 201, response.text
    question, answer = response.json()["messages"]
    assert question["sources"] == []
    [source] = answer["sources"]
    assert source["context_id"] == doc["id"] and source["filename"] == "faq.md"
    assert "Lisbon store opens at 08:45" in source["snippet"]
    assert "08:45" in system_text(fake)
    # Kept with the message: the conversation shows them, a reload sees them.
    shown = chat.conversation(conversation)["messages"][-1]
    assert shown["sources"] == answer["sources"]


def test_words_only_and_meaning_only_questions_both_find_their_chunk(owner, fake, unique_email):
    """Fifteen chunks: a question sharing only a made-up word with its chunk is found by the
    full-text ranking, one sharing no word at all by the vectors; RRF keeps both."""
    for topic in FILLER_TOPICS:
        owner.add(f"{topic.split()[0]}.txt", filler(topic).encode())
    refunds = owner.add(
        "refunds.txt",
        b"Customers who are unhappy with a purchase may return it within thirty days "
        b"and receive a full reimbursement to the original card.",
    )
    coupling = owner.add(
        "coupling.txt",
        b"Assembly note: the zorblaxian coupling must be torqued to 45 newton metres "
        b"before the housing is closed.",
    )
    assert sum(d["chunks"] for d in owner.documents()) >= 12
    visitor = owner.visitor(unique_email("asker"))

    ask(visitor, "zorblaxian?")  # no meaning to the model's vocabulary: words only
    assert "torqued to 45 newton metres" in system_text(fake)
    assert "coupling.txt" in system_text(fake)

    ask(visitor, "Can I get my money back if I don't like what I bought?")  # no shared word
    system = system_text(fake)
    assert "full reimbursement to the original card" in system
    assert system.count("[") - 1 <= 5  # the section's title, then at most five passages

    # A greeting matches nothing: no section at all, and the model is not billed for one.
    ask(visitor, "Hello there!")
    assert KB not in system_text(fake)
    assert {refunds["status"], coupling["status"]} == {"ready"}


def test_context_ids_limit_the_search_to_those_documents(owner, fake, unique_email):
    first = owner.add("a.txt", b"The blue gate code is 4401. Gates are painted blue.")
    second = owner.add("b.txt", b"The red gate code is 9917. Gates are painted red.")
    visitor = owner.visitor(unique_email("asker"))
    ask(visitor, "What is the gate code?")
    assert "4401" in system_text(fake) and "9917" in system_text(fake)
    ask(visitor, "What is the gate code?", context_ids=[second["id"]])
    assert "9917" in system_text(fake) and "4401" not in system_text(fake)
    ask(visitor, "What is the gate code?", context_ids=[first["id"], "ctx_unknown"])
    assert "4401" in system_text(fake) and "9917" not in system_text(fake)
    # With every flag off, the ids named still search (and only them).
    off = {"user_preferences": False, "user_information": False, "user_context": False}
    ask(visitor, "What is the gate code?", context_ids=[first["id"]], **off)
    assert "4401" in system_text(fake) and "9917" not in system_text(fake)


def test_another_apps_documents_are_never_reached(kb_server, fake, unique_email):
    mine = new_owner(kb_server, unique_email("mine"))
    theirs = new_owner(kb_server, unique_email("theirs"))
    secret = theirs.add("secret.txt", b"The vault combination is 31-17-42, kept by Ingrid.")
    mine.add("public.txt", b"Our shop sells umbrellas and raincoats.")
    visitor = mine.visitor(unique_email("asker"))
    ask(visitor, "What is the vault combination kept by Ingrid?")
    assert "31-17-42" not in system_text(fake)
    # Naming the other app's document: ignored, never leaked (and no error).
    ask(visitor, "What is the vault combination?", context_ids=[secret["id"]])
    assert "31-17-42" not in system_text(fake) and KB not in system_text(fake)
    # Its owner's API: the other app's document is 404, its own credentials elsewhere too.
    assert mine.document(secret["id"]).status_code == 404
    assert mine.delete(secret["id"]).status_code == 404
    assert [d["filename"] for d in mine.documents()] == ["public.txt"]
    borrowed = mine.http.get(f"{theirs.base}", headers=mine.headers)
    assert borrowed.status_code == 404
    assert theirs.document(secret["id"]).json()["status"] == "ready"


def test_every_flag_off_sends_the_messages_exactly_as_given(owner, fake, unique_email):
    owner.add("hours.txt", b"The museum opens at ten on Sundays.")
    visitor = owner.visitor(unique_email("asker"))
    visitor.set_preferences("Answer in French.")
    messages = [
        {"role": "system", "content": "Site prompt."},
        {"role": "user", "content": "When does the museum open on Sundays?"},
    ]
    off = {"user_preferences": False, "user_information": False, "user_context": False}
    response = visitor.chat(model="gpt-4o-mini", messages=messages, **off)
    assert response.status_code == 200, response.text
    assert fake.requests[-1]["json"]["messages"] == messages
    visitor.chat(model="gpt-4o-mini", messages=messages)
    assert system_text(fake).startswith(
        "Site prompt.\n\n[User Preferences]\nAnswer in French.\n\n[App Knowledge Base]"
    )


def test_deleting_a_document_removes_it_from_answers(owner, fake, unique_email):
    doc = owner.add("old.txt", b"The discontinued Falcon lamp used a 7 watt bulb.")
    visitor = owner.visitor(unique_email("asker"))
    ask(visitor, "Which bulb did the Falcon lamp use?")
    assert "7 watt bulb" in system_text(fake)
    assert owner.delete(doc["id"]).status_code == 204
    assert owner.document(doc["id"]).status_code == 404
    assert owner.delete(doc["id"]).status_code == 404
    ask(visitor, "Which bulb did the Falcon lamp use?")
    assert "7 watt bulb" not in system_text(fake)


# ---------------------------------------------------------------- bad input


def test_bad_files_fail_with_a_reason_and_leave_the_others_alone(owner, fake, unique_email):
    good = owner.add("good.txt", b"The ferry to Tinos leaves at 07:30 from Piraeus.")
    cases = {
        "broken.pdf": (damaged_pdf(), "not a readable PDF"),
        "report.docx": (zip_bomb_docx(), "expands to more than"),
        "blank.txt": (b"   \n\n\t  ", "No text was found"),
        "scan.pdf": (make_pdf(["", ""]), "No text was found"),
        "notes.md": (b"\x00\x01\x02\x03binary\xff\xfe\x00", "not text"),
        "deck.pptx": (b"PK\x03\x04 not really a zip", "not a valid PPTX"),
    }
    failed = {}
    for name, (data, _) in cases.items():
        response = owner.upload(name, data)
        assert response.status_code == 202, (name, response.text)
        failed[name] = response.json()["id"]
    for name, (_, reason) in cases.items():
        document = owner.wait(failed[name])
        assert document["status"] == "failed", (name, document)
        assert reason in document["reason"], (name, document["reason"])
        assert document["chunks"] == 0
    assert owner.document(good["id"]).json()["status"] == "ready"
    visitor = owner.visitor(unique_email("asker"))
    ask(visitor, "When does the ferry to Tinos leave?")
    assert "07:30 from Piraeus" in system_text(fake)


def test_unsupported_types_empty_files_and_missing_fields_are_refused_at_once(owner):
    song = owner.upload("song.mp3", b"ID3\x03\x00\x00\x00" + b"\x00" * 100, "audio/mpeg")
    assert song.status_code == 415, song.text
    assert song.json()["error"]["code"] == "unsupported_media_type"
    assert "PDF, DOCX, PPTX" in song.json()["error"]["message"]
    video = owner.upload("clip", b"\x00\x00\x00\x18ftypmp42", "video/mp4")
    assert video.status_code == 415
    empty = owner.upload("empty.txt", b"", "text/plain")
    assert empty.status_code == 400 and "empty" in empty.json()["error"]["message"]
    no_field = owner.http.post(owner.base, headers=owner.headers, data={"other": "x"})
    assert no_field.status_code == 400 and no_field.json()["error"]["param"] == "file"
    assert owner.documents() == []
    # A file's name keeps no folders, whatever the client sent.
    sneaky = owner.upload("../../etc/passwd.txt", b"harmless text about passwords")
    assert sneaky.status_code == 202 and sneaky.json()["filename"] == "passwd.txt"


def test_a_file_over_the_limit_is_a_413_and_nothing_is_kept(owner):
    limit = 3 * 1024 * 1024
    response = owner.upload("big.txt", b"a" * (limit + 1), "text/plain")
    assert response.status_code == 413, response.text
    assert response.json()["error"]["code"] == "request_too_large"
    assert "3,145,728 bytes" in response.json()["error"]["message"]
    assert owner.documents() == []


def test_a_file_of_exactly_the_limit_is_taken(owner):
    """The limit is the file's (SPEC §15), not the multipart body's around it."""
    limit = 3 * 1024 * 1024
    words = b"limit " * (limit // 6)
    response = owner.upload("exact.txt", words + b"x" * (limit - len(words)), "text/plain")
    assert response.status_code == 202, response.text
    assert [document["filename"] for document in owner.documents()] == ["exact.txt"]


def test_a_200_mb_upload_is_refused_before_its_body_is_read(owner):
    """Only the headers are sent: the server answers 413 from Content-Length alone."""
    url = urlsplit(owner.base)
    headers = (
        f"POST {url.path} HTTP/1.1\r\nHost: {url.netloc}\r\n"
        f"{next(iter(owner.headers))}: {owner.headers['Authorization']}\r\n"
        "Content-Type: multipart/form-data; boundary=x\r\n"
        f"Content-Length: {200 * 1024 * 1024}\r\n\r\n"
    )
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(headers.encode())
        answer = sock.recv(4096).decode(errors="replace")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
    assert owner.documents() == []


def test_uploads_need_the_owners_developer_token(owner, kb_server, unique_email):
    anonymous = owner.http.post(owner.base, files={"file": ("a.txt", b"text")})
    assert anonymous.status_code == 401
    assert anonymous.json()["error"]["code"] == "invalid_token"
    wrong = owner.http.get(owner.base, headers={"Authorization": "Bearer ldt_wrong"})
    assert wrong.status_code == 401
    # A chat token of the app's own user can't manage it.
    visitor = owner.visitor(unique_email("visitor"))
    chat_token = owner.http.get(owner.base, headers=visitor.headers)
    assert chat_token.status_code == 403
    unknown = owner.http.get(
        f"{kb_server.url}/v1/apps/lgn_000000000000000000000000/context", headers=owner.headers
    )
    assert unknown.status_code == 404
    assert owner.documents() == []


# ---------------------------------------------------------------- the developer page


def test_owner_uploads_on_the_developer_page_and_sees_each_status(owner, kb_server):
    person = Person(kb_server.url)
    assert person.login(owner.email, "correct horse 9").status_code == 303
    page_path = f"/developer/apps/{owner.client_id}"
    page = person.get(page_path)
    assert page.status_code == 200
    assert "Knowledge base" in page.text and 'enctype="multipart/form-data"' in page.text
    assert "script-src 'self'" in page.headers["Content-Security-Policy"]
    assert '<script src="/static/knowledge.js" defer></script>' in page.text
    form = form_with_action(page.text, f"{page_path}/context")
    files = [
        ("file", ("guide.md", b"# Guide\n\nThe Orion kiosk accepts coins only.", "text/markdown")),
        ("file", ("cover.pdf", make_pdf(["Cover letter for the Orion kiosk."]), "application/pdf")),
    ]
    sent = person.http.post(
        kb_server.url + form.action,
        data=form.fields,
        files=files,
        headers={"Origin": kb_server.url},
        allow_redirects=False,
    )
    assert sent.status_code == 303, sent.text[:500]
    assert sent.headers["Location"].endswith("?done=uploaded#knowledge")
    statuses = person.get(f"{page_path}/context")
    assert statuses.status_code == 200
    names = {d["filename"]: d for d in statuses.json()["data"]}
    assert set(names) == {"guide.md", "cover.pdf"}
    for document in names.values():
        assert owner.wait(document["id"])["status"] == "ready"
    page = person.get(page_path).text
    assert "guide.md" in page and "ready (1 chunks)" in page

    # A refused file is named on the page, with the status of the answer.
    form = form_with_action(page, f"{page_path}/context")
    refused = person.http.post(
        kb_server.url + form.action,
        data=form.fields,
        files=[("file", ("tune.mp3", b"ID3" + b"\x00" * 64, "audio/mpeg"))],
        headers={"Origin": kb_server.url},
        allow_redirects=False,
    )
    assert refused.status_code == 415 and "tune.mp3" in refused.text
    # A file over the limit: the page says so, and nothing is kept.
    big = person.http.post(
        kb_server.url + form.action,
        data=form.fields,
        files=[("file", ("big.txt", b"a" * (3 * 1024 * 1024 + 1), "text/plain"))],
        headers={"Origin": kb_server.url},
        allow_redirects=False,
    )
    assert big.status_code == 413 and "at most 3 MB" in big.text
    # Without the CSRF token: refused, nothing kept.
    forged = person.http.post(
        kb_server.url + form.action,
        files=[("file", ("x.txt", b"forged", "text/plain"))],
        headers={"Origin": kb_server.url},
        allow_redirects=False,
    )
    assert forged.status_code == 403
    # Delete, from its row.
    doc_id = names["guide.md"]["id"]
    delete = form_with_action(person.get(page_path).text, f"{page_path}/context/{doc_id}/delete")
    assert person.submit(delete).status_code == 303
    assert [d["filename"] for d in owner.documents()] == ["cover.pdf"]


def test_another_users_app_page_upload_is_404(owner, kb_server, unique_email):
    stranger_email = unique_email("stranger")
    kb_server.create_user(stranger_email, password="correct horse 9")
    person = Person(kb_server.url)
    assert person.login(stranger_email, "correct horse 9").status_code == 303
    own_page = person.get("/developer")  # any page, for a CSRF token of this session
    token = form_with_action(own_page.text, "/developer/apps").fields["csrf_token"]
    response = person.http.post(
        f"{kb_server.url}/developer/apps/{owner.client_id}/context",
        data={"csrf_token": token},
        files=[("file", ("x.txt", b"text", "text/plain"))],
        headers={"Origin": kb_server.url},
        allow_redirects=False,
    )
    assert response.status_code == 404
    assert person.get(f"/developer/apps/{owner.client_id}/context").status_code == 404
    assert owner.documents() == []


# ---------------------------------------------------------------- a process that died


def test_documents_of_a_dead_process_are_failed_not_left_processing(tmp_path, fake, unique_email):
    url = f"sqlite:///{tmp_path / 'legion.db'}"
    env = {**fake.env, "LEGION_HEARTBEAT_INTERVAL": "0.2"}
    with ServerProcess(url, env=env) as server:
        owner = new_owner(server, unique_email("owner"))
        doc = owner.add("notes.txt", b"Some notes about nothing in particular.")
    # As if a process had died while reading it: processing, owned by a process gone.
    with sqlite3.connect(tmp_path / "legion.db") as db:
        db.execute(
            "UPDATE knowledge_documents SET status = 'processing', process_id = 'gone' "
            "WHERE id = ?",
            (doc["id"],),
        )
    with ServerProcess(url, env=env) as server:
        owner.server = server
        deadline = time.monotonic() + 10
        while owner.document(doc["id"]).json()["status"] == "processing":
            assert time.monotonic() < deadline, "still processing"
            time.sleep(0.1)
        document = owner.document(doc["id"]).json()
        assert document["status"] == "failed"
        assert "interrupted" in document["reason"]


# ---------------------------------------------------------------- the rules, in process


def test_reciprocal_rank_fusion_rewards_chunks_both_rankings_agree_on():
    by_meaning, by_words = [11, 12, 13], [13, 14, 11]
    fused = fuse([by_meaning, by_words])
    assert fused[:2] == [11, 13]  # in both: 1/61 + 1/63 and 1/63 + 1/61 (a tie: meaning's order)
    assert set(fused) == {11, 12, 13, 14} and fused.index(12) < fused.index(14)
    assert fuse([[], [5, 6]]) == [5, 6] and fuse([]) == []


async def _cache_rules(url: str) -> None:
    db = Database(url)
    now = [1000.0]
    try:
        await upgrade(db)
        app_id = await db.write(
            lambda conn: conn.execute(
                apps.insert()
                .values(
                    client_id="lgn_" + "0" * 24,
                    name="cache",
                    type="web",
                    secret_hash="x",
                    created_at=utcnow(),
                    updated_at=utcnow(),
                )
                .returning(apps.c.id)
            ).scalar_one()
        )
        embedder = Embedder()

        async def add(text: str) -> None:
            document = await db.write(
                lambda conn: store.create_document(conn, app_id, "a.txt", "text", 1, "p")
            )
            blobs = chunk_vectors(embedder, [text])
            await db.write(
                lambda conn: store.add_chunks(conn, document.pk, app_id, 0, [text], blobs, "p")
            )
            await db.write(lambda conn: store.finish_document(conn, document.pk, "p"))

        search = KnowledgeSearch(db, embedder, clock=lambda: now[0])
        await add("Penguins live in the southern hemisphere.")
        first = await search.index(app_id)
        assert len(first.chunk_pks) == 1
        await add("Walruses live in the Arctic.")  # written by another process, say
        now[0] += 30
        assert await search.index(app_id) is first  # the vectors: as cached, for a minute
        # Words are searched in the database as it is: the new chunk is found by them.
        found = await search.find(app_id, "Where do walruses live?", [])
        assert "Walruses live in the Arctic." in found.section
        await add("Walruses eat clams on the sea floor.")
        again = await search.find(app_id, "Where do walruses live?", [])
        assert again is found  # the question's result: as cached, for a minute
        now[0] += 31
        assert await search.index(app_id) is first  # stale: served, re-checked behind
        await asyncio.gather(*search._tasks.values())
        assert len((await search.index(app_id)).chunk_pks) == 3
        now[0] += 30
        found = await search.find(app_id, "Where do walruses live?", [])
        assert "Walruses eat clams" in found.section
    finally:
        await db.dispose()


def test_an_apps_vectors_and_results_are_kept_a_minute_and_then_rechecked(tmp_path):
    run_async(_cache_rules(f"sqlite:///{tmp_path / 'cache.db'}"))


def test_openapi_describes_the_knowledge_base_routes(kb_server):
    document = httpx.get(f"{kb_server.url}/openapi.json").json()
    base = "/v1/apps/{client_id}/context"
    assert set(document["paths"][base]) == {"get", "post"}
    assert set(document["paths"][base + "/{context_id}"]) == {"get", "delete"}
    upload = document["paths"][base]["post"]
    assert "multipart/form-data" in upload["requestBody"]["content"]
    assert {"202", "413", "415"} <= set(upload["responses"])
    assert "Context" in document["components"]["schemas"]

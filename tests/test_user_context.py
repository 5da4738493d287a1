"""User context (SPEC §15): the profile on /account as [User Information], the summary of a
user's own questions as [User Context], one system message in the order the SPEC gives,
the flags, clearing, isolation between users; plus the rules underneath, in process
(what a question is reduced to, when a summary may be recomputed, no look-up with every
flag off)."""

from __future__ import annotations

import asyncio
import re
import time
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from tests.fakes.fixtures import REDIRECT_URI, connect_again
from tests.support.conversations import ChatClient
from tests.support.databases import in_own_loop, run_async
from tests.support.knowledge import ask, new_owner, serve, system_text
from tests.support.oauth import form_with_action
from widget_server.clock import utcnow
from widget_server.context import history
from widget_server.context import recorder as recorder_module
from widget_server.context.history import DayTally
from widget_server.context.recorder import QuestionRecorder
from widget_server.context.sections import with_context
from widget_server.context.signals import signals_of
from widget_server.gateway.request import ChatRequest
from widget_server.knowledge import KnowledgeBase
from widget_server.storage import Database
from widget_server.storage.migrate import upgrade
from widget_server.storage.schema import user_context_days, users

OFF = {"user_preferences": False, "user_information": False, "user_context": False}


@pytest.fixture(scope="module")
def context_server(backend, fake):
    yield from serve(backend, fake)


@pytest.fixture
def owner(context_server, unique_email):
    return new_owner(context_server, unique_email("owner"))


def account_summary(visitor) -> list[str]:
    page = visitor.person.get("/account").text
    found = re.search(r'<ul class="context-summary">(.*?)</ul>', page, re.S)
    return re.findall(r"<li>(.*?)</li>", found.group(1)) if found else []


def wait_for_summary(visitor, questions: int, timeout: float = 15) -> list[str]:
    """The account page's summary once it counts ``questions`` questions."""
    deadline = time.monotonic() + timeout
    while True:
        lines = account_summary(visitor)
        if f"Questions in the last 90 days: {questions}" in lines:
            return lines
        assert time.monotonic() < deadline, lines
        time.sleep(0.2)


def save_profile(visitor, **values: str):
    page = visitor.person.get("/account")
    form = form_with_action(page.text, "/account/profile")
    return visitor.person.submit(form, values)


# ---------------------------------------------------------------- the profile


def test_profile_fields_are_validated_saved_and_given_as_user_information(
    owner, fake, unique_email
):
    visitor = owner.visitor(unique_email("profile"))
    ask(visitor, "Hi")
    assert system_text(fake) == ""  # nothing set yet: no system message at all
    assert (
        save_profile(visitor, age="34", location=" Lisbon ", occupation="Nurse").status_code == 303
    )
    ask(visitor, "Hi")
    assert system_text(fake) == "[User Information]\nAge: 34\nLocation: Lisbon\nOccupation: Nurse"
    ask(visitor, "Hi", user_information=False)
    assert system_text(fake) == ""

    refused = save_profile(visitor, age="abc", location="x" * 121)
    assert refused.status_code == 400
    assert 'aria-invalid="true"' in refused.text
    assert "Age must be a whole number" in refused.text
    assert "Location must be at most 120 characters" in refused.text
    assert save_profile(visitor, age="0").status_code == 400
    ask(visitor, "Hi")
    assert "Age: 34" in system_text(fake)  # nothing was changed by the refused forms

    page = visitor.person.get("/account").text
    assert 'value="34"' in page and 'value="Lisbon"' in page
    assert save_profile(visitor, age="", location="", occupation="").status_code == 303
    ask(visitor, "Hi")
    assert system_text(fake) == ""


def test_one_system_message_in_the_spec_order_for_asks_with_a_system_prompt(
    context_server, fake, unique_email
):
    owner = new_owner(context_server, unique_email("owner"), system_prompt="Be brief.")
    owner.add("menu.txt", b"The cafe serves cardamom buns on Fridays only.")
    visitor = owner.visitor(unique_email("asker"))
    visitor.set_preferences("Use metric units.")
    assert save_profile(visitor, language="Portuguese").status_code == 303
    chat = ChatClient(visitor)
    response = chat.ask(chat.new_conversation(), "When are cardamom buns served?")
    assert response.status_code == 201, response.text
    messages = fake.requests[-1]["json"]["messages"]
    assert [m["role"] for m in messages] == ["system", "user"]
    system = messages[0]["content"]
    assert system.startswith(
        "Be brief.\n\n[User Preferences]\nUse metric units.\n\n"
        "[User Information]\nLanguage: Portuguese\n\n[App Knowledge Base]\n"
    )
    assert "cardamom buns on Fridays" in system
    # Anthropic's system field gets the same one text.
    chat.ask(chat.new_conversation(), "When are cardamom buns served?", model="claude-haiku-4-5")
    sent = fake.requests[-1]["json"]["system"]
    text = sent if isinstance(sent, str) else "".join(block["text"] for block in sent)
    assert text.startswith("Be brief.\n\n[User Preferences]")


# ---------------------------------------------------------------- the summary


def test_questions_of_every_app_become_the_users_context(owner, context_server, fake, unique_email):
    visitor = owner.visitor(unique_email("asker"))
    other_app = context_server.create_app(REDIRECT_URI)
    elsewhere = ChatClient(connect_again(visitor, other_app["client_id"]))
    ask(visitor, "How do I fix the python error in my invoice script?")
    ask(visitor, "Write a python function that totals an invoice", **OFF)  # still counted
    assert fake.requests[-1]["json"]["messages"][0]["role"] == "user"
    ask(visitor, "Python vs rust for invoice parsing?")
    asked = elsewhere.ask(elsewhere.new_conversation(), "What does an invoice number mean?")
    assert asked.status_code == 201, asked.text

    lines = wait_for_summary(visitor, 4)
    topics = next(line for line in lines if line.startswith("Recent topics: "))
    assert topics.split(": ")[1].split(", ")[:2] == ["invoice", "python"]
    assert "Primary language: English" in lines
    assert any(line.startswith("Intents: ") and "troubleshooting 25%" in line for line in lines)
    assert any(line.startswith("Average question length: ") for line in lines)

    ask(visitor, "Anything new?")
    system = system_text(fake)
    assert system.startswith("[User Context]\nRecent topics: invoice, python")
    assert "Questions in the last 90 days: 4" in system
    assert "comparison 25%" in system and "instruction 25%" in system
    ask(visitor, "Anything new?", user_context=False)
    assert system_text(fake) == ""


def test_clearing_forgets_the_users_context_and_counting_starts_again(owner, fake, unique_email):
    visitor = owner.visitor(unique_email("asker"))
    ask(visitor, "Tell me about sourdough starters")
    ask(visitor, "How warm should sourdough proof?")
    wait_for_summary(visitor, 2)
    page = visitor.person.get("/account")
    cleared = visitor.person.submit(form_with_action(page.text, "/account/context/clear"))
    assert cleared.status_code == 303
    page = visitor.person.get("/account").text
    assert "Nothing is kept about your questions." in page and account_summary(visitor) == []
    ask(visitor, "And rye flour?", **OFF)
    ask(visitor, "Hello", user_preferences=False)
    assert system_text(fake) == ""  # no summary yet: the old one is gone
    lines = wait_for_summary(visitor, 2)
    assert "sourdough" not in " ".join(lines)


def test_users_never_get_each_others_context(owner, fake, unique_email):
    first = owner.visitor(unique_email("first"))
    second = owner.visitor(unique_email("second"))
    for _ in range(2):
        ask(first, "What are the symptoms of tomato blight?")
    ask(second, "Explain orbital resonance of moons")
    wait_for_summary(first, 2)
    wait_for_summary(second, 1)
    ask(second, "More please")
    system = system_text(fake)
    assert "orbital" in system and "tomato" not in system and "blight" not in system


# ---------------------------------------------------------------- the rules, in process


def test_a_question_is_reduced_to_keywords_intent_language_and_length():
    signals = signals_of("How do I fix the TypeError in my Python invoice script?")
    assert signals.topics == ("typeerror", "python", "invoice", "script")
    assert (signals.intent, signals.language, signals.chars) == ("troubleshooting", "en", 55)
    assert signals_of("Write a poem about the sea").intent == "instruction"
    assert signals_of("Python vs Rust for servers").intent == "comparison"
    assert signals_of("What should I recommend to my team?").intent == "recommendation"
    assert signals_of("Hello!").intent == "conversation"
    assert signals_of("¿Cómo cambio la contraseña de mi cuenta?").language == "es"
    assert signals_of("Comment faire une tarte aux pommes ?").language == "fr"
    assert signals_of("東京の天気はどうですか").language == "ja"
    assert signals_of("東京の天気はどうですか").topics == ()  # no words to count
    assert signals_of("   ").chars == 0


async def _summary_rules(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
        now = utcnow()
        user_id = await db.write(
            lambda conn: conn.execute(
                insert(users)
                .values(email="rules@example.com", password_hash="x", created_at=now)
                .returning(users.c.id)
            ).scalar_one()
        )
        refresh = timedelta(minutes=5)
        old, today = history.day_of(now - timedelta(days=95)), history.day_of(now)
        tallies = {(user_id, old): DayTally(), (user_id, today): DayTally()}
        for question in ("Python vs Rust?", "Fix my python error", "Write a haiku"):
            tallies[(user_id, today)].add(signals_of(question))
        tallies[(user_id, old)].add(signals_of("Ancient question about pottery"))
        await db.write(lambda conn: history.record_tallies(conn, tallies, now))

        def due(at):
            return db.read_call(lambda conn: history.due_users(conn, at, refresh))

        # A new user's first summary waits a full interval, like every later one.
        assert await due(now) == []
        assert await due(now + timedelta(minutes=4)) == []
        assert await due(now + refresh) == [user_id]
        later = now + refresh
        await db.write(lambda conn: history.refresh_summaries(conn, [user_id], later))
        summary, computed_at = await db.read_call(lambda conn: history.read_summary(conn, user_id))
        assert computed_at == later
        assert summary == {
            "questions": 3,  # the day 95 days ago is outside the window, and deleted
            "average_chars": 16,
            "topics": ["python", "rust", "error", "haiku"],
            "intents": {"comparison": 33, "troubleshooting": 33, "instruction": 33},
            "language": "en",
        }
        # Nothing new: never due again; a new question: due an interval after the last.
        assert await due(later + timedelta(days=1)) == []
        one = {(user_id, today): DayTally()}
        one[(user_id, today)].add(signals_of("another python question"))
        await db.write(lambda conn: history.record_tallies(conn, one, later))
        assert await due(later + timedelta(minutes=4)) == []
        assert await due(later + refresh) == [user_id]
        await db.write(lambda conn: history.clear_history(conn, user_id))
        assert await db.read_call(lambda conn: history.read_summary(conn, user_id)) == (None, None)
    finally:
        await db.dispose()


def test_a_summary_is_recomputed_at_most_once_an_interval_and_only_after_new_questions(
    tmp_path,
):
    run_async(_summary_rules(f"sqlite:///{tmp_path / 'rules.db'}"))


async def _counting_yields_and_honours_a_forget_meanwhile(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
        now = utcnow()

        def new_user(email: str) -> int:
            return db.write(
                lambda conn: conn.execute(
                    insert(users)
                    .values(email=email, password_hash="x", created_at=now)
                    .returning(users.c.id)
                ).scalar_one()
            )

        kept, cleared = await new_user("kept@example.com"), await new_user("cleared@example.com")
        turns = 0
        turns_when_written: list[int] = []
        events: list[str] = []

        class Watched:
            """The database, noting how many turns the loop had when the counts are written."""

            async def write(self, work):
                turns_when_written.append(turns)
                result = await db.write(work)
                events.append("counts written")
                return result

        recorder = QuestionRecorder(Watched(), refresh_s=300)
        questions = 20
        for number in range(questions):
            recorder.record(kept, f"How do I export my invoices, take {number}?")
            recorder.record(cleared, f"Compare plan {number} with the others")

        async def clear() -> None:
            await recorder.forget(cleared)  # "Clear what is kept" while the flush counts
            events.append("forget returned")  # the clear's own write would follow here

        clearing: list[asyncio.Task] = []

        async def meanwhile() -> None:
            nonlocal turns
            while True:
                await asyncio.sleep(0)
                turns += 1
                if turns == 1:
                    clearing.append(asyncio.create_task(clear()))

        other = asyncio.create_task(meanwhile())
        try:
            await recorder.flush()
            await asyncio.gather(*clearing)
        finally:
            other.cancel()
        # The loop had a turn between questions, so one task's work never stalled the rest.
        assert turns_when_written and turns_when_written[0] >= 2 * questions - 1
        # forget() waited for the flush under way: a clear made next lands after its counts.
        assert events == ["counts written", "forget returned"]

        def day_rows(conn):
            return conn.execute(
                select(user_context_days.c.user_id, user_context_days.c.questions)
            ).all()

        assert await db.read_call(day_rows) == [(kept, questions)]
    finally:
        await db.dispose()


async def _a_flush_stopped_while_counting_leaves_its_questions_to_the_last(url: str) -> None:
    db = Database(url)
    try:
        await upgrade(db)
        user_id = await db.write(
            lambda conn: conn.execute(
                insert(users)
                .values(email="stopping@example.com", password_hash="x", created_at=utcnow())
                .returning(users.c.id)
            ).scalar_one()
        )
        recorder = QuestionRecorder(db, refresh_s=300)
        for number in range(10):
            recorder.record(user_id, f"Where is my order number {number}?")
        flushing = asyncio.create_task(recorder.flush())
        for _ in range(3):
            await asyncio.sleep(0)  # it is counting, a question a turn
        flushing.cancel()
        with pytest.raises(asyncio.CancelledError):
            await flushing
        await recorder.close()  # the last flush, as the server stops

        def questions(conn):
            return conn.execute(select(user_context_days.c.questions)).scalars().all()

        assert await db.read_call(questions) == [10]
    finally:
        await db.dispose()


def test_a_flush_stopped_while_counting_leaves_its_questions_to_the_last(tmp_path, monkeypatch):
    monkeypatch.setattr(recorder_module, "SLICE_S", 0.0)
    run_async(
        _a_flush_stopped_while_counting_leaves_its_questions_to_the_last(
            f"sqlite:///{tmp_path / 'stop.db'}"
        )
    )


def test_counting_questions_yields_to_the_loop_and_drops_a_user_who_cleared_meanwhile(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(recorder_module, "SLICE_S", 0.0)  # a turn after every question
    run_async(_counting_yields_and_honours_a_forget_meanwhile(f"sqlite:///{tmp_path / 'q.db'}"))


class _NoDatabase:
    def __getattr__(self, name):
        raise AssertionError(f"the database was used ({name}) with every flag off")


@in_own_loop
async def test_every_flag_off_and_no_context_ids_means_no_look_up_at_all():
    base = KnowledgeBase(_NoDatabase(), "process")
    request = ChatRequest(messages=[{"role": "user", "content": "Hi"}], **OFF)
    knowledge = await base.find(1, request, "Hi")
    assert knowledge.section == "" and knowledge.sources == []


def test_context_joins_the_first_system_message_or_starts_one():
    user = {"role": "user", "content": "Hi"}
    assert with_context([user], "") == [user]
    assert with_context([user], "[X]\ny") == [{"role": "system", "content": "[X]\ny"}, user]
    developer = {"role": "developer", "content": "Rules.  "}
    assert with_context([developer, user], "[X]") == [
        {"role": "developer", "content": "Rules.\n\n[X]"},
        user,
    ]
    parts = {"role": "system", "content": [{"type": "text", "text": "A"}]}
    joined = with_context([user, parts], "[X]")
    assert joined[1]["content"] == [
        {"type": "text", "text": "A"},
        {"type": "text", "text": "\n\n[X]"},
    ]
    assert parts["content"] == [{"type": "text", "text": "A"}]  # the request's own, unchanged

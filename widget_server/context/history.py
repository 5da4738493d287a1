"""A user's questions in counts, one row per UTC day, and the summary made from them
(SPEC §15 "user_context"): every query of the concern.

Each day row holds how many questions the user asked (``/v1/chat/completions`` and §11 asks,
every app), their characters in all, and counters of their keywords (the day's top
:data:`MAX_TOPICS_PER_DAY`), intents and languages. The summary sums the last
:data:`WINDOW_DAYS` days; older rows are deleted when it is recomputed. A row in
``user_context`` marks the user ``pending`` when questions came since the summary was
computed; a sweep recomputes pending summaries once they are old enough, so the model sees
at most one new summary per user per refresh interval and no request ever scans history.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import Connection, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite

from ..storage.schema import user_context, user_context_days, users
from .signals import Signals

WINDOW_DAYS = 90
MAX_TOPICS_PER_DAY = 100
TOP_TOPICS = 5
# Users recomputed per write transaction (each reads at most 90 small rows).
REFRESH_BATCH = 10


def day_of(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d")


@dataclass
class DayTally:
    """What one user's questions of one day add, before it is written."""

    questions: int = 0
    chars: int = 0
    topics: Counter = field(default_factory=Counter)
    intents: Counter = field(default_factory=Counter)
    languages: Counter = field(default_factory=Counter)

    def add(self, signals: Signals) -> None:
        self.questions += 1
        self.chars += signals.chars
        self.topics.update(signals.topics)
        self.intents[signals.intent] += 1
        if signals.language:
            self.languages[signals.language] += 1


def _insert(conn: Connection):
    return postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert


def record_tallies(
    conn: Connection, tallies: dict[tuple[int, str], DayTally], now: datetime
) -> None:
    """Add the tallies to their day rows and mark their users pending (one transaction).
    A user seen for the first time gets an empty summary "computed" ``now``: the first
    real one waits a full refresh interval, like every later one.

    Rows are made to exist first and then read ``FOR UPDATE`` (PostgreSQL; SQLite's writer
    is alone anyway), so processes adding to the same day never lose each other's counts.
    """
    living = set(
        conn.execute(
            select(users.c.id).where(users.c.id.in_({user for user, _ in tallies}))
        ).scalars()
    )
    # Rows are locked in one order by every process (no deadlock); a user deleted since
    # asking is left out (the rest of the batch must not fail with them).
    keys = sorted(key for key in tallies if key[0] in living)
    if not keys:
        return
    insert = _insert(conn)
    conn.execute(
        insert(user_context_days)
        .values([{"user_id": user, "day": day} for user, day in keys])
        .on_conflict_do_nothing()
    )
    rows = conn.execute(
        select(user_context_days)
        .where(tuple_(user_context_days.c.user_id, user_context_days.c.day).in_(keys))
        .order_by(user_context_days.c.user_id, user_context_days.c.day)
        .with_for_update()
    ).all()
    for row in rows:
        tally = tallies[(row.user_id, row.day)]
        counts = _load(row.counts)
        topics = Counter(counts["topics"]) + tally.topics
        merged = {
            "topics": dict(topics.most_common(MAX_TOPICS_PER_DAY)),
            "intents": dict(Counter(counts["intents"]) + tally.intents),
            "languages": dict(Counter(counts["languages"]) + tally.languages),
        }
        conn.execute(
            update(user_context_days)
            .where(user_context_days.c.user_id == row.user_id, user_context_days.c.day == row.day)
            .values(
                questions=row.questions + tally.questions,
                chars=row.chars + tally.chars,
                counts=json.dumps(merged, ensure_ascii=False, separators=(",", ":")),
            )
        )
    statement = insert(user_context).values(
        [
            {"user_id": user, "summary": None, "computed_at": now, "pending": True}
            for user in sorted({user for user, _ in keys})
        ]
    )
    conn.execute(
        statement.on_conflict_do_update(index_elements=["user_id"], set_={"pending": True})
    )


def _load(counts: str) -> dict:
    loaded = json.loads(counts or "{}")
    return {name: loaded.get(name, {}) for name in ("topics", "intents", "languages")}


def due_users(conn: Connection, now: datetime, refresh: timedelta, limit: int = 200) -> list[int]:
    """Users with new questions whose summary is at least ``refresh`` old."""
    return list(
        conn.execute(
            select(user_context.c.user_id)
            .where(user_context.c.pending, user_context.c.computed_at <= now - refresh)
            .limit(limit)
        ).scalars()
    )


def refresh_summaries(conn: Connection, user_ids: Iterable[int], now: datetime) -> None:
    """Recompute the users' summaries from their last 90 days; forget older days."""
    user_ids = list(user_ids)
    # Lock the summaries first: a concurrent record_tallies then marks them pending again
    # after this commits, rather than being overwritten by pending = false.
    conn.execute(
        select(user_context.c.user_id)
        .where(user_context.c.user_id.in_(user_ids))
        .order_by(user_context.c.user_id)
        .with_for_update()
    ).all()
    first_day = day_of(now - timedelta(days=WINDOW_DAYS - 1))
    conn.execute(
        delete(user_context_days).where(
            user_context_days.c.user_id.in_(user_ids), user_context_days.c.day < first_day
        )
    )
    days: dict[int, list] = {user: [] for user in user_ids}
    for row in conn.execute(
        select(user_context_days).where(user_context_days.c.user_id.in_(user_ids))
    ):
        days[row.user_id].append(row)
    for user, rows in days.items():
        summary = summarize(rows)
        conn.execute(
            update(user_context)
            .where(user_context.c.user_id == user)
            .values(
                summary=None if summary is None else json.dumps(summary, ensure_ascii=False),
                computed_at=now,
                pending=False,
            )
        )


def summarize(rows: Iterable) -> dict | None:
    """The summary of some day rows, or None when they hold no question."""
    questions = chars = 0
    topics, intents, languages = Counter(), Counter(), Counter()
    for row in rows:
        questions += row.questions
        chars += row.chars
        counts = _load(row.counts)
        topics.update(counts["topics"])
        intents.update(counts["intents"])
        languages.update(counts["languages"])
    if not questions:
        return None
    return {
        "questions": questions,
        "average_chars": round(chars / questions),
        "topics": [word for word, _ in topics.most_common(TOP_TOPICS)],
        "intents": {name: round(100 * n / questions) for name, n in intents.most_common()},
        "language": languages.most_common(1)[0][0] if languages else None,
    }


def read_summary(conn: Connection, user_id: int) -> tuple[dict | None, datetime | None]:
    """What ``/account`` shows: the summary and when it was computed."""
    row = conn.execute(
        select(user_context.c.summary, user_context.c.computed_at).where(
            user_context.c.user_id == user_id
        )
    ).first()
    if row is None:
        return None, None
    return (json.loads(row.summary) if row.summary else None), row.computed_at


def clear_history(conn: Connection, user_id: int) -> None:
    """Forget everything counted about the user's questions, and the summary."""
    conn.execute(delete(user_context_days).where(user_context_days.c.user_id == user_id))
    conn.execute(delete(user_context).where(user_context.c.user_id == user_id))

"""``app-stats`` and ``transactions`` (SPEC §1): fields, order, output forms and errors."""

from __future__ import annotations

from tests.fakes.fixtures import new_visitor

STATS_FIELDS = {
    "users",
    "requests",
    "prompt_tokens",
    "completion_tokens",
    "spend_micros",
    "developer_earnings_micros",
    "platform_micros",
}
ROW_FIELDS = {
    "id",
    "created_at",
    "user_id",
    "model",
    "prompt_tokens",
    "completion_tokens",
    "provider_cost_micros",
    "margin_micros",
    "developer_earning_micros",
    "platform_micros",
    "total_micros",
}


def test_stats_of_an_app_without_traffic(gateway_sqlite):
    app = gateway_sqlite.create_app("https://quiet.example/cb")
    stats = gateway_sqlite.cli_json("app-stats", app["client_id"])
    assert set(stats) >= STATS_FIELDS
    assert all(stats[name] == 0 for name in STATS_FIELDS)
    assert gateway_sqlite.cli_json("transactions", app["client_id"]) == []


def test_two_users_of_one_app(gateway_sqlite, fake, unique_email):
    fake.reset()
    fake.set(prompt_tokens=5, completion_tokens=7)
    first = new_visitor(gateway_sqlite, unique_email("stats-a"))
    first.chat(model="gpt-4o-mini")
    first.chat(model="gpt-4o")
    rows = gateway_sqlite.cli_json("transactions", first.client_id)
    assert [r["model"] for r in rows] == ["gpt-4o", "gpt-4o-mini"]  # newest first
    assert all(set(r) >= ROW_FIELDS for r in rows)
    assert rows[0]["id"] > rows[1]["id"]
    assert gateway_sqlite.cli_json("transactions", first.client_id, "--limit", "1") == rows[:1]
    stats = gateway_sqlite.cli_json("app-stats", first.client_id)
    assert stats["users"] == 1 and stats["requests"] == 2
    assert stats["prompt_tokens"] == 10 and stats["completion_tokens"] == 14
    text = gateway_sqlite.cli("app-stats", first.client_id).stdout
    assert "developer earnings" in text and "$" in text
    listing = gateway_sqlite.cli("transactions", first.client_id).stdout
    assert "gpt-4o-mini" in listing and first.email[:24] in listing


def test_unknown_client_id_is_an_error(gateway_sqlite):
    for command in ("app-stats", "transactions"):
        result = gateway_sqlite.cli(command, "lgn_nope", check=False)
        assert result.returncode == 1
        assert result.stderr.startswith("error: ")

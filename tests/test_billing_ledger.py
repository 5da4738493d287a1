"""Billing arithmetic, monthly limits and the ledger, on SQLite and PostgreSQL (SPEC §5.3)."""

from __future__ import annotations

import json
import socket
import time

import httpx
import pytest

from tests.fakes.fixtures import new_visitor


def assert_row_adds_up(row: dict) -> None:
    assert row["total_micros"] == row["provider_cost_micros"] + row["margin_micros"]
    assert row["margin_micros"] == row["developer_earning_micros"] + row["platform_micros"]


def test_charge_is_provider_price_plus_margin_split_75_25(gateway_server, fake, unique_email):
    visitor = new_visitor(gateway_server, unique_email("bill"))
    fake.set(prompt_tokens=1000, completion_tokens=2000, reply="x " * 10)
    # claude-sonnet-4-5: $3 in, $15 out per million tokens.
    # (A prompt of 1,000 tokens needs at least 1,000 bytes: the reservation's bound.)
    long_prompt = [{"role": "user", "content": "tell " * 300}]
    response = visitor.chat(model="claude-sonnet-4-5", max_tokens=2000, messages=long_prompt)
    assert response.status_code == 200
    [row] = visitor.transactions()
    assert row["model"] == "claude-sonnet-4-5"
    assert (row["prompt_tokens"], row["completion_tokens"]) == (1000, 2000)
    assert row["provider_cost_micros"] == 1000 * 3 + 2000 * 15  # 33,000
    assert row["margin_micros"] == 16_500  # the default margin, 50%
    assert row["developer_earning_micros"] == 12_375
    assert row["platform_micros"] == 4_125
    assert row["total_micros"] == 49_500
    assert_row_adds_up(row)
    wallet = visitor.wallet()
    assert wallet["balance_micros"] == 10_000_000 - 49_500
    assert wallet["month_spend_micros"] == 49_500
    assert wallet["reserved_micros"] == 0


def test_app_margin_and_rounding(gateway_server, fake, unique_email):
    visitor = new_visitor(gateway_server, unique_email("margin"), margin="12.5")
    fake.set(prompt_tokens=3, completion_tokens=5)
    visitor.chat(model="gpt-5-nano", max_tokens=5)  # $0.05 in, $0.40 out
    fake.set(prompt_tokens=20_000, completion_tokens=10)
    long_prompt = [{"role": "user", "content": "word " * 5000}]
    visitor.chat(model="gpt-4o", max_tokens=10, messages=long_prompt)  # $2.50 in, $10 out
    newer, older = visitor.transactions()
    # 3*0.05 + 5*0.40 = 2.15 micro-dollars: the provider cost rounds up...
    assert older["provider_cost_micros"] == 3
    assert older["margin_micros"] == 0  # ...the margin (12.5% of 3) rounds down.
    assert newer["provider_cost_micros"] == 50_100
    assert newer["margin_micros"] == 6_262  # 12.5%, rounded down
    assert newer["developer_earning_micros"] == 4_696
    assert newer["platform_micros"] == 1_566
    for row in (newer, older):
        assert_row_adds_up(row)
    assert visitor.wallet()["balance_micros"] == 10_000_000 - 3 - 56_362


def test_streamed_answer_is_billed_by_reported_usage(gateway_server, fake, unique_email):
    visitor = new_visitor(gateway_server, unique_email("stream-bill"))
    fake.set(reply="a b c d", prompt_tokens=50, thoughts=6)
    _, events = visitor.stream(model="gemini-2.5-flash")  # $0.30 in, $2.50 out
    assert events[-1] == "[DONE]"
    [row] = visitor.transactions()
    assert (row["prompt_tokens"], row["completion_tokens"]) == (50, 4 + 6)
    assert row["provider_cost_micros"] == -(-(50 * 300_000 + 10 * 2_500_000) // 1_000_000)
    assert_row_adds_up(row)


def test_empty_wallet_is_402_and_calls_no_provider(gateway_server, fake, unique_email):
    visitor = new_visitor(gateway_server, unique_email("empty"), credit="0.000001")
    response = visitor.chat(model="gpt-4o-mini")
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_funds"
    assert fake.requests == []


def test_wallet_too_small_for_worst_case_is_402(gateway_server, fake, unique_email):
    visitor = new_visitor(gateway_server, unique_email("small"), credit="0.01")
    # 100k output tokens of claude-opus-4-6 could cost $3.75 with the margin.
    response = visitor.chat(model="claude-opus-4-6", max_tokens=100_000)
    assert response.status_code == 402
    assert response.json()["error"]["code"] == "insufficient_funds"
    assert visitor.chat(model="claude-opus-4-6", max_tokens=100).status_code == 200


def test_monthly_limit_is_402_limit_exceeded(gateway_server, fake, unique_email):
    visitor = new_visitor(gateway_server, unique_email("limit"))
    visitor.set_monthly_limit("0.05")
    fake.set(prompt_tokens=10, completion_tokens=1000)
    # Worst case of 1,000 sonnet output tokens: ~$0.0225 with the margin; two fit, not three.
    results = [visitor.chat(model="claude-sonnet-4-5", max_tokens=1000) for _ in range(3)]
    assert [r.status_code for r in results] == [200, 200, 402]
    assert results[2].json()["error"]["code"] == "limit_exceeded"
    wallet = visitor.wallet()
    assert wallet["month_spend_micros"] <= 50_000
    assert wallet["month_spend_micros"] == sum(r["total_micros"] for r in visitor.transactions())


def test_usage_beyond_the_hold_is_charged_in_full_from_free_money(
    gateway_server, fake, unique_email
):
    """A provider may report more tokens than the hold allowed for (here a million each
    way for "Hello there"): the ledger still shows the real price, paid from what is free."""
    visitor = new_visitor(gateway_server, unique_email("beyond"))
    fake.set(prompt_tokens=1_000_000, completion_tokens=1_000_000)
    assert visitor.chat(model="gpt-4o-mini").status_code == 200  # $0.15 in, $0.60 out
    [row] = visitor.transactions()
    assert row["provider_cost_micros"] == 150_000 + 600_000
    assert row["margin_micros"] == 375_000
    assert row["developer_earning_micros"] == 281_250
    assert row["platform_micros"] == 93_750
    assert row["total_micros"] == 1_125_000
    wallet = visitor.wallet()
    assert wallet["balance_micros"] == 10_000_000 - 1_125_000
    assert (wallet["reserved_micros"], wallet["month_spend_micros"]) == (0, 1_125_000)


@pytest.mark.parametrize("bound", ["balance", "monthly limit"])
def test_usage_beyond_what_the_wallet_can_pay_takes_all_it_can_and_no_more(
    gateway_server, fake, unique_email, bound
):
    if bound == "balance":
        visitor = new_visitor(gateway_server, unique_email("beyond-all"), credit="0.5")
    else:
        visitor = new_visitor(gateway_server, unique_email("beyond-limit"))
        visitor.set_monthly_limit("0.5")
    fake.set(prompt_tokens=1_000_000, completion_tokens=1_000_000)
    assert visitor.chat(model="gpt-4o-mini").status_code == 200
    [row] = visitor.transactions()
    assert row["total_micros"] == 500_000
    assert row["provider_cost_micros"] == 500_000  # the provider cost first: no margin left
    assert_row_adds_up(row)
    wallet = visitor.wallet()
    assert wallet["month_spend_micros"] == 500_000
    assert wallet["balance_micros"] == (0 if bound == "balance" else 9_500_000)
    assert wallet["reserved_micros"] == 0
    refused = visitor.chat(model="gpt-4o-mini")
    assert refused.status_code == 402
    expected = "insufficient_funds" if bound == "balance" else "limit_exceeded"
    assert refused.json()["error"]["code"] == expected


def test_app_stats_and_transactions_agree(gateway_server, fake, unique_email):
    visitor = new_visitor(gateway_server, unique_email("stats"))
    fake.set(prompt_tokens=20, completion_tokens=30)
    for model in ("gpt-4o-mini", "claude-haiku-4-5", "gemini-2.0-flash"):
        assert visitor.chat(model=model, max_tokens=30).status_code == 200
    rows = visitor.transactions()
    assert [r["model"] for r in rows] == ["gemini-2.0-flash", "claude-haiku-4-5", "gpt-4o-mini"]
    assert all(r["user_id"] == rows[0]["user_id"] for r in rows)
    stats = gateway_server.cli_json("app-stats", visitor.client_id)
    assert stats["users"] == 1
    assert stats["requests"] == 3
    assert stats["prompt_tokens"] == 60 and stats["completion_tokens"] == 90
    assert stats["spend_micros"] == sum(r["total_micros"] for r in rows)
    assert stats["developer_earnings_micros"] == sum(r["developer_earning_micros"] for r in rows)
    assert stats["platform_micros"] == sum(r["platform_micros"] for r in rows)
    assert stats["spend_micros"] == stats["provider_cost_micros"] + stats["margin_micros"]


def test_client_disconnect_cancels_upstream_and_bills_what_was_generated(
    gateway_server, fake, unique_email
):
    visitor = new_visitor(gateway_server, unique_email("leaver"))
    fake.set(reply="word", chunks=2000, delay=0.01, prompt_tokens=10)
    with visitor.http.stream(
        "POST",
        visitor.server.url + "/v1/chat/completions",
        headers=visitor.headers,
        json={
            "model": "gpt-4o-mini",
            "stream": True,
            "max_tokens": 2000,
            "messages": [{"role": "user", "content": "Tell me everything"}],
        },
    ) as response:
        seen = 0
        for line in response.iter_lines():
            if line.startswith("data: "):
                seen += 1
            if seen >= 10:
                break
    upstream = fake.wait_for(lambda rs: rs and rs[-1]["disconnected"], timeout=10)[-1]
    assert not upstream["completed"]
    assert upstream["chunks_sent"] < 1000  # cancelled, not run to the end
    deadline = time.monotonic() + 10
    while not (rows := visitor.transactions()) and time.monotonic() < deadline:
        time.sleep(0.2)
    [row] = rows
    # About one token per 4 characters relayed ("word" chunks): far below the 2,000 asked.
    assert 1 <= row["completion_tokens"] <= upstream["chunks_sent"] + 1
    assert_row_adds_up(row)
    wallet = visitor.wallet()
    assert wallet["reserved_micros"] == 0
    assert wallet["balance_micros"] == 10_000_000 - row["total_micros"]


@pytest.mark.parametrize("stream", [False, True])
def test_a_client_that_leaves_before_the_answer_pays_for_its_prompt(
    gateway_server, fake, unique_email, stream
):
    """The provider read the prompt (and bills it) even if the client hung up before the
    first byte: abandoned requests must not make it work for free."""
    visitor = new_visitor(gateway_server, unique_email("early-leaver"))
    fake.set(first_delay=30)
    prompt = "word " * 400  # 2,000 characters: 500 tokens by the 4-character estimate
    body = json.dumps(
        {
            "model": "gpt-4o",  # $2.50 in
            "stream": stream,
            "messages": [{"role": "user", "content": prompt}],
        }
    ).encode()
    url = httpx.URL(visitor.server.url)
    head = (
        f"POST /v1/chat/completions HTTP/1.1\r\nHost: {url.host}:{url.port}\r\n"
        f"Authorization: Bearer {visitor.token}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    with socket.create_connection((url.host, url.port)) as client:
        client.sendall(head.encode() + body)
        fake.wait_for(lambda rs: bool(rs))  # the provider has the prompt: now hang up
    fake.wait_for(lambda rs: rs and rs[-1]["disconnected"], timeout=10)
    deadline = time.monotonic() + 10
    while not (rows := visitor.transactions()) and time.monotonic() < deadline:
        time.sleep(0.2)
    [row] = rows
    assert (row["prompt_tokens"], row["completion_tokens"]) == (500, 0)
    assert row["provider_cost_micros"] == 500 * 2.5
    assert_row_adds_up(row)
    wallet = visitor.wallet()
    assert wallet["reserved_micros"] == 0
    assert wallet["balance_micros"] == 10_000_000 - row["total_micros"]

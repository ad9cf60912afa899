"""LLMClient against the scripted OpenAI-compatible server on 127.0.0.1: answers, retries, 429
backoff, concurrency bound, structured-output fallback, failures as counted results."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from pydantic import BaseModel

from synth.llm import LLMClient, LLMRequest
from tests.llm_server import (
    LLMTestServer,
    config_for,
    drop,
    empty,
    invalid_json,
    ok,
    rate_limited,
    raw,
    refusal,
    server_error,
    slow,
    status,
)


class Q(BaseModel):
    question: str


def req(i: int | str = 0, schema: type[BaseModel] | None = Q) -> LLMRequest:
    return LLMRequest(messages=[{"role": "user", "content": f"item {i}"}], schema=schema, key=str(i),
                      prompt_version="test.v1")


def echo(call):
    """Answer with the item number of the request, so results can be matched to inputs."""
    return ok({"question": f"{call.user_text}?"})


def test_answers_parse_and_keep_input_order(srv):
    srv.responder = echo
    with LLMClient(config_for(srv, concurrency=8)) as client:
        results = client.complete_many([req(i) for i in range(30)], stage="write")
    assert [r.key for r in results] == [str(i) for i in range(30)]
    assert all(r.ok and r.error == "" for r in results)
    assert [r.parsed.question for r in results] == [f"item {i}?" for i in range(30)]
    row = client.ledger.stage("write")
    assert row["requests"] == row["calls"] == row["ok"] == 30
    assert row["prompt_tokens"] > 0 and row["completion_tokens"] > 0
    assert row["answers"] == {"test-model|test.v1": 30} and row["parse_failures"] == {}


def test_empty_batch_makes_no_call(srv):
    with LLMClient(config_for(srv)) as client:
        assert client.complete_many([], stage="write") == []
    assert srv.calls == []


def test_request_body_carries_model_params_and_strict_schema(srv):
    with LLMClient(config_for(srv, temperature=0.3, max_tokens=77)) as client:
        client.complete_many([req(1)], stage="write")
    body = srv.chat_calls[0].body
    assert body["model"] == "test-model" and body["temperature"] == 0.3 and body["max_tokens"] == 77
    rf = body["response_format"]
    assert rf["type"] == "json_schema" and rf["json_schema"]["strict"] is True
    schema = rf["json_schema"]["schema"]
    assert schema["required"] == ["question"] and schema["additionalProperties"] is False


@pytest.mark.parametrize(("reply", "error"), [
    (invalid_json('{"question": "Who wrote'), "parse_error"),
    (ok("I think the answer is 42."), "parse_error"),
    (ok({"title": "no question field"}), "schema_violation"),
    (ok({"question": ["not", "a", "string"]}), "schema_violation"),
    (refusal("I'm sorry, I can't help with that."), "refusal"),
    (ok("I'm sorry, but I cannot help with this request."), "refusal"),
    (ok('{"question": "cut off', finish_reason="length"), "truncated"),
    (empty(), "empty"),
    (ok({"question": "x?"}, finish_reason="content_filter"), "refusal"),
    (raw(200, b"<html>gateway says hi</html>", content_type="text/html"), "bad_response"),
    (raw(200, b'{"object": "chat.completion", "choices": []}'), "bad_response"),
])
def test_bad_answers_are_counted_rejects_that_keep_the_raw_text(srv, reply, error):
    srv.script(reply)
    with LLMClient(config_for(srv)) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert not res.ok and res.error == error and res.parsed is None
    if error not in ("empty",):
        assert res.raw, "the raw answer is kept for inspection"
    row = client.ledger.stage("write")
    assert row["failures"] == {error: 1} and row["ok"] == 0
    if error != "bad_response":
        assert row["parse_failures"] == {"test-model|test.v1": 1}


def test_tolerant_parse_accepts_fenced_and_chatty_json(srv):
    srv.script(ok('```json\n{"question": "A?"}\n```'), ok('Sure! Here it is: {"question": "B?"} Enjoy.'),
                      ok('{"question": "C?",}'))
    with LLMClient(config_for(srv, concurrency=1)) as client:
        results = client.complete_many([req(i) for i in range(3)], stage="write")
    assert [r.parsed.question for r in results] == ["A?", "B?", "C?"]


def test_schema_none_returns_plain_text(srv):
    srv.script(ok("Paris"))
    with LLMClient(config_for(srv)) as client:
        [res] = client.complete_many([req(1, schema=None)], stage="qa")
    assert res.ok and res.raw == "Paris" and res.parsed is None
    assert "response_format" not in srv.chat_calls[0].body


def test_5xx_are_retried_by_the_openai_client(srv):
    srv.script(server_error(500), server_error(503), ok({"question": "ok?"}))
    with LLMClient(config_for(srv, max_retries=2)) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert res.ok and res.parsed.question == "ok?"
    assert [c.status for c in srv.chat_calls] == [500, 503, 200]
    row = client.ledger.stage("write")
    assert row["calls"] == 1 and row["server_errors"] == 2  # one call of ours, two SDK retries inside


def test_persistent_5xx_becomes_http_error_after_the_client_retries(srv):
    srv.script(*[server_error(500)] * 3)
    with LLMClient(config_for(srv, max_retries=2)) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert res.error == "http_error" and "500" in res.detail
    assert len(srv.chat_calls) == 3


def test_timeouts_are_retried_then_reported(srv):
    srv.script(slow(1.5), slow(1.5))
    t = time.monotonic()
    with LLMClient(config_for(srv, timeout=0.5, max_retries=1)) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert res.error == "timeout"
    assert len(srv.chat_calls) == 2
    assert time.monotonic() - t < 4


def test_a_slow_answer_within_the_timeout_is_fine(srv):
    srv.script(slow(0.3, ok({"question": "late?"})))
    with LLMClient(config_for(srv, timeout=2)) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert res.ok and res.parsed.question == "late?"


def test_dropped_connection_is_retried_by_the_client(srv):
    srv.script(drop(), ok({"question": "again?"}))
    with LLMClient(config_for(srv, max_retries=2)) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert res.ok and res.parsed.question == "again?"
    assert len(srv.chat_calls) == 2


def test_persistent_drops_become_connection_error(srv):
    srv.script(drop(), drop())
    with LLMClient(config_for(srv, max_retries=1)) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert res.error == "connection_error"


def test_429_is_handled_by_us_with_retry_after_not_by_the_sdk(srv):
    """One 429: the SDK does not re-send it; we pause new calls for Retry-After, then re-send."""
    srv.script(rate_limited(retry_after=0.4), ok({"question": "after pause?"}))
    with LLMClient(config_for(srv, max_retries=3, concurrency=4)) as client:
        [res] = client.complete_many([req(1)], stage="write")
        stats = client.stats()
    assert res.ok and res.parsed.question == "after pause?"
    c429, c200 = srv.chat_calls
    assert c429.status == 429 and c200.status == 200
    assert c200.started - c429.finished >= 0.35, "the Retry-After pause was respected"
    row = client.ledger.stage("write")
    assert row["rate_limited"] == 1 and row["calls"] == 2
    assert stats["decreases"] == 1 and stats["limit"] == 2  # halved from 4


def test_retry_after_ms_header_is_honoured(srv):
    srv.script(rate_limited(retry_after=None, retry_after_ms=300), ok({"question": "ms?"}))
    with LLMClient(config_for(srv)) as client:
        [res] = client.complete_many([req(1)], stage="write")
    c429, c200 = srv.chat_calls
    assert res.ok and c200.started - c429.finished >= 0.25


def test_429_storm_slows_down_and_completes(srv):
    """Every request of the first burst is rate limited: the limit halves once for the burst,
    all requests finish, and the limit grows back on the run of successes."""
    srv.responder = echo
    srv.script(*[rate_limited(retry_after=0.1)] * 8)
    with LLMClient(config_for(srv, concurrency=8)) as client:
        results = client.complete_many([req(i) for i in range(60)], stage="write")
        stats = client.stats()
    assert all(r.ok for r in results)
    assert [r.parsed.question for r in results] == [f"item {i}?" for i in range(60)]
    assert client.ledger.stage("write")["rate_limited"] == 8
    assert stats["decreases"] == 1, "one burst, one decrease"
    assert stats["increases"] >= 1 and stats["limit"] > 4


def test_429_beyond_our_retries_is_rate_limited(srv):
    srv.script(*[rate_limited(retry_after=0.01)] * 3)
    with LLMClient(config_for(srv, rate_limit_retries=2)) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert res.error == "rate_limited" and len(srv.chat_calls) == 3


def test_insufficient_quota_stops_the_client(srv):
    srv.script(rate_limited(retry_after=None, code="insufficient_quota"))
    with LLMClient(config_for(srv, concurrency=1)) as client:
        results = client.complete_many([req(i) for i in range(5)], stage="write")
    assert {r.error for r in results} == {"quota_exhausted"}
    assert len(srv.chat_calls) == 1, "no call after a fatal error"


def test_auth_error_is_fatal_and_logged_once(srv, caplog):
    srv.require_key = "sk-the-right-one"
    with LLMClient(config_for(srv, concurrency=1)) as client:
        results = client.complete_many([req(i) for i in range(4)], stage="write")
    assert {r.error for r in results} == {"auth_error"}
    assert len(srv.chat_calls) == 1
    assert sum("auth_error" in m for m in caplog.messages) == 1
    assert client.ledger.stage("write")["failures"] == {"auth_error": 4}


def test_bad_request_is_an_http_error_not_a_crash(srv):
    srv.script(status(400, "context length exceeded"), status(400, "context length exceeded"),
                      status(400, "context length exceeded"))
    with LLMClient(config_for(srv)) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert res.error == "http_error" and "context length" in res.detail


def test_concurrency_never_exceeds_the_limit(srv):
    srv.latency = 0.05
    with LLMClient(config_for(srv, concurrency=5)) as client:
        results = client.complete_many([req(i) for i in range(40)], stage="write")
        stats = client.stats()
    assert all(r.ok for r in results)
    assert srv.max_in_flight == 5
    assert stats["max_in_flight"] == 5


def test_concurrency_bound_holds_through_429_and_5xx(srv):
    srv.latency = 0.02
    srv.script(*[rate_limited(0.05), server_error(502), ok()] * 6)
    with LLMClient(config_for(srv, concurrency=3)) as client:
        results = client.complete_many([req(i) for i in range(30)], stage="write")
    assert all(r.ok for r in results)
    assert srv.max_in_flight <= 3


def test_auto_mode_falls_back_to_json_object_and_sticks(srv):
    srv.supports_json_schema = False
    srv.responder = echo
    with LLMClient(config_for(srv, concurrency=1, structured="auto")) as client:
        results = client.complete_many([req(i) for i in range(3)], stage="write")
        assert client.mode == "json_object"
    assert all(r.ok for r in results) and {r.mode for r in results} == {"json_object"}
    kinds = [c.response_format["type"] for c in srv.chat_calls]
    assert kinds == ["json_schema", "json_object", "json_object", "json_object"]


def test_auto_mode_falls_back_to_plain_text(srv):
    srv.supports_json_schema = srv.supports_json_object = False
    srv.script(ok('Here: {"question": "plain?"}'))
    with LLMClient(config_for(srv, structured="auto")) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert res.ok and res.parsed.question == "plain?" and res.mode == "text"
    assert "response_format" not in srv.chat_calls[-1].body


def test_json_schema_mode_does_not_fall_back(srv):
    srv.supports_json_schema = False
    with LLMClient(config_for(srv, structured="json_schema")) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert res.error == "http_error" and len(srv.chat_calls) == 1


def test_json_object_mode(srv):
    with LLMClient(config_for(srv, structured="json_object")) as client:
        [res] = client.complete_many([req(1)], stage="write")
    assert res.ok and srv.chat_calls[0].response_format == {"type": "json_object"}


def test_complete_many_inside_a_running_loop(srv):
    srv.responder = echo

    async def main():
        with LLMClient(config_for(srv)) as client:
            return client.complete_many([req(i) for i in range(5)], stage="write")

    results = asyncio.run(main())
    assert [r.parsed.question for r in results] == [f"item {i}?" for i in range(5)]


def test_acomplete_from_the_callers_loop_shares_the_limit(srv):
    srv.responder = echo
    srv.latency = 0.03

    async def main(client):
        return await asyncio.gather(*(client.acomplete(req(i), stage="e2h") for i in range(12)))

    with LLMClient(config_for(srv, concurrency=3)) as client:
        results = asyncio.run(main(client))
        again = client.complete_many([req(i) for i in range(3)], stage="e2h")  # same client, sync, after
    assert [r.parsed.question for r in results] == [f"item {i}?" for i in range(12)]
    assert all(r.cached for r in again)
    assert srv.max_in_flight <= 3


def test_closed_client_refuses_work(srv):
    client = LLMClient(config_for(srv))
    client.complete_many([req(1)], stage="write")
    client.close()
    client.close()  # idempotent
    with pytest.raises(RuntimeError):
        client.complete_many([req(2)], stage="write")


def test_server_stub_answers_any_schema(srv):
    class Nested(BaseModel):
        answer: str
        confidence: float
        tags: list[str]

    with LLMClient(config_for(srv)) as client:
        [res] = client.complete_many([req(1, schema=Nested)], stage="x")
    assert res.ok and isinstance(res.parsed, Nested)


def test_stats_endpoint_of_the_test_server():
    import urllib.request

    with LLMTestServer() as srv:
        with LLMClient(config_for(srv)) as client:
            client.complete_many([req(i) for i in range(3)], stage="w")
        with urllib.request.urlopen(srv.url + "/_stats", timeout=5) as r:
            stats = json.loads(r.read())
        with urllib.request.urlopen(srv.url + "/_calls", timeout=5) as r:
            timeline = json.loads(r.read())
    assert set(stats) == {"chat_calls", "max_in_flight", "cpu_s"}
    assert stats["chat_calls"] == 3 and stats["max_in_flight"] >= 1 and stats["cpu_s"] > 0
    assert len(timeline) == 3 and all(status == 200 and finished >= started for _, started, finished, status in timeline)


@pytest.mark.parametrize("backend", ["httpx", "aiohttp"])
def test_both_http_backends_classify_failures_alike(srv, backend):
    """drop → connection_error, slow → timeout, 429 surfaced to us, 5xx retried by the SDK."""
    srv.script(drop(), drop(), slow(1.5), slow(1.5), rate_limited(0.05), ok({"question": "a?"}),
               server_error(500), ok({"question": "b?"}))
    cfg = config_for(srv, http_backend=backend, concurrency=1, max_retries=1, timeout=0.5)
    with LLMClient(cfg) as client:
        results = client.complete_many([req(i) for i in range(4)], stage="write")
    assert [r.error for r in results] == ["connection_error", "timeout", "", ""]
    assert [c.reply for c in srv.chat_calls] == ["drop", "drop", "slow(default)", "slow(default)", "429", "ok",
                                                 "500", "ok"]

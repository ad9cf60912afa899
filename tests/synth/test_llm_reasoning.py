"""Reasoning models (OpenAI o-series / gpt-5): ``max_tokens`` and a non-default temperature are rejected
with HTTP 400; the client re-sends once in the accepted form, remembers it, and keeps the cache key."""

from __future__ import annotations

import sqlite3

import pytest
from pydantic import BaseModel

from synth.llm import LLMClient, LLMRequest
from synth.llm.cache import cache_key
from synth.llm.client import _unsupported_param
from tests.llm_server import (
    LLMTestServer,
    config_for,
    ok,
    status,
    unsupported_parameter,
    unsupported_value,
)


class Q(BaseModel):
    question: str


def req(i: int | str = 0) -> LLMRequest:
    return LLMRequest(messages=[{"role": "user", "content": f"item {i}"}], schema=Q, key=str(i), prompt_version="t.v1")


def sent(call) -> dict:
    """The parameters of a request body that this feature is about."""
    return {k: call.body[k] for k in ("max_tokens", "max_completion_tokens", "temperature") if k in call.body}


def keys(path) -> set[str]:
    with sqlite3.connect(path) as db:
        return {k for (k,) in db.execute("SELECT key FROM responses")}


class _Err(Exception):
    def __init__(self, body):
        self.body = body


@pytest.mark.parametrize(("error", "param"), [
    ({"message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' "
                 "instead.", "type": "invalid_request_error", "param": "max_tokens", "code": "unsupported_parameter"},
     "max_tokens"),
    ({"message": "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is "
                 "supported.", "type": "invalid_request_error", "param": "temperature", "code": "unsupported_value"},
     "temperature"),
    ({"message": "Unsupported parameter: 'temperature' is not supported with this model.",
      "type": "invalid_request_error", "param": "temperature", "code": "unsupported_parameter"}, "temperature"),
    # a proxy that keeps OpenAI's message but not its fields
    ({"message": "Unsupported parameter: 'max_tokens' is not supported with this model.", "code": "invalid_request_body"},
     "max_tokens"),
    ({"message": "response_format json_schema is not supported", "type": "invalid_request_error", "param": None,
      "code": None}, None),
    ({"message": "Invalid 'messages': empty array.", "type": "invalid_request_error", "param": "messages",
      "code": "empty_array"}, None),
])
def test_unsupported_parameter_is_read_from_openais_error_body(error, param):
    assert _unsupported_param(_Err({"error": error})) == param
    assert _unsupported_param(_Err(error)) == param  # the error object alone, as some SDK versions keep it
    assert _unsupported_param(_Err("not json")) is None


def test_reasoning_model_is_handled_and_the_adaptation_is_remembered():
    with LLMTestServer(reasoning_model=True) as srv:
        with LLMClient(config_for(srv, concurrency=1, max_tokens=77, temperature=0.0)) as client:
            first = client.complete_many([req(0)], stage="write")
            assert first[0].ok and first[0].parsed.question
            assert [sent(c) for c in srv.chat_calls] == [
                {"max_tokens": 77, "temperature": 0.0},            # 400 unsupported_parameter max_tokens
                {"max_completion_tokens": 77, "temperature": 0.0},  # 400 unsupported_value temperature
                {"max_completion_tokens": 77},                      # 200
            ]
            assert [c.status for c in srv.chat_calls] == [400, 400, 200]
            srv.reset()
            later = client.complete_many([req(i) for i in range(1, 6)], stage="write")
            stats = client.stats()
        assert all(r.ok for r in later)
        assert [sent(c) for c in srv.chat_calls] == [{"max_completion_tokens": 77}] * 5  # no more 400s
        assert all(c.response_format["type"] == "json_schema" for c in srv.chat_calls)  # not a mode fallback
    assert stats["param_adaptations"] == {"max_tokens": "max_completion_tokens", "temperature": "omitted"}
    assert stats["token_param"] == "max_completion_tokens" and stats["temperature_sent"] is False
    assert stats["param_resends"] == 2 and stats["mode"] == "json_schema"
    row = client.ledger.stage("write")
    assert row["ok"] == 6 and row["calls"] == 8 and row["failures"] == {}


def test_only_the_rejected_parameter_changes():
    with LLMTestServer() as srv:
        srv.script(unsupported_parameter("max_tokens"), ok({"question": "a?"}))
        with LLMClient(config_for(srv, concurrency=1, max_tokens=50, temperature=0.3)) as client:
            assert client.complete_many([req(0)], stage="w")[0].ok
        assert [sent(c) for c in srv.chat_calls] == [{"max_tokens": 50, "temperature": 0.3},
                                                    {"max_completion_tokens": 50, "temperature": 0.3}]
        srv.reset()
        srv.script(unsupported_value("temperature", 0.3), ok({"question": "b?"}))
        with LLMClient(config_for(srv, concurrency=1, max_tokens=50, temperature=0.3)) as client:
            assert client.complete_many([req(1)], stage="w")[0].ok
            assert client.stats()["param_adaptations"] == {"temperature": "omitted"}
        assert [sent(c) for c in srv.chat_calls] == [{"max_tokens": 50, "temperature": 0.3}, {"max_tokens": 50}]


def test_the_retry_happens_once_per_parameter():
    """A server that keeps rejecting max_tokens even when it is not sent: one re-send, then http_error."""
    with LLMTestServer() as srv:
        srv.responder = lambda call: unsupported_parameter("max_tokens")
        with LLMClient(config_for(srv, concurrency=1)) as client:
            res = client.complete_many([req(0)], stage="w")[0]
        assert res.error == "http_error" and "max_tokens" in res.detail and "HTTP 400" in res.detail
        assert len(srv.chat_calls) == 2  # the original and one re-send; no structured-output fallback
        assert all(c.response_format["type"] == "json_schema" for c in srv.chat_calls)


def test_a_rejected_max_completion_tokens_is_not_bounced_back():
    with LLMTestServer() as srv:
        srv.responder = lambda call: unsupported_parameter("max_completion_tokens")
        with LLMClient(config_for(srv, concurrency=1, token_param="max_completion_tokens")) as client:
            res = client.complete_many([req(0)], stage="w")[0]
        assert res.error == "http_error" and len(srv.chat_calls) == 1


def test_explicit_token_param_is_not_adapted():
    with LLMTestServer(reasoning_model=True) as srv:
        with LLMClient(config_for(srv, concurrency=1, token_param="max_tokens")) as client:
            res = client.complete_many([req(0)], stage="w")[0]
            assert client.stats()["param_adaptations"] == {}
        assert res.error == "http_error" and "max_completion_tokens" in res.detail
        assert len(srv.chat_calls) == 1


def test_explicit_reasoning_config_needs_no_retry():
    with LLMTestServer(reasoning_model=True) as srv:
        cfg = config_for(srv, concurrency=1, max_tokens=90, token_param="max_completion_tokens", temperature=None)
        with LLMClient(cfg) as client:
            assert client.complete_many([req(0)], stage="w")[0].ok
            assert client.stats()["param_resends"] == 0
        assert [sent(c) for c in srv.chat_calls] == [{"max_completion_tokens": 90}]


def test_many_requests_in_flight_adapt_once_each_and_all_answer():
    with LLMTestServer(reasoning_model=True, latency=0.02) as srv:
        with LLMClient(config_for(srv, concurrency=8)) as client:
            results = client.complete_many([req(i) for i in range(40)], stage="w")
            stats = client.stats()
        assert all(r.ok for r in results)
        rejected = [c for c in srv.chat_calls if c.status == 400]
        assert len(rejected) <= 2 * 8  # at most one 400 per parameter for each request in flight
        assert len(srv.chat_calls) == 40 + len(rejected) and stats["param_resends"] == len(rejected)


def test_cache_key_is_the_configured_request_so_a_rerun_is_call_free(tmp_path):
    """The adapted client stores its answers under the same key an unadapted client computes: a re-run
    (which has not learned the adaptation yet) makes no call; and the keys are those of the request as
    configured, the same a normal model gets."""
    path = tmp_path / "c.sqlite"
    with LLMTestServer(reasoning_model=True) as srv:
        with LLMClient(config_for(srv, path, concurrency=2)) as client:
            assert all(r.ok for r in client.complete_many([req(i) for i in range(6)], stage="w"))
        srv.reset()
        with LLMClient(config_for(srv, path, concurrency=2)) as client:
            again = client.complete_many([req(i) for i in range(6)], stage="w")
            assert client.stats()["param_adaptations"] == {}  # nothing sent, nothing learned
        assert srv.chat_calls == [] and all(r.ok and r.cached for r in again)
    plain_path = tmp_path / "plain.sqlite"
    with LLMTestServer() as srv, LLMClient(config_for(srv, plain_path, concurrency=2)) as client:
        client.complete_many([req(i) for i in range(6)], stage="w")
        configured = srv.chat_calls[0].body
    assert keys(path) == keys(plain_path)
    assert cache_key(configured) in keys(path)  # the configured payload, max_tokens and temperature included


def test_requests_that_differ_as_configured_never_share_an_answer(tmp_path):
    """temperature 0.0 and 0.7 both become "no temperature" on the wire; they still keep two keys."""
    path = tmp_path / "c.sqlite"
    with LLMTestServer(reasoning_model=True) as srv:
        srv.responder = lambda call: ok({"question": f"answer {len(srv.chat_calls)}?"})
        with LLMClient(config_for(srv, path, concurrency=1, temperature=0.0)) as client:
            a = client.complete_many([req(0)], stage="w")[0]
        with LLMClient(config_for(srv, path, concurrency=1, temperature=0.7)) as client:
            b = client.complete_many([req(0)], stage="w")[0]
        assert a.ok and b.ok and not b.cached and a.parsed != b.parsed
        assert [c.status for c in srv.chat_calls].count(200) == 2
    assert len(keys(path)) == 2


def test_a_400_that_is_not_about_these_parameters_still_falls_back_in_auto_mode():
    with LLMTestServer() as srv:
        srv.script(status(400, "response_format json_schema is not supported"), ok({"question": "a?"}))
        with LLMClient(config_for(srv, concurrency=1)) as client:
            assert client.complete_many([req(0)], stage="w")[0].ok
            assert client.mode == "json_object" and client.stats()["param_adaptations"] == {}

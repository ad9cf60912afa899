"""The content-addressed response cache: a re-run is call-free, failures are never cached."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from synth.llm import LLMClient, LLMRequest
from synth.llm.cache import ResponseCache, cache_key
from tests.llm_server import config_for, ok, refusal, server_error


class Q(BaseModel):
    question: str


def reqs(n: int) -> list[LLMRequest]:
    return [LLMRequest(messages=[{"role": "user", "content": f"item {i}"}], schema=Q, key=str(i)) for i in range(n)]


def echo(call):
    return ok({"question": f"{call.user_text}?"})


def test_rerun_of_the_same_job_makes_zero_calls(srv, tmp_path):
    srv.responder = echo
    cfg = config_for(srv, tmp_path / "c.sqlite")
    with LLMClient(cfg) as client:
        first = client.complete_many(reqs(20), stage="write")
    assert len(srv.chat_calls) == 20
    with LLMClient(cfg) as client:  # a new process would do the same: new client, same cache file
        second = client.complete_many(reqs(20), stage="write")
        row = client.ledger.stage("write")
    assert len(srv.chat_calls) == 20, "the re-run made no call"
    assert [r.parsed for r in second] == [r.parsed for r in first]
    assert all(r.cached and r.prompt_tokens == r.completion_tokens == 0 for r in second)
    assert row["cache_hits"] == 20 and row["calls"] == 0
    assert row["prompt_tokens"] == row["completion_tokens"] == 0


def test_failures_are_never_cached(srv, tmp_path):
    srv.script(ok("not json at all"), refusal(), *[server_error(500)] * 3, ok({"question": "fine?"}))
    cfg = config_for(srv, tmp_path / "c.sqlite", concurrency=1, max_retries=2)
    with LLMClient(cfg) as client:
        first = client.complete_many(reqs(4), stage="write")
    assert [r.error for r in first] == ["parse_error", "refusal", "http_error", ""]
    n = len(srv.chat_calls)
    srv.responder = echo
    with LLMClient(cfg) as client:
        second = client.complete_many(reqs(4), stage="write")
    assert [r.cached for r in second] == [False, False, False, True]
    assert all(r.ok for r in second)
    assert len(srv.chat_calls) == n + 3, "only the three failures were asked again"


@pytest.mark.parametrize("change", [{"model": "other-model"}, {"temperature": 0.7}, {"max_tokens": 99},
                                    {"structured": "json_object"}])
def test_every_parameter_is_part_of_the_key(srv, tmp_path, change):
    srv.responder = echo
    path = tmp_path / "c.sqlite"
    with LLMClient(config_for(srv, path)) as client:
        client.complete_many(reqs(2), stage="write")
    with LLMClient(config_for(srv, path, **change)) as client:
        results = client.complete_many(reqs(2), stage="write")
    assert not any(r.cached for r in results) and len(srv.chat_calls) == 4


def test_messages_are_part_of_the_key(srv, tmp_path):
    path = tmp_path / "c.sqlite"
    with LLMClient(config_for(srv, path)) as client:
        client.complete_many(reqs(1), stage="write")
        other = LLMRequest(messages=[{"role": "user", "content": "item 0 "}], schema=Q, key="x")
        [res] = client.complete_many([other], stage="write")
    assert not res.cached and len(srv.chat_calls) == 2


def test_rerun_is_call_free_after_a_structured_output_fallback(srv, tmp_path):
    srv.supports_json_schema = False
    srv.responder = echo
    cfg = config_for(srv, tmp_path / "c.sqlite", structured="auto")
    with LLMClient(cfg) as client:
        client.complete_many(reqs(5), stage="write")
    n = len(srv.chat_calls)
    with LLMClient(cfg) as client:  # starts again with json_schema: the lookup tries every mode
        results = client.complete_many(reqs(5), stage="write")
    assert all(r.cached and r.ok for r in results) and len(srv.chat_calls) == n


def test_cache_key_is_canonical():
    a = {"model": "m", "messages": [{"role": "user", "content": "x"}], "temperature": 0.0, "max_tokens": 5}
    b = {"max_tokens": 5, "temperature": 0.0, "messages": [{"content": "x", "role": "user"}], "model": "m"}
    assert cache_key(a) == cache_key(b)
    assert cache_key(a) != cache_key({**a, "response_format": {"type": "json_object"}})


def test_cache_file_is_shared_safely_between_clients(tmp_path):
    path = tmp_path / "shared.sqlite"
    with ResponseCache(path) as c1, ResponseCache(path) as c2:
        c1.put("k1", {"content": "a"}, model="m", mode="json_schema")
        c1.flush()
        assert c2.get("k1") == {"content": "a"}
        assert c2.has(model="m", mode="json_schema") and not c2.has(model="m", mode="json_object")
        assert len(c2) == 1
    assert ResponseCache(None).get("k1") is None  # None = in memory, empty


def test_a_finished_batch_is_on_disk_before_the_client_closes(srv, tmp_path):
    path = tmp_path / "c.sqlite"
    a = LLMClient(config_for(srv, path))
    try:
        a.complete_many(reqs(3), stage="write")
        with LLMClient(config_for(srv, path)) as b:  # e.g. another process sharing the cache
            assert all(r.cached for r in b.complete_many(reqs(3), stage="write"))
    finally:
        a.close()
    assert len(srv.chat_calls) == 3


def test_buffered_writes_are_readable_and_flushed(tmp_path):
    with ResponseCache(tmp_path / "c.sqlite", flush_every=10, flush_seconds=3600) as c:
        for i in range(5):
            c.put(f"k{i}", {"content": str(i)}, model="m", mode="json_schema")
        assert c.get("k3") == {"content": "3"} and c.has(model="m", mode="json_schema")
        with ResponseCache(tmp_path / "c.sqlite") as other:
            assert other.get("k3") is None  # not committed yet
        c.flush()
        with ResponseCache(tmp_path / "c.sqlite") as other:
            assert other.get("k3") == {"content": "3"}
        c.put("k9", {"content": "9"})
    with ResponseCache(tmp_path / "c.sqlite") as other:  # close() flushed the rest
        assert other.get("k9") == {"content": "9"} and len(other) == 6

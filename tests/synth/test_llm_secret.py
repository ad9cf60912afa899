"""The API key never appears in logs, manifests, caches, artifacts or shards — through success and
every failure path, with all loggers at DEBUG, even when the server echoes it back."""

from __future__ import annotations

import json
import logging

import pytest
from pydantic import BaseModel, SecretStr

from pipelines.shards import ShardWriter
from schemas.ids import reject_id
from schemas.records import Candidate, Evidence, Reject
from synth.llm import LLMClient, LLMConfig, LLMRequest
from synth.writers.llm import LLMWriter
from tests.llm_server import (
    LLMTestServer,
    config_for,
    drop,
    ok,
    rate_limited,
    refusal,
    server_error,
    slow,
    status,
)

SENTINEL = "sk-SENTINEL-4f9c2b7e1d3a"


class Q(BaseModel):
    question: str


def _echo_key(call):
    """A hostile server: puts the Authorization header it received into the answer."""
    return ok({"question": f"key was {call.headers.get('authorization', '')}?"})


@pytest.fixture
def srv():
    with LLMTestServer(require_key=SENTINEL) as server:
        yield server


def test_key_is_absent_from_every_output(srv, tmp_path, caplog, capfd):
    caplog.set_level(logging.DEBUG)
    for name in ("openai", "httpx", "httpx2", "httpcore", "httpcore2", "aiohttp", "synth"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    echo_400 = status(400, f"bad request from a server that echoes Bearer {SENTINEL}")
    srv.script(
        ok({"question": "fine?"}),                     # 0 ok
        ok("garbage"),                                 # 1 parse_error
        server_error(500), ok({"question": "5xx?"}),   # 2 ok after an SDK retry
        rate_limited(0.01), ok({"question": "429?"}),  # 3 ok after our re-send
        slow(1.5), slow(1.5),                          # 4 timeout
        drop(), drop(),                                # 5 connection_error
        refusal(),                                     # 6 refusal
        echo_400, echo_400, echo_400,                  # 7 http_error (json_schema, json_object, text)
        ok({"question": "last?"}),                     # 8 ok
    )
    cfg = config_for(srv, tmp_path / "cache" / "llm.sqlite", api_key=SecretStr(SENTINEL), concurrency=1,
                     max_retries=1, timeout=0.5)
    reqs = [LLMRequest(messages=[{"role": "user", "content": f"item {i}"}], schema=Q, key=str(i)) for i in range(9)]
    with LLMClient(cfg) as client:
        results = client.complete_many(reqs, stage="write")
        srv.responder = _echo_key
        results += client.complete_many([LLMRequest(messages=[{"role": "user", "content": "echo"}], schema=Q,
                                                    key="echo")], stage="write")
        # the writer path too, including a reject
        cand = Candidate(id="c1", type="single_hop", miner="t", root_url="https://e.org", source_urls=["https://e.org/a"],
                         evidence=[Evidence(url="https://e.org/a", text="Label: Atlantic")], answer="Atlantic",
                         hops=1, subject="X", relation="label",
                         slots_json=json.dumps({"entity": {"name": "X"}, "key": "label"}))
        srv.script(ok("not json"))
        written = LLMWriter(client).write([cand, cand.model_copy(update={"id": "c2"})])
        manifest = {"config": cfg.public_dict(), "tokens": client.ledger.to_dict(), "stats": client.stats()}

    assert [r.error for r in results] == ["", "parse_error", "", "", "timeout", "connection_error", "refusal",
                                          "http_error", "", ""]
    assert "***" in results[7].detail, "an echoed key in an error body is scrubbed"
    assert all(s.headers.get("authorization") == f"Bearer {SENTINEL}" for s in srv.chat_calls), "key was used"
    assert results[-1].ok and "***" in results[-1].parsed.question, "an echoed key is scrubbed"

    # every artifact a run writes: manifest, shards (rejects keep raw text + detail), the cache
    (tmp_path / "manifest.json").write_text(json.dumps(manifest, default=str))
    (tmp_path / "results.json").write_text(json.dumps(
        [{"raw": r.raw, "detail": r.detail, "parsed": r.parsed.model_dump() if r.parsed else None,
          "error": r.error} for r in results]))
    with ShardWriter(tmp_path / "rejects", Reject) as w:
        for x in written:
            w.write(Reject(id=reject_id("write", x.reject_reason or "ok", x.candidate.id), stage="write",
                           reason=x.reject_reason or "ok", detail=x.detail, record_id=x.candidate.id,
                           payload_json=json.dumps({"raw": x.raw, "extra": x.extra})))
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files) and any("sqlite" in p.name for p in files)
    for p in files:
        assert SENTINEL.encode() not in p.read_bytes(), f"key leaked into {p}"

    out, err = capfd.readouterr()
    logs = "\n".join(r.getMessage() for r in caplog.records) + "\n".join(str(r.args) for r in caplog.records)
    assert caplog.records, "the DEBUG logs were captured"
    for text in (out, err, logs, repr(cfg), str(cfg), cfg.model_dump_json(), json.dumps(cfg.public_dict())):
        assert SENTINEL not in text


def test_config_never_shows_the_key():
    cfg = LLMConfig(api_key=SecretStr(SENTINEL))
    assert SENTINEL not in repr(cfg) and SENTINEL not in cfg.model_dump_json()
    assert "api_key" not in cfg.public_dict() and cfg.public_dict()["key_configured"] is True


def test_no_key_configured_sends_a_placeholder_not_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)  # only crawlqa/config.py may read the environment
    with LLMTestServer() as srv:
        with LLMClient(config_for(srv, api_key=None)) as client:
            [res] = client.complete_many([LLMRequest([{"role": "user", "content": "x"}], Q, key="k")], stage="w")
        assert res.ok
        assert SENTINEL not in srv.chat_calls[0].headers.get("authorization", "")

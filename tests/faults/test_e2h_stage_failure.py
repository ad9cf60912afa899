"""Issue 20, item 4 for E2HQA: a failed LLM stage is not a success in the e2h rounds either.

With every request failing (HTTP 500) the e2h stage is not marked done, the job raises
``WriteShardFailed`` (no manifest), and a re-run of the run id redoes the stage once the endpoint
answers; a 401 fails at once (``LLMUnusable``; the client stops calling); the CLI says it in one line
and exits 1. The failure share is ``LLMConfig.max_failed_calls`` (default 0.5), as for the write
shards (``tests/faults/test_llm_stage_failure.py``). Real components: a crawl run of the fixture site
(its single-hop questions in ``seeds/`` are the seeds), the scripted OpenAI-compatible server on
127.0.0.1, the CLI.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from pipelines import job as J
from tests.llm_server import LLMTestServer, ok, server_error, status

from .kit import guarded, job_config
from .runs import CRAWLQA

pytestmark = pytest.mark.slow

KEY = "sk-test-e2h-failures"
LLM_OPTIONS = {"timeout": 2, "max_retries": 0, "concurrency": 4, "rate_limit_retries": 1,
               "max_retry_after": 0.05, "max_tokens": 64}


def _field(text: str, label: str) -> str:
    m = re.search(rf"^{re.escape(label)}: (.*)$", text, re.M)
    return m.group(1).strip() if m else ""


class Faulty:
    """ok (a description, or the question with the entity replaced) | 500 | 401."""

    mode = "ok"

    def __call__(self, call):  # type: ignore[no-untyped-def]
        if self.mode == "500":
            return server_error(500)
        if self.mode == "401":
            return status(401, "Incorrect API key provided", err_code="invalid_api_key")
        if "definite description" in call.messages[0]["content"]:
            entity = re.sub(r" \(page title: .*\)$", "", _field(call.user_text, "Entity"))
            return ok({"description": f"the subject of a page about {len(entity)} letters long"})
        question = _field(call.user_text, "Question")
        new = question.replace(_field(call.user_text, "Entity to replace"),
                               _field(call.user_text, "Description to put in its place"))
        return ok({"question": new})


@pytest.fixture(scope="module")
def llm():
    faulty = Faulty()
    with LLMTestServer(responder=faulty) as srv:
        srv.faulty = faulty  # type: ignore[attr-defined]
        yield srv


@pytest.fixture(scope="module")
def corpus(fixture_site, tmp_path_factory):
    """An offline crawl run of the fixture site with single-hop seeds in ``seeds/``."""
    out = tmp_path_factory.mktemp("e2h-corpus")
    with guarded(tmp_path_factory.mktemp("guard")):
        m = J.run_crawlqa(job_config([fixture_site.url + "/wiki/index.html"], out, crawl={"max_depth": 1}))
    assert m["funnel"]["seeds"] >= 5
    return out / "r1"


def _e2h(corpus: Path, out: Path, monkeypatch, url: str) -> dict:
    from pipelines.e2h_job import run_e2hqa

    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    return run_e2hqa(corpus=corpus, seeds=None, rounds=2, out=out, run_id="e1", llm="openai", model="test-model",
                     llm_options=LLM_OPTIONS)


def _done(out: Path) -> bool:
    return (out / "e1" / "_state" / "e2h.json").exists()


def test_failed_calls_fail_the_e2h_stage_and_a_rerun_redoes_it(llm, corpus, tmp_path, monkeypatch):
    out = tmp_path / "out"
    llm.faulty.mode = "500"
    before = len(llm.chat_calls)
    try:
        with pytest.raises(J.WriteShardFailed) as exc:
            _e2h(corpus, out, monkeypatch, llm.url)
    finally:
        llm.faulty.mode = "ok"
    assert len(llm.chat_calls) > before
    msg = str(exc.value)
    assert msg.startswith("e2h: ") and "(http_error " in msg and "more than 50%: not marked done" in msg, msg
    assert not _done(out) and not (out / "e1" / "manifest.json").exists()
    assert not (out / "e1" / "_state" / "filter.json").exists()

    before = len(llm.chat_calls)
    m = _e2h(corpus, out, monkeypatch, llm.url)
    assert len(llm.chat_calls) > before, "the failed stage was redone (failures are never cached)"
    assert _done(out) and m["stages"]["e2h"]["resumed"] is False
    tokens = m["tokens"]["e2h"]
    assert tokens["requests"] > 0 and not tokens.get("failures"), tokens


def test_401_fails_at_once(llm, corpus, tmp_path, monkeypatch):
    out = tmp_path / "out"
    llm.faulty.mode = "401"
    before = len(llm.chat_calls)
    try:
        with pytest.raises(J.LLMUnusable) as exc:
            _e2h(corpus, out, monkeypatch, llm.url)
    finally:
        llm.faulty.mode = "ok"
    assert str(exc.value).startswith("e2h: the LLM endpoint refused the job (auth_error")
    assert "OPENAI_API_KEY" in str(exc.value)
    # the client stops calling after the first 401 (at most its in-flight requests)
    assert 1 <= len(llm.chat_calls) - before <= LLM_OPTIONS["concurrency"]
    assert not _done(out)


@pytest.mark.parametrize(("fault", "message"), [
    ("500", "error: e2h: "),
    ("401", "error: e2h: the LLM endpoint refused the job (auth_error"),
])
def test_cli_says_it_in_one_line_and_exits_1(llm, corpus, tmp_path, fault, message):
    import os

    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CRAWLQA_"))}
    env |= {"OPENAI_BASE_URL": llm.url, "OPENAI_API_KEY": KEY}
    llm.faulty.mode = fault
    try:
        p = subprocess.run([CRAWLQA, "e2h", "--corpus", str(corpus), "--out", str(out), "--run-id", "e1",
                            "--llm", "openai", "--model", "test-model", "--engine", "local", "--rounds", "2"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300)
    finally:
        llm.faulty.mode = "ok"
    assert p.returncode == 1, p.stderr[-3000:]
    err = " ".join(p.stderr.split())
    assert message in err and "re-run the same command with --run-id e1" in err, err
    assert "Traceback" not in p.stderr
    assert not _done(out) and not (out / "e1" / "manifest.json").exists()


def test_prefect_does_not_retry_a_401(prefect_harness, llm, corpus, tmp_path, monkeypatch):
    """The e2h-rounds task fails with LLMUnusable and is not retried (its retry condition): one call."""
    from flows import e2hqa_flow

    monkeypatch.setenv("OPENAI_BASE_URL", llm.url)
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    llm.faulty.mode = "401"
    before = len(llm.chat_calls)
    try:
        state = e2hqa_flow(corpus=str(corpus), rounds=2, out=str(tmp_path / "out"), run_id="e1", llm="openai",
                           model="test-model", llm_options=LLM_OPTIONS | {"concurrency": 1}, config="none",
                           return_state=True)
    finally:
        llm.faulty.mode = "ok"
    assert state.is_failed(), state
    assert len(llm.chat_calls) - before == 1  # never retried
    assert not _done(tmp_path / "out")

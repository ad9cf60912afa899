"""Issue 10, secrets, at the whole-job level: ``crawlqa run`` (the CLI → the Prefect flow, against
Prefect's test harness) with a sentinel ``OPENAI_API_KEY`` in the environment and the loopback LLM
server, which refuses any other key (so the key was really used) and, being hostile, echoes the key
back in answers and in error bodies. Then ``crawlqa inspect --json`` and every ``crawlqa export``.

The sentinel is in no file under the output folder (shards, manifest, dataset card, exports, the
HTTP / LLM / dedup caches, the crawl log), in nothing printed or logged (CLI output, captured
stdout/stderr, every log record at DEBUG), and in nothing Prefect stored: flow and task runs, logs,
artifacts, variables (read back through the Prefect client), its database file and result storage.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from crawlqa.cli import app
from crawlqa.devserver import FIXTURE_SITE, serve
from tests.llm_server import LLMTestServer, ok, status

pytestmark = pytest.mark.slow

SENTINEL = "sk-SENTINEL-e2e-7c1d9a3f5b2e8046"
LOGGERS = ("", "crawlqa", "openai", "httpx", "httpx2", "httpcore", "httpcore2", "aiohttp", "synth", "pipelines",
           "filters", "prefect", "prefect.flow_runs", "prefect.task_runs", "crawlers")


def hostile(call):
    """Answers normally, but quotes the Authorization header it received for some prompts: in an error
    body (every attempt, every structured-output mode: an ``http_error`` reject) or in the answer."""
    auth = call.headers.get("authorization", "")
    kind = int(hashlib.sha256(call.user_text.encode()).hexdigest(), 16) % 6
    if kind == 0:
        return status(400, f"invalid request for {auth}")
    if kind == 1:
        return ok({"question": f"Which key opens {auth} at the lighthouse?"})
    return ok({"question": f"Which fact number {call.index} is listed on that page of the wiki?"})


def _dump(objs) -> str:
    return "\n".join(json.dumps(o.model_dump(mode="json"), default=str) for o in objs)


def prefect_records(since) -> str:
    """Everything the Prefect API holds about the runs of this test, as text."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import (
        FlowRunFilter,
        FlowRunFilterStartTime,
        LogFilter,
        LogFilterTimestamp,
    )

    with get_client(sync_client=True) as client:
        flow_runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            start_time=FlowRunFilterStartTime(after_=since)))
        assert any(fr.name and fr.state and fr.state.is_completed() for fr in flow_runs), "the flow ran"
        task_runs = client.read_task_runs()
        logs = client.read_logs(log_filter=LogFilter(timestamp=LogFilterTimestamp(after_=since)), limit=200)
        artifacts = client.read_artifacts()
        assert artifacts, "the flow published its artifacts"
        assert logs, "the flow's logs reached the API"
        states = [s for fr in flow_runs for s in client.read_flow_run_states(fr.id)]
        variables = client.read_variables()
    return "\n".join([_dump(flow_runs), _dump(task_runs), _dump(logs), _dump(artifacts), _dump(states),
                      _dump(variables)])


def prefect_files(since: float) -> list[Path]:
    """The harness's database and any result storage written during the test."""
    import prefect.settings as ps

    files: list[Path] = []
    db = str(ps.PREFECT_SERVER_DATABASE_CONNECTION_URL.value() or "")
    if db.startswith("sqlite"):
        base = Path(db.split("///", 1)[1])
        files += [p for p in base.parent.glob(base.name + "*") if p.is_file()]
    storage = Path(ps.PREFECT_LOCAL_STORAGE_PATH.value())
    if storage.is_dir():
        files += [p for p in storage.rglob("*") if p.is_file() and p.stat().st_mtime >= since - 1]
    return files


def test_api_key_is_nowhere_after_a_whole_prefect_run(prefect_harness, tmp_path, monkeypatch, caplog, capfd,
                                                     netguard):
    from datetime import UTC, datetime

    for var, default in (("PREFECT_SERVER_ANALYTICS_ENABLED", "false"), ("PREFECT_LOGGING_LEVEL", "WARNING"),
                         ("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "90")):
        monkeypatch.setenv(var, os.environ.get(var, default))  # the CLI sets these; restore them afterwards
    caplog.set_level(logging.DEBUG)
    for name in LOGGERS:
        monkeypatch.setattr(logging.getLogger(name), "level", logging.DEBUG)
    since_dt, since = datetime.now(UTC), time.time()
    out = tmp_path / "out"
    runner = CliRunner()
    with serve(FIXTURE_SITE) as site, LLMTestServer(responder=hostile, require_key=SENTINEL) as srv:
        roots = tmp_path / "roots.txt"
        roots.write_text(f"# the fixture wiki\n{site.url}/wiki/index.html\n")
        monkeypatch.setenv("OPENAI_API_KEY", SENTINEL)
        monkeypatch.setenv("OPENAI_BASE_URL", srv.url)
        res = runner.invoke(app, ["run", "--roots", str(roots), "--out", str(out), "--run-id", "sec",
                                  "--max-depth", "1", "--delay", "0", "--llm", "auto", "--model", "test-model",
                                  "--llm-concurrency", "4"])
        assert res.exit_code == 0, res.output + repr(res.exception)
        calls = srv.chat_calls
    assert calls and all(c.headers.get("authorization") == f"Bearer {SENTINEL}" for c in calls), "the key was used"
    assert sum(c.status == 400 for c in calls) > 0 and sum(c.status == 200 for c in calls) > 0

    run = out / "sec"
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["config"]["llm"] == "openai" and sum(
        row["calls"] for row in manifest["tokens"].values()) == len(calls)
    assert manifest["funnel"]["kept"] > 0
    assert any(r.startswith("write/http_error") for r in manifest["funnel"]["reject_reasons"])
    outputs = [res.output]
    for args in (["inspect", str(run), "--json"], *(["export", str(run), "--format", f] for f in
                                                    ("webwalkerqa", "webshaper", "jsonl", "sft"))):
        r = runner.invoke(app, args)
        assert r.exit_code == 0, r.output
        outputs.append(r.output)
    assert len(list((run / "exports").iterdir())) == 4

    # files: every byte under the output folder (shards, manifest, card, exports, caches, crawl log)
    files = [p for p in out.rglob("*") if p.is_file()]
    names = {p.name for p in files}
    assert {"manifest.json", "README.md", "crawl.log", "responses.sqlite"} <= names, names
    assert any(p.suffix == ".parquet" for p in files)
    for p in files:
        assert SENTINEL.encode() not in p.read_bytes(), f"key in {p}"
    # what was printed and logged
    captured = capfd.readouterr()
    logs = [r.getMessage() for r in caplog.records] + [str(r.args) for r in caplog.records] + [
        caplog.text]
    assert caplog.records, "DEBUG logs were captured"
    for text in (*outputs, captured.out, captured.err, *logs):
        assert SENTINEL not in text
    # what Prefect stored: the API's records, its database, result storage
    assert SENTINEL not in prefect_records(since_dt)
    stored = prefect_files(since)
    assert any(p.suffix == ".db" for p in stored), "the harness database was read"
    for p in stored:
        assert SENTINEL.encode() not in p.read_bytes(), f"key in {p}"

"""The deployments of ``prefect.yaml`` against a real local Prefect server, as a data engineer runs them:

    prefect server start --host 127.0.0.1 --port P
    prefect work-pool create crawlqa-pool --type process
    prefect deploy --all                                  (from the repository root)
    prefect worker start --pool crawlqa-pool
    prefect deployment run 'crawlqa/crawlqa-daily' --param roots=[...] ... --watch

then the shards the run produced are checked, and the ``e2hqa`` deployment is run over them.
Every process runs in its own session with its own PREFECT_HOME and is killed at the end.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.flows.helpers import CRAWL, free_port, wait_for

# several real processes end to end: 221 s (deployment) and 178 s (resume) were measured on a loaded
# 2-core machine beside another test worker, near the 300 s default
pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

REPO = Path(__file__).resolve().parents[2]
PREFECT = str(Path(sys.executable).with_name("prefect"))
POOL = "crawlqa-pool"


class Procs:
    """Background processes of the test, each in its own session; stopped (then killed) at the end."""

    def __init__(self, logs: Path) -> None:
        self.logs = logs
        self.procs: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, args: list[str], env: dict) -> subprocess.Popen:
        log = open(self.logs / f"{name}.log", "wb")  # noqa: SIM115 - closed at stop
        p = subprocess.Popen(args, cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT,
                             start_new_session=True)
        self.procs.append((name, p))
        return p

    def log(self, name: str) -> str:
        p = self.logs / f"{name}.log"
        return p.read_text(errors="replace")[-4000:] if p.exists() else ""

    def stop(self) -> None:
        for _, p in reversed(self.procs):
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
        deadline = time.monotonic() + 15
        for _, p in reversed(self.procs):
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=10)


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/health", timeout=2) as r:
            return r.status == 200
    except OSError:
        return False


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


def _cli(args: list[str], env: dict, timeout: float) -> str:
    p = subprocess.run([PREFECT, *args], cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout)
    assert p.returncode == 0, f"prefect {' '.join(args)} → {p.returncode}\n{p.stdout[-3000:]}\n{p.stderr[-3000:]}"
    return p.stdout


@pytest.fixture
def prefect_server(tmp_path):
    port = free_port()
    api = f"http://127.0.0.1:{port}/api"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
    env.update(PREFECT_HOME=str(tmp_path / "prefect-home"), PREFECT_API_URL=api,
               PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false",
               # no scheduled (03:00) run may start during the test: only the triggered ones
               PREFECT_SERVER_SERVICES_SCHEDULER_ENABLED="false",
               PREFECT_WORKER_QUERY_SECONDS="2", PREFECT_LOGGING_LEVEL="INFO")
    procs = Procs(tmp_path)
    try:
        server = procs.start("server", [PREFECT, "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                             {k: v for k, v in env.items() if k != "PREFECT_API_URL"})
        wait_for(lambda: _healthy(api) or server.poll() is not None, 120, "the Prefect server", interval=0.5)
        assert server.poll() is None, procs.log("server")
        yield api, env, procs
    finally:
        procs.stop()


def test_deploy_all_and_run_with_parameters(prefect_server, site_roots, tmp_path):
    import pyarrow.parquet as pq

    api, env, procs = prefect_server
    out = tmp_path / "data"
    _cli(["work-pool", "create", POOL, "--type", "process"], env, 60)
    _cli(["--no-prompt", "deploy", "--all"], env, 180)

    daily = _get(f"{api}/deployments/name/crawlqa/crawlqa-daily")
    assert daily["work_pool_name"] == POOL
    assert [s["schedule"]["cron"] for s in daily["schedules"]] == ["0 3 * * *"]
    assert daily["parameters"]["roots"] == "roots.txt"
    e2h = _get(f"{api}/deployments/name/e2hqa/e2hqa")
    assert e2h["parameters"]["corpus"] == "data/latest"

    worker = procs.start("worker", [PREFECT, "worker", "start", "--pool", POOL], env)
    params = {"roots": site_roots, "out": str(out), "run_id": "deployed", "crawl_options": CRAWL,
              "max_depth": CRAWL["max_depth"], "llm": "offline", "candidates_per_shard": 200}
    run = ["deployment", "run", "crawlqa/crawlqa-daily", "--watch", "--watch-timeout", "240", "--watch-interval", "2"]
    for k, v in params.items():
        run += ["--param", f"{k}={json.dumps(v)}"]
    try:
        _cli(run, env, 300)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- worker ---\n{procs.log('worker')}") from None
    assert worker.poll() is None

    m = json.loads((out / "deployed" / "manifest.json").read_text())
    assert m["config"]["roots"] == site_roots and m["config"]["crawl"]["max_depth"] == CRAWL["max_depth"]
    assert m["funnel"]["pages_fetched"] >= 40 and m["funnel"]["kept"] >= 50  # a real yield
    qa = [r for s in m["shards"]["qa"] for r in pq.read_table(out / "deployed" / s["path"]).to_pylist()]
    assert len(qa) == m["funnel"]["kept"] and all(r["run_id"] == "deployed" for r in qa)
    assert len(m["shards"]["candidates"]) >= 2
    assert os.readlink(out / "latest") == "deployed"

    # the e2hqa deployment over the newest crawl run (``OUT/latest``)
    run = ["deployment", "run", "e2hqa/e2hqa", "--watch", "--watch-timeout", "240", "--watch-interval", "2",
           "--param", f"corpus={json.dumps(str(out / 'latest'))}", "--param", f"out={json.dumps(str(out))}",
           "--param", 'run_id="deployed-e2h"', "--param", "rounds=2", "--param", 'llm="offline"']
    try:
        _cli(run, env, 300)
    except AssertionError as exc:
        raise AssertionError(f"{exc}\n--- worker ---\n{procs.log('worker')}") from None
    e = json.loads((out / "deployed-e2h" / "manifest.json").read_text())
    assert e["config"]["corpus"] == str((out / "deployed").resolve()) and e["funnel"]["kept"] > 0

    # `crawlqa run` with PREFECT_API_URL set reports its flow run to that server
    roots = tmp_path / "roots.txt"
    roots.write_text(site_roots[0] + "\n")
    crawlqa = str(Path(sys.executable).with_name("crawlqa"))
    p = subprocess.run([crawlqa, "run", "--roots", str(roots), "--out", str(tmp_path / "cli"), "--run-id", "cli-run",
                        "--max-depth", "2", "--delay", "0", "--llm", "offline"], cwd=tmp_path, env=env,
                       capture_output=True, text=True, timeout=240)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr[-3000:]
    assert "kept" in p.stdout and (tmp_path / "cli" / "cli-run" / "manifest.json").is_file()
    req = urllib.request.Request(f"{api}/flow_runs/filter", data=json.dumps({"limit": 50}).encode(),
                                 headers={"Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(req, timeout=10) as r:
        runs = json.loads(r.read())
    mine = [fr for fr in runs if fr["parameters"].get("run_id") == "cli-run"]
    assert len(mine) == 1 and mine[0]["state_type"] == "COMPLETED" and mine[0]["deployment_id"] is None

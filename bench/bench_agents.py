"""The agents environment (issue 18): env latency and agent rollout throughput, on a Ray Charles run.

    .venv/bin/python bench/bench_agents.py [--run RUN_DIR] [--corpus DIR] [--latency 0.2] [--out bench/RESULTS-agents.md]

Run: ``--run`` (a finished run folder), else a fresh offline run of the whole job over
``wiki-raycharles-2015`` (root ``A/Ray_Charles.html``, depth 3) served by ``crawlqa.devserver`` on
127.0.0.1 (``--corpus``: /tmp/corpus, else ../shared/corpus).

* env latency: ``BrowseEnv.search(question, k=10)`` for each kept question (distinct queries, each the
  first time: the index's result cache does not help), ``BrowseEnv.visit(url)`` for every stored page
  (3 rounds); and the same two through ``crawlqa serve`` (FastAPI + uvicorn on 127.0.0.1, one
  keep-alive httpx client): p50 / p95 / max in milliseconds;
* rollout throughput: ``agents.solve`` (k = 2 attempts of the first 32 kept questions, 8 in flight)
  against ``tests/llm_server.py`` in its own process answering every chat request after exactly
  ``--latency`` seconds, scripted to follow each record's reference replay (its tool calls) and then
  answer. ideal = (model calls) · latency / concurrency (the server's time alone, perfectly packed);
  ratio = ideal / achieved time. A second pass (``--redo``, same cache) must make 0 model calls.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
from agents.replay import Trajectory
from pipelines.shards import read_table
from schemas.records import QARecord
from tests.agents.tool_server import Plan, ScriptedAgent
from tests.llm_server import LLMTestServer
run = sys.argv[2]
qa = {r["id"]: r for r in read_table(run + "/qa", QARecord, columns=["id", "question", "answer"]).to_pylist()}
plans = {}
for t in read_table(run + "/trajectories", Trajectory, columns=["record_id", "kind", "steps_json"]).to_pylist():
    if t["kind"] == "reference" and t["record_id"] in qa:
        steps = [(s["tool"], s["args"]["query"] if s["tool"] == "search" else s["args"]["url"])
                 for s in json.loads(t["steps_json"])]
        r = qa[t["record_id"]]
        plans[r["question"]] = Plan(steps, answer=r["answer"], right_attempts=frozenset({0}))
srv = LLMTestServer(latency=float(sys.argv[3]), responder=ScriptedAgent(plans)).start()
print(srv.url, flush=True)
while True:
    time.sleep(3600)
'''


def pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, round(q * (len(s) - 1)))]


def lat_row(name: str, ms: list[float]) -> str:
    return (f"| {name} | {len(ms)} | {statistics.median(ms):.2f} | {pct(ms, 0.95):.2f} | {max(ms):.2f} |")


def make_run(corpus: Path, out: Path) -> Path:
    from crawlqa.config import make_job_config
    from crawlqa.devserver import serve
    from pipelines.job import run_crawlqa

    with serve(corpus) as site:
        root = f"{site.url.rstrip('/')}/wiki-raycharles-2015/A/Ray_Charles.html"
        cfg = make_job_config([root], out=str(out), run_id="rc", llm="offline",
                              crawl={"max_depth": 3, "max_pages": 5000, "max_pages_per_root": 5000,
                                     "download_delay": 0.0, "concurrency": 16, "autothrottle": False})
        run_crawlqa(cfg)
    return out / "rc"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--run", type=Path)
    ap.add_argument("--corpus", type=Path)
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--records", type=int, default=32)
    ap.add_argument("--k", type=int, default=2)
    ap.add_argument("--concurrency", type=int, default=8)
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()

    import httpx

    from agents.env import BrowseEnv
    from agents.serve import serve_in_thread
    from agents.solve import SolveConfig, solve_run
    from agents.summary import agents_report
    from pipelines.shards import read_table
    from schemas.records import QARecord

    t0 = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="bench-agents-"))
    run = args.run
    if run is None:
        corpus = args.corpus or next(p for p in (Path("/tmp/corpus"), ROOT.parent / "shared" / "corpus")
                                     if (p / "wiki-raycharles-2015").is_dir())
        run = make_run(corpus, tmp / "out")
    run = run.resolve()
    qa = read_table(run / "qa", QARecord, columns=["id", "type", "question"]).to_pylist()
    report = agents_report(run)

    # --- env latency ----------------------------------------------------------------------------
    BrowseEnv(run).close()  # index and page store built before timing
    with BrowseEnv(run) as env:
        urls = [r[0] for r in env._store.execute("SELECT url FROM pages ORDER BY url").fetchall()]
        search_ms, visit_ms = [], []
        for r in qa:
            t = time.perf_counter()
            env.search(r["question"], 10)
            search_ms.append((time.perf_counter() - t) * 1000)
        for _ in range(3):
            for u in urls:
                t = time.perf_counter()
                env.visit(u)
                visit_ms.append((time.perf_counter() - t) * 1000)
    http_search, http_visit = [], []
    with serve_in_thread(run) as base, httpx.Client(base_url=base) as c:
        c.get("/health")
        for r in qa:
            t = time.perf_counter()
            c.post("/search", json={"query": r["question"] + " ", "k": 10}).raise_for_status()
            http_search.append((time.perf_counter() - t) * 1000)
        for _ in range(3):
            for u in urls:
                t = time.perf_counter()
                c.post("/visit", json={"url": u}).raise_for_status()
                http_visit.append((time.perf_counter() - t) * 1000)

    # --- rollout throughput against a fixed-latency model ------------------------------------------
    from pydantic import SecretStr

    from synth.llm.config import LLMConfig

    sub = tmp / "solve-run"
    import shutil

    shutil.copytree(run, sub, ignore=shutil.ignore_patterns("_work"))
    # keep the first N kept records only (one qa shard)
    from pipelines.shards import ShardWriter, shard_paths

    keep = sorted(qa, key=lambda r: r["id"])[: args.records]
    keep_ids = {r["id"] for r in keep}
    recs = [QARecord.model_validate(r) for r in read_table(sub / "qa", QARecord).to_pylist() if r["id"] in keep_ids]
    for p in shard_paths(sub / "qa"):
        p.unlink()
    with ShardWriter(sub / "qa", QARecord, relative_to=sub) as w:
        w.write_all(recs)
    p = subprocess.Popen([sys.executable, "-c", SERVER, str(ROOT), str(sub), str(args.latency)],
                         stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert p.stdout is not None
        url = p.stdout.readline().strip()
        llm = LLMConfig(model="test-model", base_url=url, api_key=SecretStr("sk-bench"),
                        cache_path=tmp / "cache.sqlite", timeout=30)
        cfg = SolveConfig(k=args.k, concurrency=args.concurrency, policy="tag")
        t, cpu = time.monotonic(), time.process_time()
        out = solve_run(sub, llm, cfg)
        achieved, cpu = time.monotonic() - t, time.process_time() - cpu
        t = time.monotonic()
        again = solve_run(sub, llm, cfg, redo=True)
        rerun = time.monotonic() - t
    finally:
        p.kill()
        p.wait()
    calls = out["calls"]
    ideal = calls * args.latency / args.concurrency
    # the schedule bound: attempts handed to the first free worker in job order, each taking
    # (its tool calls + 1) model calls of exactly `latency` (the env's time counted as zero)
    from agents.replay import Trajectory

    rows = [t for t in read_table(sub / "trajectories", Trajectory, columns=["record_id", "kind", "attempt", "n_steps"])
            .to_pylist() if t["kind"] == "rollout"]
    order = {(r.id, i): n for n, (r, i) in enumerate((r, i) for r in recs for i in range(args.k))}
    durations = [(t["n_steps"] + 1) * args.latency for t in sorted(rows, key=lambda t: order[(t["record_id"], t["attempt"])])]
    workers = [0.0] * args.concurrency
    for d in durations:
        workers[workers.index(min(workers))] += d
    bound = max(workers)
    attempts = out["counters"].get("solve/attempts", 0)

    lines = [
        "#### Agents environment (issue 18)", "",
        f"`.venv/bin/python bench/bench_agents.py{' --run ' + str(args.run) if args.run else ''}` — "
        f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {os.cpu_count()} cores, Python "
        f"{platform.python_version()}, whole benchmark {time.monotonic() - t0:.0f} s; load average at the end "
        f"{', '.join(f'{x:.2f}' for x in os.getloadavg())}.", "",
        f"Run: {run.name} ({len(urls)} pages in the env, {len(qa)} kept questions; shortcut ranks of the kept: "
        f"{json.dumps(report.get('shortcut_rank'))}; reference trajectories "
        f"{report.get('trajectories', {}).get('with_reference')} of {len(qa)}).", "",
        "| call | n | p50 ms | p95 ms | max ms |", "|---|---|---|---|---|",
        lat_row("env.search(question, k=10), first time each", search_ms),
        lat_row("env.visit(url), every page × 3", visit_ms),
        lat_row("HTTP POST /search (crawlqa serve, keep-alive)", http_search),
        lat_row("HTTP POST /visit (crawlqa serve, keep-alive)", http_visit), "",
        f"Rollouts: {attempts} attempts ({len(recs)} questions × k={args.k}), {args.concurrency} in flight, model "
        f"server latency {args.latency * 1000:.0f} ms in its own process, scripted to replay each question's "
        f"reference tool calls then answer: {calls} model calls and "
        f"{out['counters'].get('solve/solved', 0) + out['counters'].get('solve/failed', 0)} finished attempts in "
        f"{achieved:.2f} s; ideal {ideal:.2f} s (calls × latency / concurrency); **ratio {ideal / achieved:.2f}** "
        f"(achieved/ideal throughput); schedule bound {bound:.2f} s (attempts of unequal length on "
        f"{args.concurrency} workers: ratio ≤ {ideal / bound:.2f}), achieved = {bound / achieved:.2f} of it; the solver's CPU time {cpu:.2f} s "
        f"({cpu / max(1, calls) * 1000:.1f} ms per model call, tool calls included). Re-run with the same cache: {again['calls']} model calls, {rerun:.2f} s.", "",
    ]
    text = "\n".join(lines)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()

"""Throughput of the LLM client against an OpenAI-compatible server with a fixed latency.

    .venv/bin/python bench/bench_llm.py              # all settings, 3 repeats, ~80 s on an idle machine
    .venv/bin/python bench/bench_llm.py --quick      # N=200, C=32 only, 1 repeat

The server is ``tests/llm_server.py`` run in its own process (as a real server would be), answering
every chat request after exactly ``latency`` seconds. For each setting (N calls, concurrency C):

* cold: a fresh client (new connections) runs N distinct requests; warm: the same client runs N
  other requests (connections open);
* ideal = N·latency/C; ratio = ideal / achieved time (= achieved / ideal throughput; goal >= 0.9);
* wave bound = ceil(N/C)·latency, the best any client can do against a fixed-latency server when C
  does not divide N (N=200, C=32 is 7 rounds of 200 ms: 1.40 s, so ratio <= 0.893 there);
* re-run: a new client on the same cache runs the cold requests again: calls made (server's count,
  goal 0) and time;
* the server's peak of requests in flight (must not exceed C).

Each setting runs ``--repeat`` times (a fresh server and client each time); the table shows the
median ratio and, in brackets, the best one (the machine is shared: the best is the least disturbed).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pydantic import BaseModel, SecretStr  # noqa: E402

from synth.llm import LLMClient, LLMConfig, LLMRequest  # noqa: E402

SETTINGS = [(200, 32), (256, 32), (96, 8), (1000, 64)]
PROMPT = "Write one question about the evidence below.\n" + "Evidence: the album was released in 1962. " * 12


class Q(BaseModel):
    question: str


def start_server(latency: float) -> tuple[subprocess.Popen, str]:
    p = subprocess.Popen([sys.executable, str(ROOT / "tests" / "llm_server.py"), "--latency", str(latency)],
                         stdout=subprocess.PIPE, text=True)
    assert p.stdout is not None
    return p, p.stdout.readline().strip()


def server_stats(url: str) -> dict:
    with urllib.request.urlopen(url + "/_stats", timeout=5) as r:
        return json.loads(r.read())


def requests(n: int, tag: str) -> list[LLMRequest]:
    return [LLMRequest(messages=[{"role": "user", "content": f"{PROMPT} [{tag} {i}]"}], schema=Q, key=f"{tag}{i}")
            for i in range(n)]


def timed(client: LLMClient, reqs: list[LLMRequest]) -> tuple[float, int]:
    t = time.perf_counter()
    res = client.complete_many(reqs, stage="bench")
    return time.perf_counter() - t, sum(r.ok for r in res)


def run_setting(url: str, n: int, c: int, latency: float, backend: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cfg = LLMConfig(model="bench-model", base_url=url, api_key=SecretStr("sk-bench"), concurrency=c,
                        max_tokens=64, cache_path=Path(tmp) / "cache.sqlite", http_backend=backend)
        s0 = server_stats(url)
        before = s0["chat_calls"]
        with LLMClient(cfg) as client:
            cold_s, cold_ok = timed(client, requests(n, "a"))
            warm_s, warm_ok = timed(client, requests(n, "b"))
        s1 = server_stats(url)
        calls_first = s1["chat_calls"] - before
        with LLMClient(cfg) as client:
            rerun_s, rerun_ok = timed(client, requests(n, "a"))
            hits = client.ledger.stage("bench")["cache_hits"]
        stats = server_stats(url)
    ideal = n * latency / c
    bound = math.ceil(n / c) * latency
    return {"N": n, "C": c, "backend": backend, "ideal_s": ideal, "wave_bound_s": bound,
            "cold_s": cold_s, "warm_s": warm_s, "cold_ratio": ideal / cold_s, "warm_ratio": ideal / warm_s,
            "cold_vs_bound": bound / cold_s, "ok": cold_ok + warm_ok, "calls": calls_first,
            "rerun_calls": stats["chat_calls"] - before - calls_first, "rerun_s": rerun_s,
            "rerun_hits": hits, "rerun_ok": rerun_ok, "server_max_in_flight": stats["max_in_flight"],
            "server_cpu_ms_per_call": (s1["cpu_s"] - s0["cpu_s"]) / max(1, calls_first) * 1000,
            "server_cpu_share": (s1["cpu_s"] - s0["cpu_s"]) / (cold_s + warm_s)}


def cpu_per_call(n: int = 600, c: int = 32) -> dict[str, float]:
    """Client CPU per call at zero latency (server in its own process): where the time goes."""
    import asyncio

    import aiohttp
    import httpx2
    import openai

    body = {"model": "bench-model", "messages": [{"role": "user", "content": PROMPT}], "max_tokens": 64}
    proc, url = start_server(0.0)

    async def bounded(fn) -> None:
        sem = asyncio.Semaphore(c)

        async def one(i: int) -> None:
            async with sem:
                await fn(i)

        await fn(-1)  # warm: connection, first-call set-up
        await asyncio.gather(*(one(i) for i in range(n)))

    async def raw_aiohttp() -> None:
        async with aiohttp.ClientSession() as s:
            async def one(i: int) -> None:
                async with s.post(url + "/chat/completions", json=body) as r:
                    await r.json()
            await bounded(one)

    async def sdk(http: Any) -> None:
        oa = openai.AsyncOpenAI(api_key="sk-bench", base_url=url, http_client=http)
        await bounded(lambda i: oa.post("/chat/completions", body=body, cast_to=httpx2.Response))
        await oa.close()

    def client(backend: str) -> None:
        cfg = LLMConfig(model="bench-model", base_url=url, api_key=SecretStr("sk-bench"), concurrency=c,
                        max_tokens=64, http_backend=backend)
        with LLMClient(cfg) as cl:
            cl.complete_many(requests(1, "w"), stage="bench")
            cl.complete_many(requests(n, f"cpu-{backend}"), stage="bench")

    cases = {
        "aiohttp alone (no SDK)": lambda: asyncio.run(raw_aiohttp()),
        "openai SDK, aiohttp transport": lambda: asyncio.run(sdk(openai.DefaultAioHttpClient())),
        "openai SDK, httpx transport": lambda: asyncio.run(sdk(openai.DefaultAsyncHttpxClient())),
        "LLMClient, aiohttp (default)": lambda: client("aiohttp"),
        "LLMClient, httpx": lambda: client("httpx"),
    }
    out = {}
    try:
        for name, fn in cases.items():
            c0 = time.process_time()
            fn()
            out[name] = (time.process_time() - c0) / n * 1000
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return out


def _median(runs: list[dict], k: str) -> float:
    return statistics.median(x[k] for x in runs)


def _best(runs: list[dict], k: str) -> float:
    return max(x[k] for x in runs)


def render(args: argparse.Namespace, repeat: int, groups: list[list[dict]], cpu: dict[str, float],
           seconds: float) -> str:
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    lines = [
        "# LLM client benchmark: throughput against a fixed-latency OpenAI-compatible server",
        "",
        f"`.venv/bin/python bench/bench_llm.py{' --quick' if args.quick else ''}` — {time.strftime('%Y-%m-%d')}, "
        f"Python {sys.version.split()[0]}, {platform.machine()}, {os.cpu_count()} cores, load average "
        f"before/while running {load}; whole run {seconds:.0f} s.",
        "",
        f"Server: `tests/llm_server.py` in its own process, every chat request answered after exactly "
        f"{args.latency * 1000:.0f} ms. Client: `LLMClient` (json_schema structured output, SQLite cache, "
        f"ledger), one request per call, {repeat} repeat(s) per setting; median ratio, best in brackets.",
        "",
        "| N | C | HTTP | ideal N·L/C | cold (median) | ratio cold | warm (median) | ratio warm | wave bound "
        "| cold vs bound | peak in flight | re-run calls | re-run time | server CPU / call (busy) |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for runs in groups:
        r = runs[0]
        med = functools.partial(_median, runs)
        best = functools.partial(_best, runs)
        lines.append(
            f"| {r['N']} | {r['C']} | {r['backend']} | {r['ideal_s']:.2f} s | {med('cold_s'):.2f} s | "
            f"**{med('cold_ratio'):.2f}** ({best('cold_ratio'):.2f}) | {med('warm_s'):.2f} s | "
            f"**{med('warm_ratio'):.2f}** ({best('warm_ratio'):.2f}) | {r['wave_bound_s']:.2f} s | "
            f"{med('cold_vs_bound'):.2f} ({best('cold_vs_bound'):.2f}) | "
            f"{max(x['server_max_in_flight'] for x in runs)} | {max(x['rerun_calls'] for x in runs)} | "
            f"{med('rerun_s') * 1000:.0f} ms | {med('server_cpu_ms_per_call'):.2f} ms "
            f"({med('server_cpu_share') * 100:.0f} %) |")
    lines += [
        "",
        "ratio = ideal / achieved time = achieved / ideal throughput. *cold*: a fresh client (connections "
        "opened during the run); *warm*: the same client, N other requests. *wave bound* = ceil(N/C)·L: "
        "against a server whose latency is exactly L no client can beat it, so where C does not divide N "
        "the goal 0.9 is out of reach by construction (N=200, C=32: 7 rounds = 1.40 s, ratio ≤ 0.893). "
        "*re-run*: a new client on the same cache runs the cold requests again; calls counted by the server.",
    ]
    if cpu:
        lines += ["", "## Client CPU per call (latency 0, N=600, C=32)", "",
                  "| stack | CPU ms / call |", "|---|---|"]
        lines += [f"| {k} | {v:.2f} |" for k, v in cpu.items()]
        lines += [
            "",
            "Why the ratio is what it is. The client's CPU per call (~0.75 ms, of which ~0.55 ms is the openai "
            "SDK's own request building and response handling: compare rows 1, 2 and 4; it stays because every "
            "call goes through the SDK) matters through *when* it is spent. On Python 3.11 aiohttp writes a "
            "request body in a task that is only scheduled, so when the C answers of a round arrive together "
            "every worker parsed its answer and built its next request before the first new body left: each "
            "round cost latency + C × CPU per call (C=64: ~50 ms per 200 ms round, ratio 0.77–0.87 before this change). "
            "`synth/llm/eager.py` starts that writer eagerly (what aiohttp itself does on 3.12+): request k of "
            "a round leaves after k calls' CPU, the answers come back spread out, the client keeps pace and a "
            "round costs about latency + one call's CPU. The price is a little more CPU per call at zero "
            "latency (answers no longer handled in batches: more event-loop turns and one send per request as "
            "it is built). What is left: the first round of a cold client (connections opened, all C requests "
            "built before the first connection is up: ~C × 1 ms once), the last partial round (wave bound), "
            "and a shared 2-core machine (other jobs' load during the run is given above). The server is not "
            "the bottleneck: ~0.3 ms CPU per call, a few % of one core (last column). The httpx transport does "
            "not get the eager write (httpcore waits on its pool before writing) and stays at ~0.8 (0.78–0.82 over runs); aiohttp "
            "is the default when installed. Real endpoints answer in seconds with spread-out latencies, where "
            "all of this is < 1 %.",
        ]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--latency", type=float, default=0.2)
    ap.add_argument("--quick", action="store_true", help="only N=200, C=32, once")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--backend", choices=["auto", "httpx", "aiohttp", "both"], default="both")
    ap.add_argument("--json", type=Path, help="also write the rows as JSON here")
    ap.add_argument("--out", type=Path, help="write the markdown report here (bench/RESULTS-llm.md)")
    args = ap.parse_args()
    settings = SETTINGS[:1] if args.quick else SETTINGS
    repeat = 1 if args.quick else args.repeat
    backends = ["aiohttp", "httpx"] if args.backend == "both" else [args.backend]
    groups: list[list[dict]] = []
    t0 = time.perf_counter()
    for backend in backends:
        for n, c in (settings if backend == backends[0] else settings[:1]):
            runs = []
            for _ in range(repeat):
                proc, url = start_server(args.latency)  # a fresh server each time: its in-flight peak is ours
                try:
                    runs.append(run_setting(url, n, c, args.latency, backend))
                finally:
                    proc.terminate()
                    proc.wait(timeout=10)
            groups.append(runs)
    cpu = {} if args.quick else cpu_per_call()
    report = render(args, repeat, groups, cpu, time.perf_counter() - t0)
    print(report)
    if args.out:
        args.out.write_text(report)
    rows = [x for runs in groups for x in runs]
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))
    bad = [r for r in rows if r["rerun_calls"] != 0 or r["server_max_in_flight"] > r["C"]
           or r["ok"] != 2 * r["N"] or r["rerun_ok"] != r["N"]]
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())

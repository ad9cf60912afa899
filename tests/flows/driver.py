"""Run a CRAWLQA job in this process, with an optional self-kill, for the resume tests.

    python -m tests.flows.driver JOB.json

``JOB.json``: ``{"engine": "local" | "prefect", "roots": [...], "out": ..., "run_id": ..., "llm": ...,
"model": ..., "crawl": {...}, "candidates_per_shard": n, "rows_per_shard": n, "kill": {...}}``.
``engine`` ``local`` calls ``pipelines.job.run_crawlqa``; ``prefect`` calls the ``crawlqa`` flow
(Prefect's ephemeral mode). ``kill`` = ``{"folder": "qa", "nth": 2}`` makes the process SIGKILL itself
while publishing its ``nth`` shard into ``folder``: the shard's temporary file is half written and
not renamed yet — what a ``kill -9`` in the middle of shard writing leaves behind. Kills at other
moments (during the crawl, during the LLM calls) come from the test, with ``os.killpg``.
"""

from __future__ import annotations

import json
import os
import signal
import sys
from pathlib import Path


def install_kill_hook(folder: str, nth: int) -> None:
    from pipelines import shards

    original = shards.ShardWriter._publish
    seen = {"n": 0}

    def publish(self):  # type: ignore[no-untyped-def]
        if self.folder.name == folder:
            seen["n"] += 1
            if seen["n"] == nth:
                # the shard's row groups are in its temp file, the footer is not: a half-written shard
                assert self._tmp is not None and self._tmp.exists(), "the shard being written has a temp file"
                os.kill(os.getpid(), signal.SIGKILL)
        return original(self)

    shards.ShardWriter._publish = publish  # type: ignore[method-assign]


def main(job_path: str) -> None:
    job = json.loads(Path(job_path).read_text())
    if job.get("kill"):
        install_kill_hook(job["kill"]["folder"], int(job["kill"]["nth"]))
    if job.get("engine", "local") == "prefect":
        from flows import crawlqa_flow

        manifest = crawlqa_flow(roots=job["roots"], out=job["out"], run_id=job["run_id"], llm=job["llm"],
                                model=job.get("model"), crawl_options=job["crawl"],
                                max_depth=job["crawl"]["max_depth"], max_pages=job["crawl"]["max_pages"],
                                max_pages_per_root=job["crawl"]["max_pages_per_root"],
                                candidates_per_shard=job["candidates_per_shard"],
                                rows_per_shard=job["rows_per_shard"])
    else:
        from crawlqa.config import make_job_config
        from pipelines.job import run_crawlqa

        cfg = make_job_config(job["roots"], out=job["out"], run_id=job["run_id"], llm=job["llm"],
                              model=job.get("model"), crawl=job["crawl"],
                              candidates_per_shard=job["candidates_per_shard"],
                              rows_per_shard=job["rows_per_shard"])
        manifest = run_crawlqa(cfg)
    print(json.dumps({"kept": manifest["funnel"]["kept"], "run_id": manifest["run_id"]}))


if __name__ == "__main__":
    main(sys.argv[1])

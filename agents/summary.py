"""What the agent gates left in a run folder, per QA type (for ``crawlqa inspect`` and the manifest).

``agents_report(run_path)``::

    {"shortcut_rank": {"multi_hop": {"none": 92, "4": 14, ...}, ...},   # kept records (qa/)
     "seeds": {"rows": 279, "shortcut_rank": {"1": 237, ...}},            # seeds/ (single_hop)
     "trajectories": {"kept": 588, "with_reference": 588, "rollouts": 0},
     "solve": {"multi_hop": {"n": 10, "mean_solve_rate": 0.25, "tiers": {"hard": 6, ...}}, ...}}

``shortcut_rank`` keys are ranks ('1'..'10') or 'none' (no result of the top 10 gave the answer away).
"""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from pipelines.shards import read_table, shard_paths
from schemas.records import QARecord


def _ranks(rows: list[dict]) -> dict[str, dict[str, int]]:
    by: dict[str, Counter] = defaultdict(Counter)
    for r in rows:
        by[r["type"]]["none" if r["shortcut_rank"] is None else str(r["shortcut_rank"])] += 1
    return {t: dict(sorted(c.items(), key=lambda kv: (kv[0] == "none", int(kv[0]) if kv[0] != "none" else 0)))
            for t, c in sorted(by.items())}


def agents_report(run_path: Path | str) -> dict:
    run = Path(run_path)
    cols = ["id", "type", "shortcut_rank", "solve_rate", "difficulty_tier"]
    qa = read_table(run / "qa", QARecord, columns=cols).to_pylist()
    seeds = read_table(run / "seeds", QARecord, columns=cols).to_pylist()
    out: dict = {"shortcut_rank": _ranks(qa),
                 "seeds": {"rows": len(seeds), "shortcut_rank": _ranks(seeds).get("single_hop", {})}}
    if shard_paths(run / "trajectories"):
        from agents.replay import Trajectory

        t = read_table(run / "trajectories", Trajectory, columns=["record_id", "kind"]).to_pylist()
        ref = {r["record_id"] for r in t if r["kind"] == "reference"}
        out["trajectories"] = {"kept": len(qa), "with_reference": sum(r["id"] in ref for r in qa),
                               "rollouts": sum(r["kind"] == "rollout" for r in t)}
    solve: dict[str, dict] = {}
    for r in qa:
        if r["solve_rate"] is None:
            continue
        s = solve.setdefault(r["type"], {"n": 0, "sum": 0.0, "tiers": Counter()})
        s["n"] += 1
        s["sum"] += r["solve_rate"]
        s["tiers"][r["difficulty_tier"] or "?"] += 1
    if solve:
        out["solve"] = {t: {"n": s["n"], "mean_solve_rate": round(s["sum"] / s["n"], 3), "tiers": dict(s["tiers"])}
                        for t, s in sorted(solve.items())}
    return out

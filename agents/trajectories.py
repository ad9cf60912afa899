"""Trajectories as training data: ``crawlqa export RUN --format trajectories | react``.

``trajectories`` (JSONL), one object per kept record::

    {"id": <record id>, "source": "rollout" | "reference" | "none",
     "messages": [{"role": "system", ...}, {"role": "user", "content": <question>},
                  {"role": "assistant", "content": "", "tool_calls": [{"id", "type": "function",
                   "function": {"name": "search" | "visit", "arguments": <JSON text>}}]},
                  {"role": "tool", "tool_call_id": ..., "content": <the env's result, cut>}, ...,
                  {"role": "assistant", "content": "Answer: <the record's answer>"}]}

The trajectory is the first solving agent rollout of the record (``crawlqa solve``), else its
reference replay (the golden path through the env, ``agents.replay``), else (``none``) the question and
the answer alone. Tool results are the frozen env's (a reference replay is re-run through the env, so
its observations are exactly what the tools return) cut to ``OBSERVATION_CHARS``; the last assistant
message is ``Answer: <answer>`` with the record's own answer (a rollout's reply matched it by the
checker; its wording is replaced by the canonical answer).

``react`` (JSONL): ``{"id", "source", "text"}`` with the same steps as WebDancer/ReAct text::

    Question: ...
    Thought: ...
    Action: search
    Action Input: {"query": "..."}
    Observation: ...
    ...
    Final Answer: <answer>
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from agents.solve import SYSTEM_PROMPT
from schemas.records import QARecord

OBSERVATION_CHARS = 2_000


def _cut(text: str, n: int = OBSERVATION_CHARS) -> str:
    return text if len(text) <= n else text[:n] + f" … [{len(text) - n} characters cut]"


class TrajectorySource:
    """The env and the stored trajectories of one run, for the exporters (opened lazily, once)."""

    def __init__(self, run: Path) -> None:
        self.run = Path(run)
        self._env: Any = None
        self._refs: dict[str, str] | None = None
        self._rollouts: dict[str, str] | None = None

    @property
    def env(self):
        if self._env is None:
            from agents.env import BrowseEnv

            self._env = BrowseEnv(self.run)
        return self._env

    def close(self) -> None:
        if self._env is not None:
            self._env.close()
            self._env = None

    def _load(self) -> None:
        import pyarrow.compute as pc
        import pyarrow.parquet as pq

        from pipelines.shards import shard_paths

        self._refs, self._rollouts = {}, {}
        for p in shard_paths(self.run / "trajectories"):
            t = pq.read_table(p, columns=["record_id", "kind", "ok", "solved", "steps_json"])
            for row in t.to_pylist():
                if row["kind"] == "reference" and row["ok"]:
                    self._refs.setdefault(row["record_id"], row["steps_json"])
            solved = pc.and_(pc.equal(t["kind"], "rollout"), pc.fill_null(pc.equal(t["solved"], True), False))
            if pc.any(solved).as_py():
                rows = pq.read_table(p, columns=["record_id", "kind", "solved", "attempt", "messages_json"]
                                     ).filter(solved).to_pylist()
                for row in sorted(rows, key=lambda r: r["attempt"]):
                    self._rollouts.setdefault(row["record_id"], row["messages_json"])

    def messages(self, rec: QARecord) -> tuple[str, list[dict]]:
        """``(source, messages)`` of a record (see the module docstring)."""
        if self._refs is None:
            self._load()
        assert self._refs is not None and self._rollouts is not None
        head = [{"role": "system", "content": SYSTEM_PROMPT}, {"role": "user", "content": rec.question}]
        final = {"role": "assistant", "content": f"Answer: {rec.answer}"}
        if rec.id in self._rollouts:
            msgs = json.loads(self._rollouts[rec.id])
            body = [dict(m, content=_cut(m.get("content") or "")) if m.get("role") == "tool" else m
                    for m in msgs[2:-1]]
            return "rollout", head + body + [final]
        steps = json.loads(self._refs.get(rec.id) or "[]")
        if not steps:
            return "none", [*head, final]
        body: list[dict] = []
        for i, st in enumerate(steps):
            args = json.dumps(st["args"], ensure_ascii=False)
            call_id = f"call_{i}"
            body.append({"role": "assistant", "content": "", "tool_calls": [
                {"id": call_id, "type": "function", "function": {"name": st["tool"], "arguments": args}}]})
            body.append({"role": "tool", "tool_call_id": call_id, "content": _cut(self.env.call(st["tool"], args))})
        return "reference", head + body + [final]


_SOURCES: dict[Path, TrajectorySource] = {}


def source_for(run: Path) -> TrajectorySource:
    """One open source per run; opening another run's closes the previous one (exports stream one run)."""
    run = Path(run).resolve()
    src = _SOURCES.get(run)
    if src is None:
        for other in list(_SOURCES):
            _SOURCES.pop(other).close()
        src = _SOURCES[run] = TrajectorySource(run)
    return src


def to_trajectories(rec: QARecord, ctx: Any) -> dict:
    source, messages = source_for(ctx.run).messages(rec)
    return {"id": rec.id, "source": source, "messages": messages}


def _thought(call: dict, prev_results: dict[str, Any]) -> str:
    fn = call["function"]
    try:
        args = json.loads(fn["arguments"])
    except json.JSONDecodeError:
        return "I call a tool."
    if fn["name"] == "search":
        return f"I search for {args.get('query', '')!r}."
    url = args.get("url", "")
    for res in prev_results.values():
        for lk in (res.get("links") or []) if isinstance(res, dict) else []:
            if lk.get("url") == url:
                return f"I follow link [{lk['n']}] ({lk.get('text') or url})."
    return f"I open {url}."


def react_text(rec: QARecord, messages: list[dict]) -> str:
    lines = [f"Question: {rec.question}"]
    results: dict[str, Any] = {}
    for m in messages[2:]:
        if m["role"] == "assistant" and m.get("tool_calls"):
            for call in m["tool_calls"]:
                thought = (m.get("content") or "").strip() or _thought(call, results)
                lines += [f"Thought: {thought}", f"Action: {call['function']['name']}",
                          f"Action Input: {call['function']['arguments']}"]
        elif m["role"] == "tool":
            lines.append(f"Observation: {m['content']}")
            try:
                results[m.get("tool_call_id", "")] = json.loads(m["content"])
            except json.JSONDecodeError:
                results[m.get("tool_call_id", "")] = None
    lines += ["Thought: I now know the final answer.", f"Final Answer: {rec.answer}"]
    return "\n".join(lines)


def to_react(rec: QARecord, ctx: Any) -> dict:
    source, messages = source_for(ctx.run).messages(rec)
    return {"id": rec.id, "source": source, "text": react_text(rec, messages)}

"""Agent rollouts: k tool-calling attempts per kept question with any OpenAI-compatible model.

    crawlqa solve RUN_DIR --k 4 [--model M] [--max-steps 12] [--token-budget N] [--judge]

Each attempt is a chat with the env's ``search``/``visit`` tools (a step = one tool call; at most
``max_steps`` of them, and ``max_attempt_tokens`` tokens), ending when the model answers without a
tool call (``Answer: ...``). The answer checker accepts a normalised match of the answer or an alias
(case, accents, punctuation, articles; numbers by value; the gold answer inside a short reply), then,
with ``judge``, asks the model whether the reply means the gold answer.

Per record: ``solve_rate`` (solved / finished attempts), ``solve_steps`` (mean tool calls of the solving
attempts), ``difficulty_tier`` (``easy`` all solved, ``medium`` ≥ half, ``hard`` some, ``unsolved`` none).
Policy ``default``: drop a question every attempt solves (``solve/all_attempts_solved``) and a never-solved
one without a reference replay (``solve/unsolved_unreplayable``); ``tag`` keeps everything.

Cached, resumable, budgeted like the writers: every model answer is cached by content (model, messages,
tools, sampling, attempt number) in ``OUT/.llmcache/responses.sqlite`` as it arrives, so a re-run — or a
run killed with SIGKILL and started again — pays only for answers it never received; the tools are
deterministic, so a cached attempt replays to the same messages. A token budget stops new calls (the
attempts left unfinished are counted, ``solve/unfinished/<why>``, and do not count in ``solve_rate``).

Per ``qa/`` shard (``stage_solve_shard``, a Prefect task in ``flows.py``): the shard is rewritten with
the fields filled (atomic replace), rejects go to ``rejects/part-5NNNN`` and the rollouts to
``trajectories/part-5NNNN`` (``kind='rollout'``, full chat messages), marker ``_state/solve-NNNNN.json``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Protocol

from pydantic import BaseModel, ConfigDict, Field

from agents.replay import Trajectory
from filters.shortcut import fold_text
from pipelines.counters import Counters
from pipelines.run import RunDir, StageReport, timed
from pipelines.shards import ShardWriter, remove_shards, shard_index, shard_paths
from schemas.ids import reject_id, stable_hash
from schemas.records import QARecord, Reject

log = logging.getLogger("crawlqa")

STAGE = "solve"
REJECT_BLOCK = 50_000        # rejects/part-5NNNN (NNNN = qa shard index)
ROLLOUT_BLOCK = 50_000       # trajectories/part-5NNNN
PROMPT_VERSION = "solve.v1"
SYSTEM_PROMPT = (
    "You are a web research agent working in a frozen copy of part of the web. Use the tools: "
    "`search` finds pages, `visit` opens a page (its text, facts and numbered links). Follow links and "
    "search again as needed; check the facts on the pages. When you are sure, reply without a tool call, "
    "exactly: Answer: <the short answer>"
)
JUDGE_PROMPT = ("Question: {q}\nGold answer: {gold}\nPredicted answer: {pred}\n"
                "Does the predicted answer mean the same as the gold answer? Reply yes or no.")


class SolveConfig(BaseModel):
    """Settings of the solve stage (plain values; the model endpoint is an ``LLMConfig``)."""

    model_config = ConfigDict(extra="forbid")

    k: int = Field(4, ge=1, le=64, description="independent attempts per question")
    max_steps: int = Field(12, ge=1, description="tool calls per attempt")
    max_attempt_tokens: int = Field(60_000, ge=1, description="prompt + completion tokens per attempt")
    observation_chars: int = Field(4_000, ge=200, description="a tool result is cut to this many characters")
    temperature: float | None = Field(0.7, description="sampling temperature of the attempts (None: not sent)")
    judge: bool = Field(False, description="ask the model when the normalised match fails")
    policy: Literal["default", "tag"] = "default"
    concurrency: int = Field(4, ge=1, description="attempts in flight")
    types: list[str] = Field(default_factory=list, description="QA types to solve (empty: all)")


class Tools(Protocol):
    def call(self, name: str, arguments_json: str | dict) -> str: ...


# --- answer checking ------------------------------------------------------------------------------
_ARTICLES = frozenset({"a", "an", "the"})
_ANSWER_RE = re.compile(r"(?is)(?:^|\n)\s*\**\s*(?:final\s+)?answer\s*\**\s*[:：]\s*(.+)$")
_TAG_RE = re.compile(r"(?is)<answer>(.*?)</answer>")


def extract_answer(content: str) -> str:
    """The answer of a final message: ``<answer>..</answer>``, else after ``Answer:``, else the text."""
    text = (content or "").strip()
    m = _TAG_RE.search(text)
    if m:
        return m.group(1).strip()
    m = _ANSWER_RE.search(text)
    if m:
        text = m.group(1).strip()
    return text.splitlines()[0].strip() if text else ""


def normalize(text: str) -> str:
    return " ".join(w for w in fold_text(text).split() if w not in _ARTICLES)


def _number(text: str) -> float | None:
    t = text.strip().replace(",", "")
    try:
        return float(t)
    except ValueError:
        return None


def matches(pred: str, gold: str, aliases: list[str] | tuple[str, ...] = ()) -> bool:
    """Normalised match of a prediction against the gold answer or an alias."""
    p = normalize(pred)
    if not p:
        return False
    for g in (gold, *aliases):
        n = normalize(g)
        if not n:
            continue
        if p == n:
            return True
        pn, gn = _number(pred), _number(g)
        if pn is not None and gn is not None and pn == gn:
            return True
        if f" {n} " in f" {p} " and len(p.split()) <= len(n.split()) + 4:
            return True
    return False


# --- the model --------------------------------------------------------------------------------------
class BudgetExhausted(RuntimeError):
    pass


class ChatModel:
    """Cached, budgeted tool-calling chat completions over the openai client (one per solve stage)."""

    def __init__(self, llm_cfg: Any, *, cache: Any, ledger: Any = None, budget: int | None = None) -> None:
        from openai import OpenAI

        from synth.llm.config import DEFAULT_BASE_URL

        self.cfg = llm_cfg
        self.cache = cache
        self.ledger = ledger
        self.budget = budget if budget is not None else llm_cfg.token_budget
        key = llm_cfg.api_key.get_secret_value() if llm_cfg.api_key is not None else "no-key"
        self._client = OpenAI(base_url=llm_cfg.base_url or DEFAULT_BASE_URL, api_key=key,
                              timeout=llm_cfg.timeout, max_retries=llm_cfg.max_retries)
        self._lock = threading.Lock()
        self.spent = 0
        self.calls = 0
        self.cache_hits = 0

    def close(self) -> None:
        self._client.close()

    def chat(self, messages: list[dict], *, tools: list[dict] | None, temperature: float | None,
             attempt: int, max_tokens: int | None = None) -> dict:
        """``{"message": {...}, "usage": {...}, "cached": bool}``; raises on a failed call."""
        from synth.llm.cache import cache_key

        payload: dict[str, Any] = {"model": self.cfg.model, "messages": messages,
                                   "max_tokens": max_tokens or self.cfg.max_tokens}
        if tools:
            payload["tools"] = tools
        if temperature is not None:
            payload["temperature"] = temperature
            payload["seed"] = attempt
        key = cache_key({**payload, "crawlqa_attempt": attempt, "crawlqa_prompt": PROMPT_VERSION})
        got = self.cache.get(key)
        if got is not None:
            with self._lock:
                self.cache_hits += 1
            if self.ledger is not None:
                self.ledger.add(STAGE, requests=1, cache_hits=1)
            return {**got, "cached": True}
        with self._lock:
            if self.budget is not None and self.spent >= self.budget:
                raise BudgetExhausted(f"token budget {self.budget} spent")
        resp = self._client.chat.completions.create(**payload)
        choice = resp.choices[0]
        msg = choice.message.model_dump(exclude_none=True)
        message = {"role": "assistant", "content": msg.get("content") or ""}
        if msg.get("tool_calls"):
            message["tool_calls"] = [{"id": tc["id"], "type": "function",
                                      "function": {"name": tc["function"]["name"],
                                                   "arguments": tc["function"].get("arguments") or "{}"}}
                                     for tc in msg["tool_calls"]]
        usage = {"prompt_tokens": getattr(resp.usage, "prompt_tokens", 0) or 0,
                 "completion_tokens": getattr(resp.usage, "completion_tokens", 0) or 0}
        value = {"message": message, "usage": usage, "finish_reason": choice.finish_reason or ""}
        self.cache.put(key, value, model=self.cfg.model, mode="tools")
        with self._lock:
            self.calls += 1
            self.spent += usage["prompt_tokens"] + usage["completion_tokens"]
        if self.ledger is not None:
            self.ledger.add(STAGE, requests=1, calls=1, ok=1)
            self.ledger.usage(STAGE, usage["prompt_tokens"], usage["completion_tokens"])
            self.ledger.answer(STAGE, self.cfg.model, PROMPT_VERSION)
        return {**value, "cached": False}


@dataclass
class Attempt:
    attempt: int
    messages: list[dict] = field(default_factory=list)
    answer: str | None = None
    solved: bool = False
    steps: int = 0
    tokens: int = 0
    error: str = ""  # '' finished; step_limit / token_limit (finished, unsolved); llm_error / budget (unfinished)

    @property
    def finished(self) -> bool:
        return self.error in ("", "step_limit", "token_limit")


def _truncate(text: str, n: int) -> str:
    return text if len(text) <= n else text[:n] + f" … [{len(text) - n} characters cut]"


def run_attempt(model: ChatModel, tools: Tools, tool_schemas: list[dict], record: QARecord, attempt: int,
                cfg: SolveConfig) -> Attempt:
    """One rollout: chat until the model answers, the step or token limit, or a failure."""
    a = Attempt(attempt, [{"role": "system", "content": SYSTEM_PROMPT},
                          {"role": "user", "content": record.question}])
    while True:
        try:
            out = model.chat(a.messages, tools=tool_schemas, temperature=cfg.temperature, attempt=attempt)
        except BudgetExhausted:
            a.error = "budget"
            return a
        except Exception as exc:  # the client's retries are spent: the attempt is unfinished, not unsolved
            a.error = "llm_error"
            a.messages.append({"role": "system", "content": f"[model call failed: {type(exc).__name__}]"})
            return a
        a.tokens += sum(out["usage"].values())
        msg = out["message"]
        a.messages.append(msg)
        calls = msg.get("tool_calls") or []
        if not calls:
            a.answer = extract_answer(msg.get("content") or "")
            return a
        for tc in calls:
            if a.steps >= cfg.max_steps:
                a.error = "step_limit"
                a.messages.append({"role": "tool", "tool_call_id": tc["id"],
                                   "content": json.dumps({"error": "step limit reached"})})
                continue
            a.steps += 1
            result = tools.call(tc["function"]["name"], tc["function"]["arguments"])
            a.messages.append({"role": "tool", "tool_call_id": tc["id"],
                               "content": _truncate(result, cfg.observation_chars)})
        if a.error == "step_limit":
            return a
        if a.tokens >= cfg.max_attempt_tokens:
            a.error = "token_limit"
            return a


def judge(model: ChatModel, record: QARecord, pred: str) -> bool:
    q = JUDGE_PROMPT.format(q=record.question, gold=record.answer, pred=pred)
    out = model.chat([{"role": "user", "content": q}], tools=None, temperature=None, attempt=0, max_tokens=8)
    return normalize(out["message"].get("content") or "").startswith("yes")


# --- the stage -------------------------------------------------------------------------------------
def tier(rate: float) -> str:
    if rate >= 1.0:
        return "easy"
    if rate >= 0.5:
        return "medium"
    return "hard" if rate > 0 else "unsolved"


def solve_shard_stage(index: int) -> str:
    return f"solve-{index:05d}"


def reference_ids(run: RunDir) -> set[str]:
    import pyarrow.parquet as pq

    ids: set[str] = set()
    for p in shard_paths(run.sub("trajectories")):
        idx = shard_index(p)
        if idx is not None and idx < ROLLOUT_BLOCK:
            t = pq.read_table(p, columns=["record_id", "kind", "ok"]).to_pylist()
            ids.update(r["record_id"] for r in t if r["kind"] == "reference" and r["ok"])
    return ids


def _reject(rec: QARecord, reason: str, detail: str) -> Reject:
    return Reject(id=reject_id(STAGE, reason, rec.id), stage=STAGE, reason=reason, detail=detail,
                  record_id=rec.id, url=rec.source_urls[0] if rec.source_urls else rec.root_url, run_id=rec.run_id,
                  payload_json=json.dumps(rec.model_dump(mode="json"), ensure_ascii=False))


def stage_solve_shard(run: RunDir, index: int, model: ChatModel, cfg: SolveConfig, counters: Counters,
                      tools_factory: Callable[[], Tools], *, refs: set[str] | None = None) -> StageReport:
    """Solve the records of ``qa/part-<index>``: see the module docstring. Skipped when its marker exists."""
    from agents.env import BrowseEnv

    stage = solve_shard_stage(index)
    done = run.stage_result(stage)
    if done is not None:
        report = StageReport.from_dict(done)
        counters.merge(report.counters)
        return report
    import pyarrow.parquet as pq

    path = next(p for p in shard_paths(run.sub("qa")) if shard_index(p) == index)
    source = solve_input(run, index, path)
    records = [QARecord.model_validate(r) for r in pq.read_table(source).to_pylist()]
    refs = reference_ids(run) if refs is None else refs
    local = Counters()
    todo = [r for r in records if not cfg.types or r.type in cfg.types]
    schemas = BrowseEnv.tool_schemas()

    def work(tools: Tools, job: tuple[QARecord, int]) -> Attempt:
        rec, i = job
        a = run_attempt(model, tools, schemas, rec, i, cfg)
        if a.answer is not None:
            a.solved = matches(a.answer, rec.answer, rec.aliases)
            if not a.solved and cfg.judge and a.answer:
                try:
                    a.solved = judge(model, rec, a.answer)
                except Exception as exc:  # a failed judge call leaves the normalised verdict
                    log.warning("solve: judge call failed on %s: %s", rec.id, exc)
                    local.inc("solve/judge_failed")
        return a

    with timed() as t:
        jobs = [(r, i) for r in todo for i in range(cfg.k)]
        attempts = run_pool(jobs, work, cfg.concurrency, tools_factory)
        by_rec: dict[str, list[Attempt]] = {}
        for (rec, _), a in zip(jobs, attempts, strict=True):
            by_rec.setdefault(rec.id, []).append(a)
        scratch = run.work(stage)
        remove_shards(run.sub("rejects"), REJECT_BLOCK + index, REJECT_BLOCK + index + 1)
        remove_shards(run.sub("trajectories"), ROLLOUT_BLOCK + index, ROLLOUT_BLOCK + index + 1)
        with ShardWriter(scratch / "qa", QARecord, start_index=index, rows_per_shard=10**9,
                         relative_to=run.path) as out, \
                ShardWriter(run.sub("rejects"), Reject, start_index=REJECT_BLOCK + index, rows_per_shard=10**9,
                            relative_to=run.path) as rej, \
                ShardWriter(run.sub("trajectories"), Trajectory, start_index=ROLLOUT_BLOCK + index,
                            rows_per_shard=10**9, relative_to=run.path) as traj:
            for rec in records:
                atts = by_rec.get(rec.id)
                if atts is None:  # a type not solved
                    out.write(rec)
                    continue
                local.inc("solve/records")
                for a in atts:
                    local.inc("solve/attempts")
                    if not a.finished:
                        local.inc(f"solve/unfinished/{a.error}")
                        continue
                    if a.error:
                        local.inc(f"solve/limit/{a.error}")
                    local.inc("solve/solved" if a.solved else "solve/failed")
                    traj.write(Trajectory(
                        id=stable_hash("traj", rec.id, "rollout", model.cfg.model, a.attempt), record_id=rec.id,
                        kind="rollout", messages_json=json.dumps(a.messages, ensure_ascii=False),
                        answer=a.answer or "", ok=True, solved=a.solved, n_steps=a.steps, model=model.cfg.model,
                        attempt=a.attempt, detail=a.error))
                fin = [a for a in atts if a.finished]
                if not fin:
                    local.inc("solve/no_finished_attempt")
                    out.write(rec)
                    continue
                solved = [a for a in fin if a.solved]
                rec.solve_rate = round(len(solved) / len(fin), 4)
                rec.solve_steps = round(sum(a.steps for a in solved) / len(solved), 2) if solved else None
                rec.difficulty_tier = tier(rec.solve_rate)
                local.inc(f"solve/tier/{rec.difficulty_tier}")
                if cfg.policy == "default" and len(solved) == len(fin):
                    reason = "all_attempts_solved"
                elif cfg.policy == "default" and not solved and rec.id not in refs:
                    reason = "unsolved_unreplayable"
                else:
                    out.write(rec)
                    continue
                local.inc(f"{STAGE}/dropped/{reason}")
                rej.write(_reject(rec, reason, f"solved {len(solved)} of {len(fin)} attempts"))
    _note_output(run, index, [run.path / s.path for s in out.shards])
    for s in out.shards:  # the solved shard replaces the qa shard (atomic rename)
        os.replace(run.path / s.path, path)
    if not out.shards:  # every record dropped: the shard goes
        path.unlink()
    shutil.rmtree(scratch, ignore_errors=True)
    report = StageReport(stage, shards={"rejects": rej.shards, "trajectories": traj.shards},
                         counters=local.to_dict(), seconds=t["seconds"],
                         info={"model": model.cfg.model, "k": cfg.k})
    run.mark_done(stage, report.to_dict())
    counters.merge(report.counters)
    return report


def _input_dir(run: RunDir) -> Path:
    return run.sub("_work") / "solve-input"


def solve_input(run: RunDir, index: int, qa_shard: Path) -> Path:
    """The qa shard as it was before it was first solved (kept in ``_work/solve-input/``), so a resumed
    or redone solve starts from the same records; a qa shard the filter stage wrote anew replaces it."""
    from pipelines.run import atomic_write_text
    from pipelines.shards import file_sha256

    folder = _input_dir(run)
    copy, note = folder / f"part-{index:05d}.parquet", folder / f"part-{index:05d}.json"
    current = file_sha256(qa_shard)
    if copy.is_file() and note.is_file():
        known = json.loads(note.read_text())
        if current in (known.get("input_sha"), known.get("output_sha")):
            return copy
    folder.mkdir(parents=True, exist_ok=True)
    tmp = folder / f".tmp-{os.getpid()}-{copy.name}"
    shutil.copyfile(qa_shard, tmp)
    os.replace(tmp, copy)
    atomic_write_text(note, json.dumps({"input_sha": current}))
    return copy


def _note_output(run: RunDir, index: int, outputs: list[Path]) -> None:
    from pipelines.run import atomic_write_text
    from pipelines.shards import file_sha256

    note = _input_dir(run) / f"part-{index:05d}.json"
    known = json.loads(note.read_text())
    known["output_sha"] = file_sha256(outputs[0]) if outputs else ""
    atomic_write_text(note, json.dumps(known))


def run_pool(jobs: list, work: Callable[[Any, Any], Any], n: int, factory: Callable[[], Any]) -> list:
    """``work(tools, job)`` for every job on ``n`` threads, each with its own ``factory()`` tools
    (opened and closed on that thread: SQLite connections); results in job order."""
    import queue

    q: queue.Queue[int] = queue.Queue()
    for i in range(len(jobs)):
        q.put(i)
    results: list[Any] = [None] * len(jobs)
    errors: list[BaseException] = []

    def worker() -> None:
        tools = factory()
        try:
            while not errors:
                try:
                    i = q.get_nowait()
                except queue.Empty:
                    return
                results[i] = work(tools, jobs[i])
        except BaseException as exc:  # a programming error: re-raised on the caller's thread
            errors.append(exc)
        finally:
            close = getattr(tools, "close", None)
            if close is not None:
                close()

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(max(1, min(n, len(jobs))))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return results


def open_model(run: RunDir, llm_cfg: Any, ledger: Any = None) -> ChatModel:
    """The chat model with the response cache of the run's output folder (``OUT/.llmcache``)."""
    from synth.llm.cache import ResponseCache

    path = llm_cfg.cache_path or (Path(run.out).resolve() / ".llmcache" / "responses.sqlite")
    return ChatModel(llm_cfg, cache=ResponseCache(path), ledger=ledger)


def qa_shard_indexes(run: RunDir) -> list[int]:
    return [i for i in (shard_index(p) for p in shard_paths(run.sub("qa"))) if i is not None]


def _summary(run: RunDir, reports: list[StageReport], ledger: Any, model: ChatModel | None = None) -> dict:
    counters = Counters()
    for r in reports:
        counters.merge(r.counters)
    return {"run": str(run.path), "counters": counters.to_dict(), "tokens": ledger.to_dict() if ledger else {},
            "calls": model.calls if model else 0, "cache_hits": model.cache_hits if model else 0,
            "shards": len(reports)}


def update_manifest(run: RunDir, summary: dict) -> None:
    """Add the solve stage's counters and tokens, and the refreshed ``agents`` report, to manifest.json."""
    from agents.summary import agents_report
    from pipelines.run import write_manifest

    if not run.manifest_path.is_file():
        return
    import pyarrow.parquet as pq

    from pipelines.card import write_card
    from pipelines.run import _reject_reasons
    from pipelines.shards import file_sha256

    manifest = json.loads(run.manifest_path.read_text())
    manifest["agents"] = agents_report(run.path)
    manifest["solve"] = {"counters": summary["counters"], "tokens": summary["tokens"].get(STAGE, {})}
    # the qa shards were rewritten and the solve rejects added: the shard list and the funnel follow
    shards = manifest.setdefault("shards", {})
    for folder in ("qa", "rejects"):
        shards[folder] = [{"path": str(p.relative_to(run.path)), "rows": pq.ParquetFile(p).metadata.num_rows,
                           "sha256": file_sha256(p), "bytes": p.stat().st_size} for p in shard_paths(run.sub(folder))]
    funnel = manifest.setdefault("funnel", {})
    funnel["kept"] = sum(s["rows"] for s in shards["qa"])
    funnel["rejects"] = sum(s["rows"] for s in shards["rejects"])
    funnel["reject_reasons"] = _reject_reasons(run)
    write_manifest(run, manifest)
    write_card(run, manifest)


def solve_one_shard(run_dir: Path | str, index: int, llm_cfg: Any, cfg: SolveConfig | None = None, *,
                    token_budget: int | None = None, tools_factory: Callable[[], Tools] | None = None) -> dict:
    """One qa shard with its own model client (what the Prefect task per shard runs); the summary."""
    from agents.env import BrowseEnv
    from synth.llm.ledger import TokenLedger

    run = RunDir.open(run_dir)
    ledger = TokenLedger()
    model = open_model(run, llm_cfg, ledger)
    if token_budget is not None:
        model.budget = token_budget
    try:
        report = stage_solve_shard(run, index, model, cfg or SolveConfig(), Counters(),
                                   tools_factory or (lambda: BrowseEnv(run.path)))
    finally:
        model.cache.close()
        model.close()
    out = _summary(run, [report], ledger, model)
    out["spent"] = model.spent
    return out


def merge_summaries(run_dir: Path | str, parts: list[dict]) -> dict:
    """The shards' summaries as one (counters and tokens added up), written into the manifest."""
    from synth.llm.ledger import add_row

    run = RunDir.open(run_dir)
    counters = Counters()
    tokens: dict[str, dict] = {}
    for p in parts:
        counters.merge(p["counters"])
        for stage, row in (p.get("tokens") or {}).items():
            add_row(tokens.setdefault(stage, {}), row)
    out = {"run": str(run.path), "counters": counters.to_dict(), "tokens": tokens,
           "calls": sum(p.get("calls", 0) for p in parts), "cache_hits": sum(p.get("cache_hits", 0) for p in parts),
           "shards": sum(p.get("shards", 0) for p in parts)}
    update_manifest(run, out)
    return out


def prepare_solve(run_dir: Path | str, *, redo: bool = False) -> list[int]:
    """Build the env's index and page store once; with ``redo`` forget finished shards. The qa shards."""
    from agents.env import BrowseEnv

    run = RunDir.open(run_dir)
    if redo:
        for m in run.sub("_state").glob("solve-*.json"):
            m.unlink()
    BrowseEnv(run.path).close()
    return qa_shard_indexes(run)


def solve_run(run_dir: Path | str, llm_cfg: Any, cfg: SolveConfig | None = None, *,
              tools_factory: Callable[[], Tools] | None = None, redo: bool = False) -> dict:
    """Solve every qa shard of a run, one after the other (``crawlqa solve --engine local``); the
    token budget is the run's (each shard gets what the earlier ones left). Returns the summary."""
    budget = llm_cfg.token_budget
    parts = []
    for i in prepare_solve(run_dir, redo=redo):
        part = solve_one_shard(run_dir, i, llm_cfg, cfg, token_budget=budget, tools_factory=tools_factory)
        parts.append(part)
        if budget is not None:
            budget = max(0, budget - part["spent"])
    return merge_summaries(run_dir, parts)

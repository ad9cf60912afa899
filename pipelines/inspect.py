"""``crawlqa inspect RUN_DIR``: what a run produced, at a glance.

``inspect_run(run_dir)`` builds a JSON-able report from the run folder (the shards are the ground
truth; ``manifest.json`` adds config, timings, token usage and crawl stats when present), and
``render_report(report, console)`` prints it as rich tables. Only the columns needed are read, so the
report stays cheap on large runs (the raw HTML of ``pages/`` is never loaded).

Report keys: ``run_id``, ``path``, ``written_at``, ``config``, ``funnel``, ``counts`` (type, hops,
difficulty, language, root, source_domain, writer, prompt_version, page_root, page_depth),
``question_length``, ``reject_reasons``, ``crawl``, ``tokens`` (per stage, totals, cost), ``timings``,
``samples``, ``agents`` (``agents.summary.agents_report``: shortcut rank per type, seeds, reference
trajectories, solve rates) and ``warnings``.

Cost: token counts come from ``manifest["tokens"]`` (the ``synth.llm.ledger.TokenLedger`` table
``{stage: {calls, cache_hits, prompt_tokens, completion_tokens, answers: {"model|prompt": n}, ...}}``;
a stage's model is its ``model`` key, else the one model its ``answers`` name, else the run's
configured model). Cache hits cost nothing and add no tokens. The estimate uses a small price table in USD per 1M tokens
(``DEFAULT_PRICES``, extended or overridden with ``prices=``, e.g. from ``load_prices(json_file)``). A model not in the table gives cost ``"n/a"``; a
run that used only the offline template writer costs 0.
"""

from __future__ import annotations

import json
import re
import statistics
from collections import Counter
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pyarrow.compute as pc

from pipelines.shards import count_rows, iter_records, read_table
from schemas.records import QA_TYPES, Page, QARecord, Reject

# USD per 1M tokens: (prompt, completion). List prices of OpenAI's API (2025); check your provider's
# and pass ``prices=`` to override or extend. Dated snapshots ("gpt-4o-mini-2024-07-18") and provider
# prefixes ("openai/gpt-4o-mini") resolve to their base name.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "template": (0.0, 0.0),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4o": (2.50, 10.00),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o4-mini": (1.10, 4.40),
    "gpt-5": (1.25, 10.00),
    "gpt-5-mini": (0.25, 2.00),
    "gpt-5-nano": (0.05, 0.40),
}
SNAPSHOT_RE = re.compile(r"\d|latest\b|preview\b")  # what may follow "<model>-" in a snapshot name
NA = "n/a"
SNIPPET_CHARS = 240
QA_COLUMNS = ["id", "type", "hops", "difficulty", "language", "root_url", "source_urls", "writer",
              "prompt_version", "question"]


# --- helpers ---------------------------------------------------------------------------------------
def _load_manifest(run: Path) -> tuple[dict, list[str]]:
    p = run / "manifest.json"
    if not p.exists():
        return {}, ["no manifest.json (run unfinished?): config, tokens and timings are missing"]
    try:
        return json.loads(p.read_text(encoding="utf-8")), []
    except json.JSONDecodeError as exc:
        return {}, [f"manifest.json is not valid JSON ({exc}); report built from the shards only"]


def _counts(values: Iterable[Any], numeric: bool = False) -> dict[str, int]:
    """Value counts with string keys: by count (desc) then key, or by numeric key."""
    c = Counter("" if v is None else v for v in values)
    if numeric:
        items = sorted(c.items(), key=lambda kv: (kv[0] == "", kv[0] if kv[0] != "" else 0))
    else:
        items = sorted(c.items(), key=lambda kv: (-kv[1], str(kv[0])))
    return {str(k): int(n) for k, n in items}


def _host(url: str) -> str:
    try:
        return urlsplit(url).netloc.lower() or "(none)"
    except ValueError:
        return "(bad url)"


def _stats(values: list[int]) -> dict[str, float | int]:
    if not values:
        return {"n": 0}
    s = sorted(values)
    return {"n": len(s), "min": s[0], "mean": round(statistics.fmean(s), 1), "median": statistics.median(s),
            "p90": s[min(len(s) - 1, int(0.9 * len(s)))], "max": s[-1]}


def lookup_price(model: str | None, prices: Mapping[str, tuple[float, float]]) -> tuple[float, float] | None:
    """Price of a model: exact name, else the longest table name the model is a snapshot of
    (``gpt-4o-mini-2024-07-18`` → ``gpt-4o-mini``; ``gpt-4o-minimal`` matches nothing)."""
    if not model:
        return None
    name = model.rsplit("/", 1)[-1].lower()
    if name in prices:
        return tuple(prices[name])  # type: ignore[return-value]
    best = max((k for k in prices if name.startswith(k + "-") and SNAPSHOT_RE.match(name[len(k) + 1:])),
               key=len, default=None)
    return tuple(prices[best]) if best else None  # type: ignore[return-value]


def load_prices(path: Path | str) -> dict[str, tuple[float, float]]:
    """A price table from a JSON file ``{"model": [prompt_usd_per_1M, completion_usd_per_1M]}``."""
    raw = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(raw, dict):
        raise ValueError(f"{path}: expected a JSON object of model -> [prompt, completion] prices")
    out: dict[str, tuple[float, float]] = {}
    for model, pair in raw.items():
        if not (isinstance(pair, list | tuple) and len(pair) == 2
                and all(isinstance(x, int | float) and not isinstance(x, bool) and x >= 0 for x in pair)):
            raise ValueError(f"{path}: price of {model!r} must be [prompt, completion] USD per 1M tokens")
        out[str(model).lower()] = (float(pair[0]), float(pair[1]))
    return out


def _default_model(manifest: dict, writers: Mapping[str, int]) -> str | None:
    cfg = manifest.get("config") or {}
    llm = cfg.get("llm_config")
    if isinstance(llm, dict) and isinstance(llm.get("model"), str):
        return llm["model"]
    if isinstance(cfg.get("model"), str):
        return cfg["model"]
    models = [w for w in writers if w and w != "template"]
    return models[0] if len(models) == 1 else None


def _ledger_model(row: dict) -> str | None:
    """The one model a ledger row's ``answers`` ({"model|prompt_version": n}) name, else None."""
    models = {str(k).split("|", 1)[0] for k in (row.get("answers") or {})}
    return models.pop() if len(models) == 1 else None


def token_report(manifest: dict, writers: Mapping[str, int],
                 prices: Mapping[str, tuple[float, float]] | None = None) -> dict:
    """Token usage per stage and in total, with a cost estimate (USD) per stage and for the run."""
    prices = {**DEFAULT_PRICES, **{k.lower(): tuple(v) for k, v in (prices or {}).items()}}
    raw = manifest.get("tokens")
    offline = (manifest.get("config") or {}).get("llm") == "offline" or (
        not raw and bool(writers) and set(writers) <= {"template"})
    out: dict[str, Any] = {"stages": {}, "total": {}, "cost_usd": NA, "note": ""}
    if raw is not None and not isinstance(raw, dict):
        out["note"] = f"manifest 'tokens' is {raw!r}, not a table (masked when the manifest was written?)"
        return out
    raw = raw or {}
    default_model = _default_model(manifest, writers)
    total_cost = 0.0
    unknown: set[str] = set()
    totals: Counter[str] = Counter()
    for stage, row in sorted(raw.items()):
        if not isinstance(row, dict):
            continue
        model = row.get("model") or _ledger_model(row) or default_model
        p, c = int(row.get("prompt_tokens") or 0), int(row.get("completion_tokens") or 0)
        for k, v in row.items():
            if isinstance(v, int | float) and not isinstance(v, bool):
                totals[k] += v
        price = lookup_price(model, prices)
        if p == 0 and c == 0:
            cost: float | str = 0.0
        elif price is None:
            cost = NA
            unknown.add(str(model))
        else:
            cost = round(p / 1e6 * price[0] + c / 1e6 * price[1], 6)
            total_cost += cost
        out["stages"][stage] = {**{k: v for k, v in row.items() if k != "model"}, "model": model,
                                "cost_usd": cost}
    out["total"] = dict(totals)
    if unknown:
        out["note"] = f"no price for {', '.join(sorted(unknown))}: pass prices={{model: (prompt, completion)}}"
    elif not raw and offline:
        out["cost_usd"] = 0.0
        out["note"] = "offline template writer: no LLM calls"
    elif not raw:
        out["note"] = "no token usage recorded"
        out["cost_usd"] = 0.0 if offline else NA
    else:
        out["cost_usd"] = round(total_cost, 6)
    return out


def _crawl_section(manifest: dict, page_roots: dict[str, int]) -> dict:
    crawl = manifest.get("crawl") or {}
    per_root_raw = crawl.get("per_root") or {}
    per_root: dict[str, Any] = {}
    for root, v in per_root_raw.items():
        per_root[root] = v.get("pages", v) if isinstance(v, dict) else v
    for root, n in page_roots.items():
        per_root.setdefault(root, n)
    roots = list((manifest.get("config") or {}).get("roots") or [])
    for r in roots:
        per_root.setdefault(r, 0)
    empty = list(crawl.get("empty_roots") or [r for r, n in per_root.items() if n == 0])
    return {"roots": roots or sorted(per_root), "pages_per_root": per_root, "empty_roots": empty,
            "stats": crawl.get("stats") or {}}


def _snippet(text: str) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= SNIPPET_CHARS else flat[: SNIPPET_CHARS - 1] + "…"


def _sample(rec: QARecord) -> dict:
    return {
        "id": rec.id, "type": rec.type, "hops": rec.hops, "difficulty": rec.difficulty, "language": rec.language,
        "question": rec.question, "answer": rec.answer, "root_url": rec.root_url,
        "evidence": [{"url": e.url, "snippet": _snippet(e.text)} for e in rec.evidence[:2]],
        "golden_path": rec.golden_path, "writer": rec.writer, "prompt_version": rec.prompt_version,
        "lineage": [{"round": s.round, "entity": s.entity, "description": s.description,
                     "evidence_url": s.evidence_url} for s in rec.lineage],
    }


def pick_samples(qa_dir: Path, present_types: Iterable[str], n: int) -> list[dict]:
    """Up to ``n`` samples, one per type first (in QA_TYPES order), streaming the shards."""
    if n <= 0:
        return []
    order = [t for t in QA_TYPES if t in set(present_types)]
    want = order[:n]
    firsts: dict[str, dict] = {}
    extra: list[dict] = []
    for rec in iter_records(qa_dir, QARecord):
        if rec.type in want and rec.type not in firsts:  # type: ignore[attr-defined]
            firsts[rec.type] = _sample(rec)  # type: ignore[attr-defined, arg-type]
        elif len(extra) < n:
            extra.append(_sample(rec))  # type: ignore[arg-type]
        if len(firsts) == len(want) and len(firsts) + len(extra) >= n:
            break
    picked = [firsts[t] for t in want if t in firsts]
    return (picked + extra)[:n]


# --- the report ------------------------------------------------------------------------------------
def inspect_run(run_dir: Path, *, samples: int = 5,
                prices: Mapping[str, tuple[float, float]] | None = None) -> dict:
    """A JSON-able report of a run folder (see the module docstring for its keys)."""
    run = Path(run_dir).resolve()
    if not run.is_dir():
        raise FileNotFoundError(f"no run folder at {run}")
    manifest, warnings = _load_manifest(run)

    qa = read_table(run / "qa", QARecord, columns=QA_COLUMNS)
    col = {name: qa.column(name).to_pylist() for name in QA_COLUMNS if name not in ("question", "source_urls")}
    questions = qa.column("question")
    sources = pc.list_flatten(qa.column("source_urls")).to_pylist() if qa.num_rows else []
    pages = read_table(run / "pages", Page, columns=["root_url", "depth", "fetched_at"])
    page_roots = _counts(pages.column("root_url").to_pylist())
    reject_t = read_table(run / "rejects", Reject, columns=["stage", "reason"])
    reasons = _counts(f"{s}/{r}" for s, r in zip(reject_t.column("stage").to_pylist(),
                                                     reject_t.column("reason").to_pylist(), strict=True))

    funnel = {
        "pages_fetched": pages.num_rows,
        "candidates": count_rows(run / "candidates"),
        "written": count_rows(run / "drafts"),
        "kept": qa.num_rows,
        "seeds": count_rows(run / "seeds"),  # single-hop questions: E2HQA seeds, not qa/
        "rejects": reject_t.num_rows,
    }
    mf = manifest.get("funnel") or {}
    for k, v in funnel.items():
        if k in mf and mf[k] != v:
            warnings.append(f"manifest funnel says {k}={mf[k]} but the shards hold {v}")
    if funnel["kept"] == 0:
        warnings.append("no kept questions in qa/")

    writers = _counts(col["writer"])
    fetched = pages.column("fetched_at")
    crawl = _crawl_section(manifest, page_roots)
    if pages.num_rows:
        crawl["first_fetch"] = pc.min(fetched).as_py().isoformat()
        crawl["last_fetch"] = pc.max(fetched).as_py().isoformat()
    timings = dict(manifest.get("timings") or {})
    if timings:
        timings["total"] = round(sum(v for v in timings.values() if isinstance(v, int | float)), 3)
    cfg = manifest.get("config") or {}
    llm_cfg = cfg.get("llm_config") if isinstance(cfg.get("llm_config"), dict) else {}

    kind = run_kind(manifest)
    if kind == "e2hqa":  # no crawl of its own: its pages are the corpus run's
        crawl = {"roots": [], "pages_per_root": {}, "empty_roots": [], "stats": {},
                 "corpus": manifest.get("corpus"), "e2h": manifest.get("e2h") or {}}
    return {
        "run_id": manifest.get("run_id", run.name),
        "kind": kind,
        "path": str(run),
        "written_at": manifest.get("written_at"),
        "config": {"roots": cfg.get("roots", []), "llm": cfg.get("llm"), "model": (llm_cfg or {}).get("model"),
                   "writers": manifest.get("writers", [])},
        "funnel": funnel,
        "counts": {
            "type": _counts(col["type"]),
            "hops": _counts(col["hops"], numeric=True),
            "difficulty": _counts(col["difficulty"], numeric=True),
            "language": _counts(col["language"]),
            "root": _counts(col["root_url"]),
            "source_domain": _counts(_host(u) for u in sources),
            "writer": writers,
            "prompt_version": _counts(col["prompt_version"]),
            "page_root": page_roots,
            "page_depth": _counts(pages.column("depth").to_pylist(), numeric=True),
        },
        "question_length": {
            "chars": _stats(pc.utf8_length(questions).to_pylist() if qa.num_rows else []),
            "words": _stats(pc.list_value_length(pc.utf8_split_whitespace(questions)).to_pylist()
                            if qa.num_rows else []),
        },
        "reject_reasons": reasons,
        "crawl": crawl,
        "tokens": token_report(manifest, writers, prices),
        "timings": timings,
        "samples": pick_samples(run / "qa", _counts(col["type"]), samples),
        "agents": _agents(run),
        "warnings": warnings,
    }


def run_kind(manifest: dict) -> str:
    """``e2hqa`` (rewrites over a corpus run: ``corpus`` and ``e2h`` in its manifest) or ``crawlqa``."""
    stages = manifest.get("stages") or {}
    return "e2hqa" if manifest.get("corpus") or "e2h" in stages or "e2h" in manifest else "crawlqa"


def _agents(run: Path) -> dict:
    """Shortcut ranks per type, seeds, reference trajectories, solve rates (``agents.summary``)."""
    from agents.summary import agents_report

    return agents_report(run)


# --- rendering -------------------------------------------------------------------------------------
def render_report(report: dict, console: Any) -> None:
    """Print a report from ``inspect_run`` as rich tables on ``console`` (a ``rich.console.Console``)."""
    from rich.columns import Columns
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    def table(title: str, headers: list[str], rows: Iterable[Iterable[Any]], right: int = 1) -> Table:
        t = Table(title=title, title_justify="left", show_edge=False, pad_edge=False)
        for i, h in enumerate(headers):
            t.add_column(h, justify="right" if i >= len(headers) - right else "left", overflow="fold")
        for r in rows:
            t.add_row(*(c if isinstance(c, Text) else Text(str(c)) for c in r))
        return t

    e2hqa = report.get("kind") == "e2hqa"
    console.rule(Text(f"crawlqa {'E2HQA ' if e2hqa else ''}run {report['run_id']}", style="bold"))
    console.print(Text(f"{report['path']}  ·  manifest written {report.get('written_at') or 'n/a'}", style="dim"))
    for w in report.get("warnings", []):
        console.print(Text(f"warning: {w}", style="yellow"))

    f = report["funnel"]
    steps = [("pages fetched", f["pages_fetched"]), ("candidates mined", f["candidates"]),
             ("questions written", f["written"]), ("kept", f["kept"])]
    if e2hqa:  # rewrites: no pages or candidates of its own
        steps = [("questions written", f["written"]), ("kept", f["kept"])]
    rows = []
    prev = None
    for name, n in steps:
        rows.append((name, n, f"{100 * n / prev:.0f}%" if prev else ""))
        prev = n or prev
    if not e2hqa:  # the one-search gate routes single-hop questions to seeds/: never silently
        rows.append(("seeds/ (single-hop, for E2HQA)", f.get("seeds", 0), ""))
    rows.append(("rejects (all stages)", f["rejects"], ""))
    console.print(table("funnel", ["stage", "rows", "of previous"], rows, right=2))

    c = report["counts"]
    dists = [table(name, [name, "n"], c[key].items()) for name, key in
             (("type", "type"), ("hops", "hops"), ("difficulty", "difficulty"), ("language", "language"),
              ("writer", "writer"), ("prompt", "prompt_version")) if c.get(key)]
    if dists:
        console.print(Columns(dists, padding=(0, 4)))
    if c.get("root"):
        console.print(table("kept questions by root", ["root", "questions"], c["root"].items()))
    if c.get("source_domain"):
        console.print(table("answers by source domain", ["domain", "source urls"], c["source_domain"].items()))
    ql = report["question_length"]
    if ql["chars"].get("n"):
        ch, wd = ql["chars"], ql["words"]
        console.print(Text(f"question length: {ch['median']} chars median ({ch['min']}–{ch['max']}), "
                           f"{wd['median']} words median ({wd['min']}–{wd['max']})"))

    if report["reject_reasons"]:
        console.print(table("reject reasons", ["stage/reason", "n"], report["reject_reasons"].items()))

    crawl = report["crawl"]
    if e2hqa:
        info = {k: v for k, v in (crawl.get("e2h") or {}).items() if isinstance(v, str | int | float)}
        console.print(table("E2HQA", ["", ""], [("corpus run", crawl.get("corpus") or "?"), *info.items()]))
    elif crawl["pages_per_root"]:
        empty = set(crawl["empty_roots"])
        console.print(table("crawl", ["root", "pages"], [
            (Text(r, style="yellow" if r in empty else ""), n) for r, n in crawl["pages_per_root"].items()]))
        if crawl.get("first_fetch"):
            console.print(Text(f"fetched {crawl['first_fetch']} → {crawl['last_fetch']}", style="dim"))

    tok = report["tokens"]
    if tok["stages"]:
        rows = [(s, r.get("model") or "?", r.get("calls", 0), r.get("cache_hits", 0), r.get("prompt_tokens", 0),
                 r.get("completion_tokens", 0), _money(r["cost_usd"])) for s, r in tok["stages"].items()]
        t = tok["total"]
        rows.append((Text("total", style="bold"), "", t.get("calls", 0), t.get("cache_hits", 0),
                     t.get("prompt_tokens", 0), t.get("completion_tokens", 0), _money(tok["cost_usd"])))
        console.print(table("LLM tokens and cost", ["stage", "model", "calls", "cache hits", "prompt",
                                                     "completion", "cost (USD)"], rows, right=5))
    else:
        console.print(Text(f"LLM cost: {_money(tok['cost_usd'])}", style="bold"))
    if tok.get("note"):
        console.print(Text(tok["note"], style="dim"))

    if report["timings"]:
        console.print(table("timings", ["stage", "seconds"], report["timings"].items()))

    ag = report.get("agents") or {}
    if ag.get("shortcut_rank"):
        console.print(table("shortcut rank of kept questions (one search of the question; none = not in top 10)",
                            ["type", "ranks"], [(t, ", ".join(f"{k}: {n}" for k, n in c.items()))
                                                for t, c in ag["shortcut_rank"].items()], right=0))
    if ag.get("seeds", {}).get("rows"):
        console.print(Text(f"seeds/ (single_hop, for E2HQA): {ag['seeds']['rows']}"))
    if ag.get("trajectories"):
        tr = ag["trajectories"]
        console.print(Text(f"reference trajectories: {tr['with_reference']} of {tr['kept']} kept; "
                           f"agent rollouts: {tr['rollouts']}"))
    if ag.get("solve"):
        console.print(table("agent solve rate", ["type", "n", "mean", "tiers"], [
            (t, s["n"], s["mean_solve_rate"], ", ".join(f"{k}: {v}" for k, v in s["tiers"].items()))
            for t, s in ag["solve"].items()], right=0))

    for s in report["samples"]:
        body = Text()
        body.append("Q ", style="bold cyan")
        body.append(s["question"] + "\n")
        body.append("A ", style="bold green")
        body.append(s["answer"] + "\n")
        for e in s["evidence"]:
            body.append("evidence ", style="bold")
            body.append(f"{e['url']}\n", style="dim")
            body.append(f"  “{e['snippet']}”\n")
        if s["golden_path"]:
            body.append("click path ", style="bold")
            body.append(" → ".join(s["golden_path"]) + "\n")
        for step in s["lineage"]:
            body.append(f"round {step['round']} ", style="bold magenta")
            body.append(f"{step['entity']} ⇒ {step['description']} ({step['evidence_url']})\n")
        body.rstrip()
        console.print(Panel(body, title=Text(f"{s['type']} · {s['hops']} hops · difficulty {s['difficulty']}"
                                             f" · {s['language']} · {s['writer']}"), title_align="left"))


def _money(v: float | str) -> str:
    return v if isinstance(v, str) else f"{v:.4f}"

"""The end-of-run summary: a rich table for the terminal, markdown for the Prefect artifact."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table


def is_e2hqa(manifest: dict) -> bool:
    """An E2HQA run: rewrites over a corpus run, with no pages or candidates of its own."""
    return bool(manifest.get("corpus")) or "e2h" in (manifest.get("stages") or {})


def _funnel_rows(manifest: dict) -> list[tuple[str, int]]:
    f = manifest["funnel"]
    rows = [("pages fetched", f["pages_fetched"]), ("candidates mined", f["candidates"]),
            ("questions written", f.get("written", 0)), ("kept", f["kept"]), ("rejects", f["rejects"])]
    return rows[2:] if is_e2hqa(manifest) else rows


def _qa_types(manifest: dict) -> dict[str, int]:
    from collections import Counter
    from pathlib import Path

    import pyarrow.parquet as pq

    base = Path(manifest["config"]["out"]) / manifest["run_id"]
    counts: Counter[str] = Counter()
    for s in manifest["shards"]["qa"]:
        p = base / s["path"]
        if p.exists():
            counts.update(pq.read_table(p, columns=["type"]).column("type").to_pylist())
    return dict(sorted(counts.items()))


def print_summary(manifest: dict, console: Console | None = None, run_path: str | None = None) -> None:
    console = console or Console()
    t = Table(title=f"crawlqa {'E2HQA ' if is_e2hqa(manifest) else ''}run {manifest['run_id']}", show_header=True)
    t.add_column("funnel")
    t.add_column("count", justify="right")
    for k, v in _funnel_rows(manifest):
        t.add_row(k, str(v))
    for k, v in _qa_types(manifest).items():
        t.add_row(f"  kept {k}", str(v))
    console.print(t)
    reasons = manifest["funnel"]["reject_reasons"]
    if reasons:
        r = Table(title="reject reasons", show_header=True)
        r.add_column("stage/reason")
        r.add_column("count", justify="right")
        for k, v in sorted(reasons.items(), key=lambda kv: -kv[1]):
            r.add_row(k, str(v))
        console.print(r)
    tokens = manifest.get("tokens") or {}
    for stage, row in tokens.items():
        console.print(f"tokens [{stage}]: calls={row.get('calls', 0)} cache_hits={row.get('cache_hits', 0)} "
                      f"prompt={row.get('prompt_tokens', 0)} completion={row.get('completion_tokens', 0)}")
    for root in (manifest.get("crawl") or {}).get("empty_roots", []):
        console.print(f"[yellow]root yielded no page:[/yellow] {root}")
    if run_path:
        folders = "qa/, rejects/" if is_e2hqa(manifest) else "qa/, rejects/, pages/"
        console.print(f"shards: [bold]{run_path}[/bold] ({folders}, manifest.json, README.md)")
    if is_e2hqa(manifest) and manifest.get("corpus"):
        console.print(f"corpus run: {manifest['corpus']}", highlight=False)


def summary_markdown(manifest: dict) -> str:
    kind = "E2HQA run" if is_e2hqa(manifest) else "run"
    lines = [f"# crawlqa {kind} `{manifest['run_id']}`", "", "| funnel | count |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in _funnel_rows(manifest)]
    types = _qa_types(manifest)
    if types:
        lines += ["", "| kept by type | count |", "|---|---:|"] + [f"| {k} | {v} |" for k, v in types.items()]
    reasons = manifest["funnel"]["reject_reasons"]
    if reasons:
        lines += ["", "| reject stage/reason | count |", "|---|---:|"]
        lines += [f"| {k} | {v} |" for k, v in sorted(reasons.items(), key=lambda kv: -kv[1])]
    tokens = manifest.get("tokens") or {}
    if tokens:
        lines += ["", "| LLM stage | calls | cache hits | prompt tokens | completion tokens |", "|---|---:|---:|---:|---:|"]
        lines += [f"| {s} | {r.get('calls', 0)} | {r.get('cache_hits', 0)} | {r.get('prompt_tokens', 0)} | "
                  f"{r.get('completion_tokens', 0)} |" for s, r in tokens.items()]
    lines += ["", "| shard | rows |", "|---|---:|"]
    for folder in ("qa", "rejects", "pages"):
        lines += [f"| {s['path']} | {s['rows']} |" for s in manifest["shards"].get(folder, [])]
    samples = manifest.get("samples") or []
    if samples:
        lines += ["", "## Sample questions", ""]
        lines += [f"- **{s['type']}**: {s['question']} → *{s['answer']}*" for s in samples]
    return "\n".join(lines) + "\n"

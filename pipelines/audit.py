"""A hand audit you can repeat: sample kept questions into a sheet a person fills in, then score it.

    make_sheet(run_dir, sample=150, seed=0, out=run_dir / "audit")   # → AuditSheet (paths, counts)
    score_sheet(sheet_path)                                          # → the precision report (dict)

**The sheet** (``out/``): ``audit.csv`` and ``audit.jsonl`` (one row per sampled question: id, type,
question, answer, aliases, as_of, evidence, source URLs, the saved copies of the pages, details, and an
empty ``verdict`` and ``note``), ``audit.html`` (the same rows to read, self-contained: inline style, no
script or external asset, the answer highlighted in the evidence) and ``pages/`` (each source page as the
crawl saved it: ``<page id>.html``, the raw HTML, and ``<page id>.txt``, the extracted text with the
facts and enumerations the miners read), so a person can check every answer offline.

**Sampling** is stratified by type: the sample is shared equally between the types present (a type
with fewer questions gives its share to the others), and within a type the questions are taken in the
order of ``stable_hash(seed, id)`` — the same run and seed always give the same sheet.

**Verdicts**: ``correct`` (the answer is right and the only one the pages allow, and the question is
understandable), ``wrong``, ``ambiguous`` (another answer is as good), ``stale`` (was right, the page no
longer says so or the question hides that it changes), ``unnatural`` (right, but no person would ask
it so). Precision = correct / judged, per type and overall, with a 95% Wilson score interval; rows with
an empty verdict are reported as unjudged and left out.
"""

from __future__ import annotations

import csv
import html
import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pipelines.shards import iter_records, shard_paths
from schemas.ids import stable_hash
from schemas.records import Page, QARecord
from synth.text import url_key

VERDICTS: tuple[str, ...] = ("correct", "wrong", "ambiguous", "stale", "unnatural")
COLUMNS: tuple[str, ...] = ("id", "run", "type", "question", "answer", "aliases", "as_of", "as_of_source", "evidence",
                            "source_urls", "saved_pages", "details", "verdict", "note")
Z95 = 1.959963984540054  # the standard normal's 97.5% quantile
T = TypeVar("T")


# --- sampling ---------------------------------------------------------------------------------------
def allocate(sizes: dict[str, int], n: int) -> dict[str, int]:
    """``n`` shared between strata as equally as their sizes allow (water-filling; the remainder goes
    to the strata first in type, then name order). Never more than a stratum has, nor ``n`` in all."""
    n = max(0, min(n, sum(sizes.values())))
    level = 0  # the largest per-stratum level the sample can fill everywhere
    while level < max(sizes.values(), default=0) and sum(min(v, level + 1) for v in sizes.values()) <= n:
        level += 1
    out = {k: min(v, level) for k, v in sizes.items()}
    left = n - sum(out.values())  # fewer than the strata still above the level
    # the remainder goes by type first ("run/type" strata: one run does not take it all), then name
    for k in sorted((k for k, v in sizes.items() if v > level), key=lambda k: (k.rsplit("/", 1)[-1], k)):
        if left == 0:
            break
        out[k] += 1
        left -= 1
    return out


def sample_records(records: Iterable[T], n: int, seed: int = 0,
                   stratum: Callable[[T], str] = lambda r: r.type) -> list[T]:  # type: ignore[attr-defined]
    """A stratified, seeded sample of ``n`` records (strata: the type; see :func:`allocate`), sorted
    by stratum and rank (the rank of a record is ``stable_hash(seed, id)``: it does not depend on the
    other records, so a re-run that keeps a question keeps its place)."""
    by_stratum: dict[str, list[tuple[str, T]]] = defaultdict(list)
    for r in records:
        by_stratum[stratum(r)].append((stable_hash("audit", seed, _rid(r)), r))
    quota = allocate({t: len(v) for t, v in by_stratum.items()}, n)
    out: list[T] = []
    for t in sorted(by_stratum):
        out.extend(r for _, r in sorted(by_stratum[t], key=lambda x: x[0])[: quota[t]])
    return out


def _rid(r: object) -> str:
    return r.id if isinstance(r, QARecord) else r[1].id  # type: ignore[index]


# --- saved pages ------------------------------------------------------------------------------------
def _record_urls(r: QARecord) -> list[str]:
    urls = [*r.source_urls, *(e.url for e in r.evidence), *(s.evidence_url for s in r.lineage)]
    return list(dict.fromkeys(u for u in urls if u))


def page_folders(run_dir: Path) -> list[Path]:
    """Where a run's pages are: its own ``pages/``, and an E2HQA run's corpus run's."""
    folders = [run_dir / "pages"]
    manifest = run_dir / "manifest.json"
    if manifest.is_file():
        corpus = (json.loads(manifest.read_text(encoding="utf-8")).get("config") or {}).get("corpus")
        if corpus:
            folders.append(Path(corpus) / "pages")
    for inputs in (run_dir / "_state" / "e2h_inputs.json",):
        if inputs.is_file():
            corpus = json.loads(inputs.read_text(encoding="utf-8")).get("corpus")
            if corpus:
                folders.append(Path(corpus) / "pages")
    return [f for f in dict.fromkeys(folders) if shard_paths(f)]


def page_text_dump(p: Page) -> str:
    """A page as a person reads it offline: where and when, facts, enumerations, then the main text."""
    lines = [f"URL: {p.url}"]
    if p.final_url and p.final_url != p.url:
        lines.append(f"Final URL: {p.final_url}")
    lines += [f"Title: {p.title}", f"Subject: {p.subject}", f"Site profile: {p.site}",
              f"Fetched: {p.fetched_at.isoformat()}", f"Page date: {p.date or '-'}",
              f"Depth {p.depth} from {p.root_url}" + (f" via {p.parent_url} ({p.anchor_text!r})" if p.parent_url else ""),
              "", "## Facts"]
    lines += [f"- {f.key}: {f.value}" for f in p.facts] or ["(none)"]
    lines += ["", "## Enumerations"]
    for e in p.enumerations:
        lines.append(f"- [{e.kind}] {e.label}" + (f" (section: {e.section})" if e.section else "")
                     + f" — {len(e.items)} items:")
        lines += [f"    {i + 1}. {item}" for i, item in enumerate(e.items)]
    if not p.enumerations:
        lines.append("(none)")
    lines += ["", "## Main text", "", p.text, ""]
    return "\n".join(lines)


def save_pages(folders: list[Path], urls: set[str], dest: Path) -> dict[str, dict[str, str]]:
    """Write the pages among ``urls`` (matched by canonical or final URL, loosely) to ``dest``:
    ``<id>.html`` and ``<id>.txt``. Returns url → {"html", "text"} paths relative to ``dest.parent``."""
    want: dict[str, set[str]] = defaultdict(set)  # "Sweet_&_Sour" and "Sweet_%26_Sour" share a key
    for u in urls:
        want[url_key(u)].add(u)
    found: dict[str, dict[str, str]] = {}
    dest.mkdir(parents=True, exist_ok=True)
    for folder in folders:
        for p in iter_records(folder, Page):
            keys = {url_key(p.url), url_key(p.final_url or p.url)}
            hits = sorted({u for k in keys for u in want.get(k, ()) if u not in found})
            if not hits:
                continue
            (dest / f"{p.id}.html").write_text(p.html or "", encoding="utf-8")
            (dest / f"{p.id}.txt").write_text(page_text_dump(p), encoding="utf-8")
            for u in hits:
                found[u] = {"html": f"{dest.name}/{p.id}.html", "text": f"{dest.name}/{p.id}.txt"}
    return found


# --- the sheet --------------------------------------------------------------------------------------
def sheet_row(r: QARecord, saved: dict[str, dict[str, str]], run: str = "") -> dict:
    """One row of the sheet (JSONL form: lists stay lists)."""
    details = json.loads(r.meta_json or "{}")
    if r.lineage:
        details["lineage"] = [{"round": s.round, "entity": s.entity, "description": s.description,
                               "evidence_url": s.evidence_url, "snippet": s.snippet} for s in r.lineage]
    if r.constraints:
        details["constraints"] = [c.model_dump() for c in r.constraints]
    return {
        "id": r.id, "run": run or r.run_id, "type": r.type, "question": r.question, "answer": r.answer, "aliases": list(r.aliases),
        "as_of": r.as_of.isoformat() if r.as_of else "", "as_of_source": r.as_of_source,
        "evidence": [{"url": e.url, "text": e.text} for e in r.evidence], "source_urls": list(r.source_urls),
        "saved_pages": [{"url": u, **saved[u]} for u in _record_urls(r) if u in saved],
        "details": details, "verdict": "", "note": "",
    }


def _csv_row(row: dict) -> dict[str, str]:
    return {
        **{k: row[k] for k in ("id", "run", "type", "question", "answer", "as_of", "as_of_source", "verdict", "note")},
        "aliases": "; ".join(row["aliases"]),
        "evidence": "\n\n".join(f"[{e['url']}]\n{e['text']}" for e in row["evidence"]),
        "source_urls": "\n".join(row["source_urls"]),
        "saved_pages": "\n".join(f"{p['url']} -> {p['text']} | {p['html']}" for p in row["saved_pages"]),
        "details": json.dumps(row["details"], ensure_ascii=False, sort_keys=True),
    }


def highlight(text: str, needles: Iterable[str]) -> str:
    """``text`` HTML-escaped, with every occurrence of a needle (case-insensitive; short or numeric
    needles only as whole words) wrapped in ``<mark>``."""
    pats = []
    for n in sorted({n.strip() for n in needles if n and n.strip()}, key=len, reverse=True):
        p = re.escape(n)
        pats.append(rf"(?<!\w){p}(?!\w)" if len(n) <= 3 or n.replace(".", "").isdigit() else p)
    if not pats:
        return html.escape(text)
    out, last = [], 0
    for m in re.finditer("|".join(pats), text, flags=re.IGNORECASE):
        out += [html.escape(text[last:m.start()]), f"<mark>{html.escape(m.group(0))}</mark>"]
        last = m.end()
    out.append(html.escape(text[last:]))
    return "".join(out)


_STYLE = """
body{font:15px/1.45 system-ui,sans-serif;margin:1.5em auto;max-width:70em;padding:0 1em;color:#222}
h1{font-size:1.4em} .q{border:1px solid #ccc;border-radius:6px;padding:.8em 1em;margin:1em 0}
.q h2{font-size:1.05em;margin:.1em 0 .5em} .type{font:12px monospace;background:#eef;padding:.1em .4em;border-radius:3px}
.ans{font-weight:600} mark{background:#ffe066;padding:0 .1em} .ev{background:#f7f7f7;border-left:3px solid #bbb;
margin:.4em 0;padding:.3em .6em;white-space:pre-wrap} .src{font-size:13px} .meta{font-size:12px;color:#555}
pre{white-space:pre-wrap;font-size:12px;background:#fafafa;padding:.5em} .verdict{border-top:1px dashed #ccc;
margin-top:.6em;padding-top:.4em;font-size:13px;color:#555} table{border-collapse:collapse}
td,th{border:1px solid #ccc;padding:.2em .6em}
"""


def render_html(rows: list[dict], info: dict) -> str:
    """The sheet as one self-contained HTML page (no script, no external asset)."""
    types = Counter(r["type"] for r in rows)
    out = ["<!DOCTYPE html>", "<html lang=\"en\"><head><meta charset=\"utf-8\">",
           f"<title>crawlqa audit — {html.escape(str(info.get('run_id', '')))}</title>",
           f"<style>{_STYLE}</style></head><body>",
           f"<h1>Audit sheet: run <code>{html.escape(str(info.get('run_id', '')))}</code></h1>",
           f"<p class=\"meta\">{len(rows)} questions sampled from {info.get('population_total', '?')} kept "
           f"(seed {info.get('seed')}; stratified by {'run and type' if isinstance(info.get('run_dir'), list) else 'type'}). "
           "Fill the <code>verdict</code> column of "
           "<code>audit.csv</code> or <code>audit.jsonl</code> with one of "
           + ", ".join(f"<code>{v}</code>" for v in VERDICTS)
           + " (and a <code>note</code> for anything not correct), then run <code>crawlqa audit RUN_DIR --score "
           "SHEET</code>. Page links open the copies saved next to this sheet.</p>",
           "<table><tr><th>stratum</th><th>sampled</th><th>kept</th></tr>"]
    for t, n in (info.get("sampled") or dict(types)).items():
        out.append(f"<tr><td>{html.escape(t)}</td><td>{n}</td>"
                   f"<td>{(info.get('population') or {}).get(t, '?')}</td></tr>")
    out.append("</table>")
    for i, r in enumerate(rows, 1):
        needles = [r["answer"], *r["aliases"]]
        out += [f"<div class=\"q\" id=\"{html.escape(r['id'])}\">",
                f"<h2>{i}. <span class=\"type\">{html.escape(r['type'])}</span> {html.escape(r['question'])}</h2>",
                f"<div class=\"meta\">run <code>{html.escape(r.get('run', ''))}</code></div>",
                f"<div>Answer: <span class=\"ans\">{html.escape(r['answer'])}</span>"
                + (f" <span class=\"meta\">(also: {html.escape('; '.join(r['aliases']))})</span>" if r["aliases"] else "")
                + "</div>",
                f"<div class=\"meta\">id <code>{html.escape(r['id'])}</code> · as of {html.escape(r['as_of'] or '-')}"
                f" ({html.escape(r['as_of_source'] or '-')})</div>"]
        for e in r["evidence"]:
            out.append(f"<div class=\"ev\"><span class=\"src\">{html.escape(e['url'])}</span>\n"
                       f"{highlight(e['text'], needles)}</div>")
        saved = {p["url"]: p for p in r["saved_pages"]}
        out.append("<div class=\"src\">Sources:<ul>")
        for u in dict.fromkeys([*r["source_urls"], *saved]):
            p = saved.get(u)
            links = (f" — saved: <a href=\"{html.escape(p['text'])}\">text</a> · "
                     f"<a href=\"{html.escape(p['html'])}\">html</a>") if p else " — (not in the run's pages)"
            out.append(f"<li><code>{html.escape(u)}</code>{links}</li>")
        out.append("</ul></div>")
        if r["details"]:
            out.append("<details><summary class=\"meta\">details (what the program computed)</summary><pre>"
                       + html.escape(json.dumps(r["details"], ensure_ascii=False, indent=1, sort_keys=True))
                       + "</pre></details>")
        out += ["<div class=\"verdict\">verdict: ____ · note: ____</div>", "</div>"]
    out.append("</body></html>")
    return "\n".join(out)


@dataclass
class AuditSheet:
    out: Path
    csv: Path
    jsonl: Path
    html: Path
    rows: int
    by_type: dict[str, int] = field(default_factory=dict)
    population: dict[str, int] = field(default_factory=dict)
    pages_saved: int = 0
    pages_missing: list[str] = field(default_factory=list)


def _run_id(run_dir: Path) -> str:
    manifest = run_dir / "manifest.json"
    if manifest.is_file():
        return str(json.loads(manifest.read_text(encoding="utf-8")).get("run_id") or run_dir.name)
    return run_dir.name


def make_sheet(run_dirs: Path | str | Sequence[Path | str], sample: int, seed: int = 0,
               out: Path | str | None = None) -> AuditSheet:
    """Sample ``sample`` kept questions (``qa/``) of one run, or of several runs (then stratified by
    run and type: ``<run id>/<type>``), and write the audit sheet to ``out`` (default
    ``<first run>/audit``). See the module docstring."""
    dirs = [Path(run_dirs)] if isinstance(run_dirs, str | Path) else [Path(d) for d in run_dirs]
    if not dirs:
        raise ValueError("no run folder given")
    for d in dirs:
        if not shard_paths(d / "qa"):
            raise FileNotFoundError(f"no qa/ shards in {d}: nothing to audit")
    if sample < 1:
        raise ValueError("--sample must be at least 1")
    out = Path(out) if out is not None else dirs[0] / "audit"
    out.mkdir(parents=True, exist_ok=True)
    labels = [_run_id(d) for d in dirs]
    if len(set(labels)) < len(labels):
        labels = [f"{d.parent.name}/{d.name}" for d in dirs]
    multi = len(dirs) > 1
    population: Counter = Counter()

    def counted() -> Iterable[tuple[int, QARecord]]:
        for i, d in enumerate(dirs):
            for r in iter_records(d / "qa", QARecord):
                population[f"{labels[i]}/{r.type}" if multi else r.type] += 1
                yield i, r  # type: ignore[misc]

    picked = sample_records(counted(), sample, seed,
                            stratum=lambda x: f"{labels[x[0]]}/{x[1].type}" if multi else x[1].type)
    rows = []
    missing: set[str] = set()
    saved_files: set[str] = set()
    for i, d in enumerate(dirs):
        mine = [r for j, r in picked if j == i]
        urls = {u for r in mine for u in _record_urls(r)}
        saved = save_pages(page_folders(d), urls, out / "pages") if urls else {}
        missing |= urls - set(saved)
        saved_files |= {p["text"] for p in saved.values()}
        by_id = {r.id: sheet_row(r, saved, run=labels[i]) for r in mine}
        rows.extend(by_id[r.id] for j, r in picked if j == i)
    order = {(labels[j], r.id): k for k, (j, r) in enumerate(picked)}
    rows.sort(key=lambda row: order[(row["run"], row["id"])])
    info = {"run_dir": [str(d.resolve()) for d in dirs] if multi else str(dirs[0].resolve()),
            "run_id": ", ".join(labels), "seed": seed, "sample": sample,
            "population": dict(sorted(population.items())), "population_total": sum(population.values()),
            "sampled": dict(sorted(Counter(f"{r['run']}/{r['type']}" if multi else r["type"]
                                           for r in rows).items()))}
    jsonl = out / "audit.jsonl"
    jsonl.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")
    csv_path = out / "audit.csv"
    with csv_path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(COLUMNS))
        w.writeheader()
        w.writerows(_csv_row(r) for r in rows)
    html_path = out / "audit.html"
    html_path.write_text(render_html(rows, info), encoding="utf-8")
    (out / "sheet.json").write_text(json.dumps(info, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    return AuditSheet(out=out, csv=csv_path, jsonl=jsonl, html=html_path, rows=len(rows),
                      by_type=info["sampled"], population=info["population"],
                      pages_saved=len(saved_files), pages_missing=sorted(missing))


# --- scoring ----------------------------------------------------------------------------------------
def wilson(correct: int, n: int, z: float = Z95) -> tuple[float, float] | None:
    """The Wilson score interval of a proportion ``correct / n`` (None when ``n`` is 0)."""
    if n <= 0:
        return None
    p = correct / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # at p = 0 or 1 the bound is exactly 0 or 1 (the formula's rounding can miss it by an ulp)
    lo = 0.0 if correct == 0 else max(0.0, centre - half)
    hi = 1.0 if correct == n else min(1.0, centre + half)
    return lo, hi


def read_sheet(path: Path | str) -> list[dict]:
    """The rows of a filled sheet: CSV, or JSONL (one JSON object a line)."""
    path = Path(path)
    if path.suffix.lower() in (".jsonl", ".json", ".ndjson"):
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    else:
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.DictReader(f))
    for i, r in enumerate(rows, 1):
        for col in ("id", "type", "verdict"):
            if col not in r:
                raise ValueError(f"{path}: row {i} has no {col!r} column")
    return rows


def _stats(verdicts: Counter) -> dict:
    judged = sum(verdicts[v] for v in VERDICTS)
    ci = wilson(verdicts["correct"], judged)
    return {"n": judged, "correct": verdicts["correct"],
            "precision": round(verdicts["correct"] / judged, 4) if judged else None,
            "ci_low": round(ci[0], 4) if ci else None, "ci_high": round(ci[1], 4) if ci else None,
            "verdicts": {v: verdicts[v] for v in VERDICTS}, "unjudged": verdicts[""]}


def score_sheet(path: Path | str) -> dict:
    """Precision (correct / judged) per type and overall, with 95% Wilson intervals, and the count of
    each verdict. An unknown verdict raises ``ValueError`` naming the rows (a typo is not a verdict)."""
    rows = read_sheet(path)
    bad = [(r["id"], r["verdict"]) for r in rows if (r["verdict"] or "").strip().lower() not in (*VERDICTS, "")]
    if bad:
        raise ValueError(f"unknown verdicts (use {', '.join(VERDICTS)} or leave empty): "
                         + ", ".join(f"{i}={v!r}" for i, v in bad[:10]) + (" …" if len(bad) > 10 else ""))
    overall: Counter = Counter()
    by_type: dict[str, Counter] = defaultdict(Counter)
    not_correct = []
    for r in rows:
        v = (r["verdict"] or "").strip().lower()
        overall[v] += 1
        by_type[r["type"]][v] += 1
        if v and v != "correct":
            not_correct.append({"id": r["id"], "type": r["type"], "verdict": v, "question": r.get("question", ""),
                                "answer": r.get("answer", ""), "note": r.get("note", "")})
    return {"sheet": str(path), "rows": len(rows), "overall": _stats(overall),
            "per_type": {t: _stats(c) for t, c in sorted(by_type.items())}, "not_correct": not_correct}


def write_score(report: dict, out: Path | str) -> Path:
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return out


def format_score(report: dict) -> str:
    """The score report as a small plain-text table."""
    head = f"{'type':<14}{'n':>7}{'correct':>8}{'precision':>10}  {'95% CI':<15}" + "".join(
        f"{v:>10}" for v in VERDICTS[1:])
    lines = [head]

    def line(name: str, s: dict) -> str:
        prec = f"{s['precision']:.3f}" if s["precision"] is not None else "-"
        ci = f"{s['ci_low']:.3f}–{s['ci_high']:.3f}" if s["ci_low"] is not None else "-"
        return (f"{name:<14}{s['n']:>7}{s['correct']:>8}{prec:>10}  {ci:<15}"
                + "".join(f"{s['verdicts'][v]:>10}" for v in VERDICTS[1:]))

    lines += [line(t, s) for t, s in report["per_type"].items()]
    lines.append(line("overall", report["overall"]))
    if report["overall"]["unjudged"]:
        lines.append(f"({report['overall']['unjudged']} rows without a verdict are not counted)")
    return "\n".join(lines)

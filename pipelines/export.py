"""``crawlqa export RUN_DIR --format F``: the kept questions (``qa/``) in formats agent trainers use.

Formats live in ``FORMATS``: a converter ``(QARecord, ExportContext) -> dict`` plus the file
extension. Adding a format is one function and one line in the registry. Records stream from the
shards to a temporary file that is renamed into place when complete. The output goes to
``RUN_DIR/exports/<format>.<ext>`` or to the path the user gives (a folder, or a file with an
extension); a name the program makes comes from the format name only, never from a URL in the data.

``webwalkerqa`` (JSONL): exactly the shape of WebWalkerQA's released data
(``callanwu/WebWalkerQA``, ``data/main-00000-of-00001.jsonl``) and of what WebWalker's evaluation
script reads: lowercase keys ``question``, ``answer``, ``root_url`` and ``info`` with ``type``
("single_source" / "multi_source": more than one distinct source page → multi), ``difficulty_level``
("easy" for difficulty ≤ 1, "medium" for 2, "hard" for ≥ 3), ``lang`` (an ISO 639-1 code, "en"),
``domain`` (a topic, never a host name: the record's own ``domain`` when it is a topic, else the site
profile's topic — Wikipedia "Encyclopedia", arXiv "Academic", GitHub "Software", any other site
"Website"), ``source_website`` (the source pages' URLs) and ``golden_path`` (page labels, one per
source page: ``root->label->label`` along the click path from the root, a label being the last
segment of the page's URL path without its extension).

``webshaper`` (JSONL): WebShaper's fields ``id``, ``question``, ``answer``, ``urls`` and
``formalization``. They are documented in the Alibaba-NLP/WebAgent ``WebShaper/readme.md`` ("Data
fields") and the dataset card https://huggingface.co/datasets/Alibaba-NLP/WebShaper. A
formalization is a list of ``[subject, relation, object]`` triples whose terms are variables
``V@name``, constants ``C@value`` and ``?`` for the target. It follows each record's real structure,
one triple per constraint or hop, every variable connected to the target:
- count: ``[C@<subject>, <what is listed>, V@item]`` + ``[?, count_of, V@item]``;
- multi_hop: one triple per hop, ``[C@<start>, <infobox key | item k of list>, V@X1]`` …, then
  ``[V@Xn, <key>, ?]``;
- intersection: ``[C@<page A>, <list A>, ?]`` + ``[C@<page B>, <list B>, ?]`` (+ ``[?, is_not, C@x]``
  for each item the question sets aside);
- comparison: ``[C@<A>, <key>, V@A]``, ``[C@<B>, <key>, V@B]``, ``[?, <pick>_of, V@A]``,
  ``[?, <pick>_of, V@B]``;
- single_hop: ``[C@<subject>, <key>, ?]``; obfuscated: the record's ``constraints`` (``?x`` → ``?``,
  other ``?v`` → ``V@v``, everything else ``C@``);
- e2h: ``synth.e2h.to_webshaper(record)`` when it exists, else from ``QARecord.lineage`` (round k's
  hidden entity is ``V@Xk``); a variable that no other triple mentions is hidden in the text where it
  stood (matched case-insensitively) or, when it cannot be found, tied to the target by
  ``[?, related_to, V@Xk]``;
- anything else (``proposed``): ``[?, answers, C@<question>]``.
``urls`` lists every page used: sources, evidence, the click path and the e2h evidence pages, in
that order, without repeats.

``trajectories`` / ``react`` (JSONL): browsing trajectories of each record (agent rollouts, else the
golden-path replay) as OpenAI chat messages with tool calls, or as ReAct text; see ``agents/trajectories.py``.

``jsonl``: each ``QARecord`` as JSON (``model_dump(mode="json")``), every field kept.

``sft`` (JSONL): chat-style seeds for supervised fine-tuning or trajectory sampling::

    {"messages": [{"role": "system", "content": SFT_SYSTEM_PROMPT},
                  {"role": "user", "content": <question>},
                  {"role": "assistant", "content": <answer>}],
     "metadata": {"id", "type", "hops", "difficulty", "language", "root_url", "source_urls",
                  "golden_path", "evidence_urls", "writer", "prompt_version", "run_id"}}
"""

from __future__ import annotations

import importlib
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from pipelines.run import RunDir
from pipelines.shards import iter_records, read_table
from schemas.records import Candidate, QARecord

SFT_SYSTEM_PROMPT = (
    "You are a web research agent. Browse the web to find the answer to the user's question, "
    "then reply with the short, exact answer."
)
LANGUAGE_NAMES = {
    "en": "English", "zh": "Chinese", "de": "German", "fr": "French", "es": "Spanish", "it": "Italian",
    "pt": "Portuguese", "nl": "Dutch", "ru": "Russian", "ja": "Japanese", "ko": "Korean", "ar": "Arabic",
}
WEBSHAPER_KEYS = ("id", "question", "answer", "urls", "formalization")


@dataclass
class ExportContext:
    """What a converter may need beyond the record: lookups into the run folder, loaded lazily."""

    run: Path
    _candidates: dict[str, tuple[str, str]] | None = field(default=None, repr=False)
    _e2h_hook: Any = field(default=False, repr=False)
    _slots: dict[str, str] | None = field(default=None, repr=False)
    _pages: dict[str, tuple[str, str]] | None = field(default=None, repr=False)

    def slots(self, candidate_id: str) -> dict:
        """The miner's slots of a candidate of this run ({} when it is gone)."""
        if self._slots is None:
            t = read_table(self.run / "candidates", Candidate, columns=["id", "slots_json"])
            self._slots = dict(zip(t.column("id").to_pylist(), t.column("slots_json").to_pylist(), strict=True))
        raw = self._slots.get(candidate_id)
        return json.loads(raw) if raw else {}

    def _page_map(self) -> dict[str, tuple[str, str]]:
        if self._pages is None:
            from schemas.records import Page

            t = read_table(self.run / "pages", Page, columns=["url", "final_url", "subject", "title", "site"])
            self._pages = {}
            for url, final, subject, title, site in zip(*(t.column(c).to_pylist() for c in t.column_names),
                                                         strict=True):
                for key in {url, final} - {None, ""}:
                    self._pages[key] = (subject or title or "", site or "")
        return self._pages

    def subject(self, url: str) -> str:
        """The entity a crawled page is about ('' when the page is not in the run)."""
        return self._page_map().get(url, ("", ""))[0] if url else ""

    def site(self, url: str) -> str:
        """The site profile that crawled a page ('' when the page is not in the run)."""
        return self._page_map().get(url, ("", ""))[1] if url else ""

    def candidate(self, candidate_id: str) -> tuple[str, str] | None:
        """``(subject, relation)`` of a candidate of this run, or None."""
        if self._candidates is None:
            t = read_table(self.run / "candidates", Candidate, columns=["id", "subject", "relation"])
            self._candidates = dict(zip(t.column("id").to_pylist(),
                                        zip(t.column("subject").to_pylist(), t.column("relation").to_pylist(),
                                            strict=True), strict=True))
        return self._candidates.get(candidate_id)

    def e2h_to_webshaper(self) -> Callable[[QARecord], dict] | None:
        """``synth.e2h.to_webshaper`` when that module and function exist, else None."""
        if self._e2h_hook is False:
            try:
                mod = importlib.import_module("synth.e2h")
            except ModuleNotFoundError as exc:
                if exc.name not in ("synth.e2h", "synth"):
                    raise  # synth.e2h exists but its own import is broken: say so
                mod = None
            self._e2h_hook = getattr(mod, "to_webshaper", None) if mod else None
        return self._e2h_hook


# --- helpers ---------------------------------------------------------------------------------------
def source_type(rec: QARecord) -> str:
    """WebWalkerQA's single_source / multi_source: how many distinct pages hold the answer."""
    return "multi_source" if len(set(rec.source_urls)) > 1 else "single_source"


def difficulty_name(level: int) -> str:
    return "easy" if level <= 1 else "medium" if level == 2 else "hard"


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get((code or "").split("-")[0].lower(), code or "unknown")


def _site(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _unique(urls: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(u for u in urls if u))


def formalize_lineage(rec: QARecord) -> list[list[str]]:
    """A WebShaper-style formalization of an e2h record, from its lineage (see the module docstring)."""
    steps = sorted(rec.lineage, key=lambda s: s.round)
    if not steps:
        return [["?", "answers", f"C@{rec.question}"]]
    var = {s.entity: f"V@X{s.round}" for s in steps}

    def hide(text: str) -> str:
        for entity in sorted(var, key=len, reverse=True):  # longest first: "Ray Charles Robinson" before "Ray"
            if entity:
                text = text.replace(entity, var[entity])
        return text

    triples = [["?", "answers", f"C@{hide(steps[0].question_before)}"]]
    triples += [[var[s.entity], "described_as", f"C@{hide(s.description)}"] for s in steps]
    return triples


def _c(value: object) -> str:
    return f"C@{value}"


def _ordinal_item(hop: dict) -> str:
    what = hop.get("label") or hop.get("section") or "list"
    return f"item {hop.get('position', '?')} of {what}"


def formalize(rec: QARecord, ctx: ExportContext) -> list[list[str]]:
    """The record's structure as WebShaper triples (see the module docstring, per type)."""
    if rec.lineage:
        return formalize_lineage(rec)
    meta = json.loads(rec.meta_json or "{}")
    cand = ctx.candidate(rec.candidate_id) if rec.candidate_id else None
    subject = (cand[0] if cand else "") or ctx.subject(meta.get("page", "")) or ""
    slots = ctx.slots(rec.candidate_id) if rec.candidate_id else {}
    if rec.type == "obfuscated" and rec.constraints:
        def term(x: str) -> str:
            if x in ("?", "?x"):
                return "?"
            return f"V@{x[1:]}" if x.startswith("?") else _c(x)
        return [[term(c.subject), c.relation, term(c.object)] for c in rec.constraints]
    if rec.type == "count" and (subject or meta.get("label")):
        what = meta.get("label") or (cand[1] if cand else "") or "item"
        return [[_c(subject or ctx.subject(rec.source_urls[0]) or rec.root_url), what, "V@item"],
                ["?", "count_of", "V@item"]]
    if rec.type == "multi_hop" and (slots.get("hops") or meta.get("path")):
        hops = slots.get("hops") or meta.get("path") or []
        first = hops[0]
        start = (first.get("from_entity") or {}).get("name") or ctx.subject(first.get("from", "")) or subject
        triples, node = [], _c(start)
        for i, hop in enumerate(hops, 1):
            rel = hop.get("key") or (_ordinal_item(hop) if hop.get("via") == "item" else "links_to")
            triples.append([node, rel, f"V@X{i}"])
            node = f"V@X{i}"
        fact = slots.get("fact") or meta.get("fact") or {}
        triples.append([node, fact.get("key") or (cand[1] if cand else "") or "has", "?"])
        return triples
    if rec.type == "intersection" and meta.get("a") and meta.get("b"):
        triples = []
        for side in (meta["a"], meta["b"]):
            triples.append([_c(ctx.subject(side.get("url", "")) or side.get("url", "")),
                            side.get("label") or "lists", "?"])
        triples += [["?", "is_not", _c(x)] for x in meta.get("excluded") or []]
        return triples
    if rec.type == "comparison" and meta.get("a") and meta.get("b"):
        pick = meta.get("pick") or "chosen"
        triples = []
        for name, side in (("A", meta["a"]), ("B", meta["b"])):
            who = side.get("subject") or ctx.subject(side.get("url", "")) or side.get("url", "")
            triples.append([_c(who), side.get("key") or "value", f"V@{name}"])
        triples += [["?", f"{pick}_of", "V@A"], ["?", f"{pick}_of", "V@B"]]
        return triples
    if rec.type == "single_hop" and (meta.get("key") or cand):
        who = subject or (ctx.subject(rec.source_urls[0]) if rec.source_urls else "")
        return [[_c(who), meta.get("key") or (cand[1] if cand else ""), "?"]]
    return [["?", "answers", _c(rec.question)]]


_formalize = formalize  # the name earlier code used


def connect_variables(triples: list[list[str]], rec: QARecord) -> list[list[str]]:
    """Every ``V@`` variable reaches the target: an e2h variable that no other triple mentions is
    hidden where its entity stands (case-insensitively) or tied to the target by ``related_to``."""
    import re

    entity = {f"V@X{s.round}": s.entity for s in rec.lineage}
    out = [list(t) for t in triples]
    def mentions(t: list[str], var: str) -> bool:  # as a term, or inside a constant's text
        return any(x == var or re.search(re.escape(var) + r"(?![0-9A-Za-z_])", x) for x in t)

    for var in dict.fromkeys(x for t in out for x in t if x.startswith("V@")):
        if sum(mentions(t, var) for t in out) >= 2 or var not in entity:
            continue
        pattern = re.compile(re.escape(entity[var]), re.IGNORECASE) if entity[var] else None
        hidden = False
        for t in out:
            if mentions(t, var) or pattern is None:
                continue
            for i, x in enumerate(t):
                if x.startswith("C@") and pattern.search(x):
                    t[i] = pattern.sub(var, x)
                    hidden = True
        if not hidden:
            out.append(["?", "related_to", var])
    return out


# --- converters ------------------------------------------------------------------------------------
SITE_TOPICS = {"wikipedia": "Encyclopedia", "arxiv": "Academic", "github": "Software"}


def topical_domain(rec: QARecord, ctx: ExportContext) -> str:
    """A topic for WebWalkerQA's ``domain``: the record's own when it is one, else the site's."""
    own = (rec.domain or "").strip()
    if own and not _is_host(own):
        return own
    return SITE_TOPICS.get(ctx.site(rec.root_url), "Website")


def _is_host(text: str) -> bool:
    return "." in text or ":" in text or text.lower() == "localhost"


def page_label(url: str) -> str:
    """A page's label in a WebWalkerQA golden path: the last URL path segment, without extension."""
    parts = urlsplit(url)
    seg = next((p for p in reversed(parts.path.split("/")) if p), "")
    seg = seg.rsplit(".", 1)[0] if "." in seg else seg
    return unquote(seg or parts.query or (parts.hostname or "root"))


def golden_labels(rec: QARecord) -> list[str]:
    """One ``root->a->b`` label path per source page, along the record's click path."""
    path = list(rec.golden_path)
    out = []
    for src in _unique(rec.source_urls):
        if src in path[1:]:
            steps = path[1:path.index(src, 1) + 1]
        elif path and src == path[0]:
            steps = []
        else:
            steps = [src]
        out.append("->".join(["root", *(page_label(u) for u in steps)]))
    return out


def language_code(code: str) -> str:
    return (code or "en").split("-")[0].split("_")[0].lower()


def to_webwalkerqa(rec: QARecord, ctx: ExportContext) -> dict:
    return {
        "question": rec.question,
        "answer": rec.answer,
        "root_url": rec.root_url,
        "info": {
            "type": source_type(rec),
            "difficulty_level": difficulty_name(rec.difficulty),
            "lang": language_code(rec.language),
            "domain": topical_domain(rec, ctx),
            "source_website": list(rec.source_urls),
            "golden_path": golden_labels(rec),
        },
    }


def to_webshaper(rec: QARecord, ctx: ExportContext) -> dict:
    ours = {
        "id": rec.id,
        "question": rec.question,
        "answer": rec.answer,
        "urls": _unique([*rec.source_urls, *(e.url for e in rec.evidence), *rec.golden_path,
                         *(s.evidence_url for s in rec.lineage)]),
        "formalization": formalize(rec, ctx),
    }
    hook = ctx.e2h_to_webshaper() if rec.type == "e2h" else None
    if hook is not None:
        theirs = hook(rec)
        ours.update({k: theirs[k] for k in WEBSHAPER_KEYS if k in theirs})
    ours["formalization"] = connect_variables(ours["formalization"], rec)
    return ours


def to_jsonl(rec: QARecord, ctx: ExportContext) -> dict:
    return rec.model_dump(mode="json")


def to_sft(rec: QARecord, ctx: ExportContext) -> dict:
    return {
        "messages": [
            {"role": "system", "content": SFT_SYSTEM_PROMPT},
            {"role": "user", "content": rec.question},
            {"role": "assistant", "content": rec.answer},
        ],
        "metadata": {
            "id": rec.id, "type": rec.type, "hops": rec.hops, "difficulty": rec.difficulty,
            "language": rec.language, "root_url": rec.root_url, "source_urls": list(rec.source_urls),
            "golden_path": list(rec.golden_path), "evidence_urls": _unique(e.url for e in rec.evidence),
            "writer": rec.writer, "prompt_version": rec.prompt_version, "run_id": rec.run_id,
        },
    }


@dataclass(frozen=True)
class ExportFormat:
    convert: Callable[[QARecord, ExportContext], dict]
    ext: str  # "jsonl": one object per line; "json": one array


FORMATS: dict[str, ExportFormat] = {
    "webwalkerqa": ExportFormat(to_webwalkerqa, "jsonl"),
    "webshaper": ExportFormat(to_webshaper, "jsonl"),
    "jsonl": ExportFormat(to_jsonl, "jsonl"),
    "sft": ExportFormat(to_sft, "jsonl"),
}


def _agents_formats() -> None:
    """``trajectories`` and ``react`` (agents/trajectories.py: OpenAI chat messages with tool calls,
    ReAct text)."""
    from agents.trajectories import to_react, to_trajectories

    FORMATS["trajectories"] = ExportFormat(to_trajectories, "jsonl")
    FORMATS["react"] = ExportFormat(to_react, "jsonl")


_agents_formats()


# --- writing ---------------------------------------------------------------------------------------
def _target(run: RunDir, fmt: str, ext: str, out: Path | str | None) -> Path:
    name = f"{fmt}.{ext}"
    if out is None:
        return run.sub("exports") / name
    p = Path(out).expanduser()
    if p.is_dir() or str(out).endswith(("/", os.sep)) or not p.suffix:
        return p.resolve() / name
    return p.resolve()


def iter_export(run_dir: Path | str, fmt: str) -> Iterable[dict]:
    """The converted records of a run, streamed (what ``export_run`` writes)."""
    spec = _spec(fmt)
    ctx = ExportContext(Path(run_dir).resolve())
    for rec in iter_records(ctx.run / "qa", QARecord):
        yield spec.convert(rec, ctx)  # type: ignore[arg-type]


def _spec(fmt: str) -> ExportFormat:
    spec = FORMATS.get(fmt.lower().strip())
    if spec is None:
        raise ValueError(f"unknown export format {fmt!r}: choose one of {', '.join(FORMATS)}")
    return spec


def export_run(run_dir: Path, fmt: str, out: Path | None = None) -> Path:
    """Write the run's kept questions in format ``fmt``; return the file written.

    ``out``: None → ``RUN_DIR/exports/<fmt>.<ext>``; an existing folder, or a path without a file
    extension (``out/``, ``exports/mine``) → ``<out>/<fmt>.<ext>``; a path with an extension
    (``train.jsonl``) is the output file itself.
    """
    fmt = fmt.lower().strip()
    spec = _spec(fmt)
    run = RunDir.open(run_dir)
    if not (run.path / "qa").is_dir():
        raise ValueError(f"{run.path} has no qa/ folder: not a run folder, or its run has not written questions")
    target = _target(run, fmt, spec.ext, out)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".tmp-{os.getpid()}-{target.name}")
    try:
        with open(tmp, "w", encoding="utf-8") as fh:
            rows = iter_export(run.path, fmt)
            if spec.ext == "json":
                fh.write("[")
                for i, obj in enumerate(rows):
                    fh.write(("," if i else "") + "\n" + json.dumps(obj, ensure_ascii=False))
                fh.write("\n]\n")
            else:
                for obj in rows:
                    fh.write(json.dumps(obj, ensure_ascii=False) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target

"""``crawlqa export RUN_DIR --format F``: the kept questions (``qa/``) in formats agent trainers use.

Formats live in ``FORMATS``: a converter ``(QARecord, ExportContext) -> dict`` plus the file
extension. Adding a format is one function and one line in the registry. Records stream from the
shards to a temporary file that is renamed into place when complete. The output goes to
``RUN_DIR/exports/<format>.<ext>`` or to the path the user gives (a folder, or a file with an
extension); a name the program makes comes from the format name only, never from a URL in the data.

``webwalkerqa`` (one JSON array, ``.json``): WebWalkerQA's record shape. The dataset card
(https://huggingface.co/datasets/callanwu/WebWalkerQA, README.md) documents the keys ``Question``,
``Answer``, ``Root_Url`` and ``Info`` with ``Hop``, ``Domain``, ``Language``, ``Difficulty_Level``,
``Source_Website`` and ``Golden_Path``. Its example spells values "multi-source" / "Medium" /
"English". WebWalker's own evaluation script (Alibaba-NLP/WebWalker ``src/evaluate.py``) groups
scores by ``info["type"]`` in {"single_source", "multi_source"} and ``info["difficulty_level"]``
in {"easy", "medium", "hard"}. We use those spellings, so ``Hop`` and ``Type`` are
"single_source" / "multi_source" (more than one distinct source page → multi) and
``Difficulty_Level`` is "easy" (difficulty ≤ 1), "medium" (2) or "hard" (≥ 3). ``Type`` goes in
``Info`` and again at the top level. ``Language`` is the English language name ("English"), as on
the card. ``Golden_Path`` holds the click path as URLs from the root (the card's example writes
"root->venue" labels instead). ``Domain`` is the record's ``domain``, else the root's host.

``webshaper`` (JSONL): WebShaper's fields ``id``, ``question``, ``answer``, ``urls`` and
``formalization``. They are documented in the Alibaba-NLP/WebAgent ``WebShaper/readme.md`` ("Data
fields") and the dataset card https://huggingface.co/datasets/Alibaba-NLP/WebShaper. A
formalization is a list of ``[subject, relation, object]`` triples. Its terms are variables
``V@name``, constants ``C@value`` and ``?`` for the target (the format of
``WebShaper/data/webshaper.500.jsonl``, as summarised at
https://deepwiki.com/Alibaba-NLP/WebAgent/2.3-formalization-method).
- e2h records: ``synth.e2h.to_webshaper(record)`` is used when that function exists. Otherwise
  the formalization is built from ``QARecord.lineage``: round k's hidden entity becomes
  ``V@Xk``, described by ``[V@Xk, "described_as", C@<description>]``. The seed question, with
  the entities replaced by their variables, is the target: ``["?", "answers", C@<question>]``.
- Other records get a single projection ``[C@<subject>, <relation>, "?"]``, taken from the
  candidate the question was written from, or ``["?", "answers", C@<question>]`` when that
  candidate is gone.
``urls`` lists every page used: sources, evidence, the click path and the e2h evidence pages, in
that order, without repeats.

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
from urllib.parse import urlsplit

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


def _formalize(rec: QARecord, ctx: ExportContext) -> list[list[str]]:
    if rec.lineage:
        return formalize_lineage(rec)
    cand = ctx.candidate(rec.candidate_id) if rec.candidate_id else None
    if cand and cand[0]:
        subject, relation = cand
        return [[f"C@{subject}", relation or rec.type, "?"]]
    return [["?", "answers", f"C@{rec.question}"]]


# --- converters ------------------------------------------------------------------------------------
def to_webwalkerqa(rec: QARecord, ctx: ExportContext) -> dict:
    kind = source_type(rec)
    return {
        "Question": rec.question,
        "Answer": rec.answer,
        "Root_Url": rec.root_url,
        "Info": {
            "Hop": kind,
            "Domain": rec.domain or _site(rec.root_url),
            "Language": language_name(rec.language),
            "Difficulty_Level": difficulty_name(rec.difficulty),
            "Source_Website": list(rec.source_urls),
            "Golden_Path": list(rec.golden_path),
            "Type": kind,
        },
        "Type": kind,
    }


def to_webshaper(rec: QARecord, ctx: ExportContext) -> dict:
    ours = {
        "id": rec.id,
        "question": rec.question,
        "answer": rec.answer,
        "urls": _unique([*rec.source_urls, *(e.url for e in rec.evidence), *rec.golden_path,
                         *(s.evidence_url for s in rec.lineage)]),
        "formalization": _formalize(rec, ctx),
    }
    hook = ctx.e2h_to_webshaper() if rec.type == "e2h" else None
    if hook is not None:
        theirs = hook(rec)
        ours.update({k: theirs[k] for k in WEBSHAPER_KEYS if k in theirs})
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
    "webwalkerqa": ExportFormat(to_webwalkerqa, "json"),
    "webshaper": ExportFormat(to_webshaper, "jsonl"),
    "jsonl": ExportFormat(to_jsonl, "jsonl"),
    "sft": ExportFormat(to_sft, "jsonl"),
}


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

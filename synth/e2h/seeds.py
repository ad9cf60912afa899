"""E2HQA seeds: single-hop question/answer pairs from a crawl run or from a user's file.

Sources:

* a run folder's ``qa/`` single-hop records (or ``drafts/`` when ``qa/`` holds none);
* a file with a question and an answer per row: JSON Lines (``.jsonl``/``.ndjson``), a JSON array
  (``.json``), CSV/TSV (``.csv``/``.tsv``) or Parquet (``.parquet``). Column names are matched
  case-insensitively: question = ``question|problem|query|q``, answer = ``answer|answers|gold|
  gold_answer|target|a``, optional ``id``, ``url``/``source_url``, ``root_url``, ``evidence`` and a
  SimpleQA-style ``metadata`` (a dict, or its Python/JSON text, with ``urls``). An answer given as a
  list (``answers: ["Percy Mayfield", "Mayfield"]``, or that list as JSON text in a CSV cell) is a
  list of accepted forms: the first is the answer, the rest its aliases.

A file whose columns include no question or no answer column is a file-level error
(:class:`SeedFileError`, naming the columns found).

Every other row yields a :class:`Seed` or a :class:`BadSeed` (with the reason and the row's place); the
caller counts and reports bad rows and goes on. Nothing raises for a bad row; a missing file or an
unknown extension is a configuration error and raises.
"""

from __future__ import annotations

import ast
import csv
import json
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from schemas.ids import stable_hash
from schemas.records import Evidence, QARecord

SEED_SUFFIXES = (".jsonl", ".ndjson", ".json", ".csv", ".tsv", ".parquet")
BAD_SEED_REASONS = ("unparsable", "missing_question", "missing_answer", "bad_question", "answer_too_long",
                    "answer_in_question", "duplicate")

_Q_KEYS = ("question", "problem", "query", "q")
_A_KEYS = ("answer", "answers", "gold", "gold_answer", "target", "a")
_URL_KEYS = ("url", "source_url", "source", "page_url")


@dataclass(frozen=True)
class Seed:
    """A single-hop question with its verified answer, and where it came from."""

    id: str
    question: str
    answer: str
    source_url: str = ""
    root_url: str = ""
    evidence: tuple[Evidence, ...] = ()
    golden_path: tuple[str, ...] = ()
    language: str = "en"
    domain: str = ""
    origin: str = ""
    aliases: tuple[str, ...] = ()  # other accepted forms of the answer (leak checks, record.aliases)
    record: QARecord | None = field(default=None, compare=False, repr=False)


class SeedFileError(ValueError):
    """The file cannot hold seeds at all (no question or answer column): says which columns it has."""


@dataclass(frozen=True)
class BadSeed:
    """A row that could not be a seed: ``reason`` is one of :data:`BAD_SEED_REASONS`."""

    where: str
    reason: str
    detail: str = ""
    raw: str = ""


SeedRow = Seed | BadSeed


def seed_id(question: str, answer: str) -> str:
    return stable_hash("seed", " ".join(question.lower().split()), " ".join(answer.lower().split()))


def answer_in_text(answer: str, text: str) -> bool:
    """Whether ``answer`` occurs in ``text`` as whole words (case, accents and punctuation folded)."""
    from synth.search import fold

    a, t = fold(answer), fold(text)
    return bool(a) and re.search(rf"(?<!\w){re.escape(a)}(?!\w)", t) is not None


# --- from records (a crawl run) ---------------------------------------------------------------------
def seed_from_record(rec: QARecord) -> Seed:
    return Seed(
        id=rec.id, question=rec.question, answer=rec.answer,
        source_url=rec.source_urls[0] if rec.source_urls else rec.root_url, root_url=rec.root_url,
        evidence=tuple(rec.evidence), golden_path=tuple(rec.golden_path or rec.source_urls[:1]),
        language=rec.language, domain=rec.domain, origin=f"run:{rec.run_id}",
        aliases=tuple(a for a in rec.aliases if a and a != rec.answer), record=rec,
    )


def seeds_from_records(records: Iterable[QARecord], *, max_answer_chars: int = 200,
                       types: tuple[str, ...] = ("single_hop",)) -> Iterator[SeedRow]:
    """Seeds from QA records of the given types (others are ignored, not bad)."""
    seen: set[str] = set()
    for rec in records:
        if rec.type not in types:
            continue
        where = f"record:{rec.id}"
        bad = _validate(rec.question, rec.answer, max_answer_chars)
        if bad:
            yield BadSeed(where, bad[0], bad[1], rec.model_dump_json())
            continue
        key = seed_id(rec.question, rec.answer)
        if key in seen:
            yield BadSeed(where, "duplicate", "same question and answer as an earlier seed", rec.model_dump_json())
            continue
        seen.add(key)
        yield seed_from_record(rec)


SEED_FOLDERS = ("seeds", "qa", "drafts")


def seeds_from_run(run_path: Path, *, max_answer_chars: int = 200) -> tuple[Iterator[SeedRow], str]:
    """Single-hop seeds of a run folder: ``seeds/`` (the filter stage's single-hop questions, kept out
    of ``qa/``), else ``qa/``, else ``drafts/`` — the first of them with a single-hop record.

    Returns the rows and the folder read (``'seeds'``, ``'qa'``, ``'drafts'``, or ``'none'``).
    """
    from pipelines.shards import iter_records

    run_path = Path(run_path)
    for folder in SEED_FOLDERS:
        has_any = any(r.type == "single_hop"  # type: ignore[attr-defined]
                      for r in iter_records(run_path / folder, QARecord))
        if has_any:
            recs = iter_records(run_path / folder, QARecord)
            return seeds_from_records(recs, max_answer_chars=max_answer_chars), folder  # type: ignore[arg-type]
    return iter(()), "none"


# --- from a file ------------------------------------------------------------------------------------
def load_seed_file(path: Path | str, *, max_answer_chars: int = 200) -> Iterator[SeedRow]:
    """Seeds of a JSONL/JSON/CSV/TSV/Parquet file, one :class:`Seed` or :class:`BadSeed` per row."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"seeds file not found: {path}")
    suffix = path.suffix.lower()
    if suffix not in SEED_SUFFIXES:
        raise ValueError(f"unknown seeds format {suffix!r}: use one of {', '.join(SEED_SUFFIXES)}")
    seen: set[str] = set()
    checked = False
    for where, row, err in _rows(path, suffix):
        if not checked and isinstance(row, dict):
            _check_columns(path, list(row))
            checked = True
        if err:
            yield BadSeed(where, "unparsable", err, row if isinstance(row, str) else "")
            continue
        yield _seed_from_row(row, where, path, seen, max_answer_chars)


def _check_columns(path: Path, columns: list[Any]) -> None:
    """Raise :class:`SeedFileError` when no column can be the question or no column the answer."""
    low = {str(c).strip().lower() for c in columns}
    missing = [what for what, keys in (("question", _Q_KEYS), ("answer", _A_KEYS)) if not low & set(keys)]
    if missing:
        found = ", ".join(repr(str(c)) for c in columns) or "none"
        need = "; ".join(f"{w}: one of {'|'.join(k)}" for w, k in (("question", _Q_KEYS), ("answer", _A_KEYS))
                         if w in missing)
        raise SeedFileError(f"seeds file {path.name}: no {' and no '.join(missing)} column ({need}); "
                            f"columns found: {found}")


def _rows(path: Path, suffix: str) -> Iterator[tuple[str, Any, str]]:
    name = path.name
    if suffix in (".jsonl", ".ndjson"):
        with open(path, encoding="utf-8-sig", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield f"{name}:{n}", json.loads(line), ""
                except json.JSONDecodeError as e:
                    yield f"{name}:{n}", line.rstrip("\n")[:2000], f"invalid JSON: {e.msg}"
    elif suffix == ".json":
        try:
            data = json.loads(path.read_text(encoding="utf-8-sig"))
        except json.JSONDecodeError as e:
            yield f"{name}", "", f"invalid JSON: {e.msg}"
            return
        if isinstance(data, dict):
            data = data.get("data") or data.get("rows") or [data]
        for n, row in enumerate(data if isinstance(data, list) else [data], 1):
            yield f"{name}[{n - 1}]", row, ""
    elif suffix in (".csv", ".tsv"):
        with open(path, encoding="utf-8-sig", errors="replace", newline="") as fh:
            reader = csv.DictReader(fh, delimiter="\t" if suffix == ".tsv" else ",")
            n = 1
            while True:
                try:
                    row = next(reader)
                except StopIteration:
                    break
                except csv.Error as e:
                    n += 1
                    yield f"{name}:{reader.line_num}", "", f"invalid CSV: {e}"
                    continue
                n += 1
                if None in row:  # more fields than the header
                    yield f"{name}:{reader.line_num}", json.dumps(row, default=str)[:2000], \
                        "invalid CSV: more fields than columns"
                    continue
                yield f"{name}:{reader.line_num}", row, ""
    else:
        import pyarrow.parquet as pq

        pf = pq.ParquetFile(path)
        n = 0
        for batch in pf.iter_batches(batch_size=1024):
            for row in batch.to_pylist():
                yield f"{name}[{n}]", row, ""
                n += 1


def _pick(row: dict, keys: tuple[str, ...]) -> Any:
    low = {str(k).strip().lower(): v for k, v in row.items()}
    for k in keys:
        if k in low and low[k] not in (None, ""):
            return low[k]
    return None


def _seed_from_row(row: Any, where: str, path: Path, seen: set[str], max_answer_chars: int) -> SeedRow:
    raw = json.dumps(row, ensure_ascii=False, default=str)[:2000]
    if not isinstance(row, dict):
        return BadSeed(where, "unparsable", f"a row must be an object, got {type(row).__name__}", raw)
    q = _pick(row, _Q_KEYS)
    a = _pick(row, _A_KEYS)
    if isinstance(a, str) and a.strip().startswith("[") and a.strip().endswith("]"):
        try:  # a list of answers as JSON text (a CSV/TSV cell)
            parsed = json.loads(a)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            a = parsed
    aliases: list[str] = []
    if isinstance(a, list | tuple):
        vals = list(dict.fromkeys(" ".join(str(x).split()) for x in a
                                  if isinstance(x, str | int | float) and str(x).strip()))
        a = vals[0] if vals else None
        aliases = vals[1:]
    if isinstance(a, int | float) and not isinstance(a, bool):
        a = str(a)
    if q is not None and not isinstance(q, str):
        return BadSeed(where, "bad_question", f"question is a {type(q).__name__}, not text", raw)
    if a is not None and not isinstance(a, str):
        return BadSeed(where, "missing_answer", f"answer is a {type(a).__name__}, not text", raw)
    question = " ".join((q or "").split())
    answer = " ".join((a or "").split())
    bad = _validate(question, answer, max_answer_chars)
    if bad:
        return BadSeed(where, bad[0], bad[1], raw)
    leaked = next((x for x in aliases if answer_in_text(x, question)), None)
    if leaked:
        return BadSeed(where, "answer_in_question", f"the question names the accepted answer {leaked!r}", raw)
    key = seed_id(question, answer)
    if key in seen:
        return BadSeed(where, "duplicate", "same question and answer as an earlier row", raw)
    seen.add(key)
    urls = _urls(row)
    rid = _pick(row, ("id", "qid", "uid"))
    ev = _evidence(row, urls)
    return Seed(
        id=str(rid) if rid not in (None, "") else key, question=question, answer=answer,
        source_url=urls[0] if urls else "", root_url=str(_pick(row, ("root_url",)) or (urls[0] if urls else "")),
        evidence=ev, golden_path=tuple(urls[:1]), language=str(_pick(row, ("language", "lang")) or "en"),
        domain=str(_pick(row, ("domain", "topic")) or ""), origin=f"file:{path.name}",
        aliases=tuple(x for x in aliases if x != answer),
    )


def _validate(question: str, answer: str, max_answer_chars: int) -> tuple[str, str] | None:
    if not question.strip():
        return "missing_question", "no question"
    if not answer.strip():
        return "missing_answer", "no answer"
    if len(question.split()) < 3 or not re.search(r"[^\W\d_]", question):
        return "bad_question", f"too short to rewrite: {question[:80]!r}"
    if len(answer) > max_answer_chars:
        return "answer_too_long", f"{len(answer)} chars > {max_answer_chars}"
    if answer_in_text(answer, question):
        return "answer_in_question", "the answer already appears in the question"
    return None


def _urls(row: dict) -> list[str]:
    urls: list[str] = []
    u = _pick(row, _URL_KEYS)
    if isinstance(u, str) and u.startswith(("http://", "https://")):
        urls.append(u)
    many = _pick(row, ("urls",))
    meta = _pick(row, ("metadata", "meta"))
    if isinstance(meta, str):
        try:
            meta = json.loads(meta)
        except json.JSONDecodeError:
            try:
                meta = ast.literal_eval(meta)
            except (ValueError, SyntaxError, MemoryError, RecursionError):
                meta = None
    if many is None and isinstance(meta, dict):
        many = meta.get("urls")
    if isinstance(many, str):
        many = [many]
    if isinstance(many, list):
        urls.extend(x for x in many if isinstance(x, str) and x.startswith(("http://", "https://")))
    return list(dict.fromkeys(urls))


def _evidence(row: dict, urls: list[str]) -> tuple[Evidence, ...]:
    ev = _pick(row, ("evidence",))
    if isinstance(ev, str) and ev.strip() and urls:
        return (Evidence(url=urls[0], text=ev.strip()[:2000]),)
    if isinstance(ev, list):
        out = []
        for e in ev:
            if isinstance(e, dict) and isinstance(e.get("url"), str) and isinstance(e.get("text"), str):
                out.append(Evidence(url=e["url"], text=e["text"][:2000]))
        return tuple(out)
    return ()

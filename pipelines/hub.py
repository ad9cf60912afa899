"""``crawlqa export RUN_DIR --format hf -o DIR``: a Hugging Face Hub-ready dataset folder.

The folder holds only what a Hub repository needs, so ``huggingface-cli upload USER/NAME DIR .
--repo-type dataset`` publishes it as is:

```
DIR/README.md                               dataset card: YAML (licence, languages, configs, splits) + text
DIR/data/<type>/<split>/part-00000.parquet  the kept questions of one type and split (QARecord schema)
```

Configs: ``default`` (every type; ``load_dataset(DIR)`` with no config name gives ``train``,
``validation`` and ``test``) and one per question type (``load_dataset(DIR, "count")``). Nothing of
the run's ``_state/``, ``_work/``, ``pages/`` (third-party HTML) or caches is copied.

Splits are deterministic and grouped, so near-identical questions never straddle train and test:
every question of a group goes to the split its group's hash picks (80 / 10 / 10 by default). The
group is the crawl root when the run has at least ten roots with questions, else the first source
page: with a handful of roots, whole roots cannot make an 80 / 10 / 10 split (four roots give 75 / 25 /
0 at best), so a small run keeps each source page's questions together instead, which is what keeps
paraphrases of one fact out of two splits. When hashing leaves a split empty although there are
three or more groups, a group is moved into it from a split that has several (train takes the lowest
hash, validation and test the highest), so the split of a group depends only on the set of groups,
never on record order.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections import Counter
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

from pipelines.card import _md, _q, _schema_rows, _size_category, guess_license
from pipelines.run import RunDir, atomic_write_text
from pipelines.shards import ShardWriter, iter_records, read_table
from schemas.records import QARecord

SPLITS = ("train", "validation", "test")
DEFAULT_RATIOS = (0.8, 0.1, 0.1)
MIN_ROOT_GROUPS = 10


def _unit(key: str, salt: str) -> float:
    """A stable number in [0, 1) for a group key."""
    digest = hashlib.sha256(f"{salt}\x00{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def assign_splits(groups: Iterable[str], ratios: tuple[float, float, float] = DEFAULT_RATIOS,
                  salt: str = "crawlqa-splits-v1") -> dict[str, str]:
    """Group key → split name; deterministic, and no split left empty when there are ≥ 3 groups."""
    if len(ratios) != 3 or any(r < 0 for r in ratios) or sum(ratios) <= 0:
        raise ValueError("ratios: three non-negative numbers for train, validation and test")
    total = sum(ratios)
    edges = (ratios[0] / total, (ratios[0] + ratios[1]) / total)
    keys = sorted(set(groups), key=lambda g: (_unit(g, salt), g))
    out = {}
    for g in keys:
        u = _unit(g, salt)
        out[g] = SPLITS[0] if u < edges[0] else SPLITS[1] if u < edges[1] else SPLITS[2]
    if len(keys) >= 3:
        for split in SPLITS:  # an empty split takes a group from a split that has more than one
            if split in out.values():
                continue
            donors = {s for s, n in Counter(out.values()).items() if n > 1}
            order = keys if split == SPLITS[0] else list(reversed(keys))  # train: lowest hash, else highest
            movable = [g for g in order if out[g] in donors]
            if movable:
                out[movable[0]] = split
    return out


def grouping(run: Path) -> str:
    """``root`` when ≥ 10 roots have kept questions, else ``source`` (the first source page)."""
    roots = read_table(run / "qa", QARecord, columns=["root_url"]).column("root_url").to_pylist()
    return "root" if len(set(roots)) >= MIN_ROOT_GROUPS else "source"


def group_of(rec: QARecord, by: str) -> str:
    if by == "root":
        return rec.root_url
    return rec.source_urls[0] if rec.source_urls else rec.root_url


def _target_ok(out: Path) -> None:
    """Refuse to replace a non-empty folder unless it is an earlier export of this kind."""
    if not out.exists():
        return
    if not out.is_dir():
        raise ValueError(f"{out} exists and is not a folder")
    names = {p.name for p in out.iterdir()}
    if not names:
        return
    card = out / "README.md"
    ours = names <= {"README.md", "data"} and card.is_file() and "crawlqa-hf-export" in card.read_text(
        encoding="utf-8", errors="replace")
    if not ours:
        raise ValueError(f"{out} is not empty and is not an earlier `--format hf` export: choose another folder")


def export_hf(run_dir: Path | str, out: Path | str, *, license: str | None = None,
              ratios: tuple[float, float, float] = DEFAULT_RATIOS) -> Path:
    """Write the Hub folder for a run's kept questions to ``out`` (replaced atomically); return it."""
    run = RunDir.open(Path(run_dir))
    if not (run.path / "qa").is_dir():
        raise ValueError(f"{run.path} has no qa/ folder: not a run folder, or its run has not written questions")
    out = Path(out).expanduser().resolve()
    _target_ok(out)
    by = grouping(run.path)
    groups = {group_of(r, by) for r in iter_records(run.path / "qa", QARecord)}  # type: ignore[arg-type]
    split_of = assign_splits(groups, ratios)
    tmp = out.with_name(f".tmp-{os.getpid()}-{out.name}")
    shutil.rmtree(tmp, ignore_errors=True)
    counts: Counter = Counter()
    langs: Counter = Counter()
    roots: Counter = Counter()
    writers: dict[tuple[str, str], ShardWriter] = {}
    try:
        try:
            for rec in iter_records(run.path / "qa", QARecord):
                split = split_of[group_of(rec, by)]  # type: ignore[arg-type]
                key = (rec.type, split)  # type: ignore[attr-defined]
                if key not in writers:
                    writers[key] = ShardWriter(tmp / "data" / rec.type / split, QARecord,  # type: ignore[attr-defined]
                                               relative_to=tmp)
                writers[key].write(rec)  # type: ignore[arg-type]
                counts[key] += 1
                langs[rec.language or "en"] += 1  # type: ignore[attr-defined]
                roots[rec.root_url] += 1  # type: ignore[attr-defined]
        finally:
            for w in writers.values():
                w.close()
        atomic_write_text(tmp / "README.md", render_hub_card(run, counts, langs, roots, by=by, license=license,
                                                             ratios=ratios))
        if out.exists():
            old = out.with_name(f".old-{os.getpid()}-{out.name}")
            os.replace(out, old)
            os.replace(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            out.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return out


def _licence(roots: Counter, given: str | None) -> tuple[str, list[tuple[str, str, str]]]:
    rows = [(r, *guess_license(r)) for r in sorted(roots)]
    if given:
        return given, rows
    found = {lic for _, lic, _ in rows}
    if len(found) == 1:
        return next(iter(found)), rows
    return ("unknown" if "unknown" in found or not found else "other"), rows


def render_hub_card(run: RunDir, counts: Counter, langs: Counter, roots: Counter, *, by: str,
                    license: str | None, ratios: tuple[float, float, float]) -> str:
    """The Hub card: YAML front matter with configs and splits, then what the data is and how it was split."""
    licence, licence_rows = _licence(roots, license)
    kept = sum(counts.values())
    types = sorted({t for t, _ in counts})
    lines = ["---", f"pretty_name: {_q('crawlqa ' + run.run_id)}", f"license: {_q(licence)}"]
    if licence == "other":
        lines.append(f"license_name: {_q('mixed: ' + ', '.join(sorted({r[1] for r in licence_rows})))}")
    lines.append("language:")
    lines += [f"- {_q(code)}" for code in (sorted(langs) or ["en"])]
    lines += ["task_categories:", "- \"question-answering\"", "size_categories:", f"- {_q(_size_category(kept))}",
              "tags:"] + [f"- {_q(t)}" for t in ("web-agent", "information-seeking", "synthetic", "crawlqa",
                                                  "crawlqa-hf-export")]
    lines.append("configs:")
    present = [s for s in SPLITS if any(counts[(t, s)] for t in types)]
    lines += ["- config_name: \"default\"", "  default: true", "  data_files:"]
    for split in present:
        lines += [f"  - split: {_q(split)}", f"    path: {_q(f'data/*/{split}/*.parquet')}"]
    for t in types:
        splits = [s for s in SPLITS if counts[(t, s)]]
        lines += [f"- config_name: {_q(t)}", "  data_files:"]
        for split in splits:
            lines += [f"  - split: {_q(split)}", f"    path: {_q(f'data/{t}/{split}/*.parquet')}"]
    lines += ["---", ""]

    total = {s: sum(counts[(t, s)] for t in types) for s in SPLITS}
    group_text = ("its crawl root (every question of a root in one split)" if by == "root" else
                  "its first source page (every question about one page in one split; the run has fewer "
                  f"than {MIN_ROOT_GROUPS} roots with questions, too few to split by root)")
    lines += [f"# crawlqa `{run.run_id}`", "",
              f"{kept} synthetic, verifiable question–answer pairs for training and evaluating web-browsing "
              "agents, made by crawlqa (WebDancer's CRAWLQA and E2HQA recipes). Every answer was computed "
              "by the program from the evidence it carries (source URLs, snippets, click path); writers "
              "only word the questions.", "",
              "```python", "from datasets import load_dataset",
              "ds = load_dataset(\"path/or/hub-id\")             # train / validation / test, every type",
              f"ds_one = load_dataset(\"path/or/hub-id\", {_q(types[0] if types else 'count')})  # one type",
              "```", "",
              "## Splits", "",
              f"Deterministic: each question goes to the split that a hash of {group_text} picks "
              f"(train {ratios[0]:g} / validation {ratios[1]:g} / test {ratios[2]:g}); re-exporting the same "
              "run gives the same splits.", "",
              "| config | " + " | ".join(SPLITS) + " |", "|---|" + "---:|" * len(SPLITS),
              "| default | " + " | ".join(str(total[s]) for s in SPLITS) + " |"]
    lines += [f"| {t} | " + " | ".join(str(counts[(t, s)]) for s in SPLITS) + " |" for t in types]
    lines += ["", "## Sources and licences", "", "| root | questions | licence (guess) | note |", "|---|---:|---|---|"]
    lines += [f"| {_md(r)} | {roots[r]} | `{lic}` | {_md(note)} |" for r, lic, note in licence_rows]
    lines += ["", (f"The licence above was given by the publisher (`{licence}`)." if license else
                   "The licence is a guess from the roots' host names (the card of the run folder explains "
                   "how); check each site's terms, and set it with `crawlqa export … --format hf --license ID`."),
              "", "## Fields", "", "| field | Arrow type | description |", "|---|---|---|",
              *_schema_rows(QARecord), "",
              f"Exported {datetime.now(UTC).date().isoformat()} from run `{run.run_id}` by `crawlqa export "
              "--format hf`.", ""]
    return "\n".join(lines)


def split_counts(out: Path | str) -> dict[str, int]:
    """Rows per split of an exported folder (for tests and the CLI summary)."""
    import pyarrow.parquet as pq

    counts: dict[str, int] = {}
    for p in Path(out).glob("data/*/*/*.parquet"):
        counts[p.parent.name] = counts.get(p.parent.name, 0) + pq.ParquetFile(p).metadata.num_rows
    return counts

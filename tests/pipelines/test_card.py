from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from pipelines.card import guess_license, render_card, write_card
from pipelines.run import RunDir
from pipelines.shards import ShardWriter
from schemas.ids import page_id
from schemas.records import Page, QARecord


def _front_matter(text: str) -> dict:
    assert text.startswith("---\n")
    head, _, _ = text[4:].partition("\n---\n")
    return yaml.safe_load(head)


def _card(run_path: Path) -> tuple[Path, str]:
    run = RunDir.open(run_path)
    path = write_card(run, json.loads(run.manifest_path.read_text()))
    return path, path.read_text(encoding="utf-8")


def test_front_matter_is_hub_metadata(fresh_run: Path) -> None:
    path, text = _card(fresh_run)
    assert path == fresh_run / "README.md"
    fm = _front_matter(text)
    assert fm["pretty_name"] == "crawlqa run 20260101T000000Z-fixture"
    assert fm["license"] == "unknown"  # github and the loopback site are unknown
    assert fm["language"] == ["de", "en"]
    assert fm["task_categories"] == ["question-answering"]
    assert fm["size_categories"] == ["n<1K"]
    configs = {c["config_name"]: c for c in fm["configs"]}
    assert list(configs) == ["qa", "rejects", "candidates", "pages"]
    assert configs["qa"]["default"] is True
    for name, c in configs.items():
        (files,) = c["data_files"]
        assert files["split"] == "train" and files["path"] == f"{name}/part-*.parquet"
        assert sorted(fresh_run.glob(files["path"]))  # the globs match the shards


def test_body_says_what_when_how(fresh_run: Path) -> None:
    _, text = _card(fresh_run)
    for needle in (
        "# crawlqa run `20260101T000000Z-fixture`",
        "pages fetched between 2026-01-01T12:00:00+00:00 and 2026-01-01T12:00:10+00:00",
        "LLM mode: `openai`, model `gpt-4o-mini`",
        "| https://en.wikipedia.org/wiki/Ray_Charles | 4 | `cc-by-sa-4.0` |",
        "| https://arxiv.org/list/cs.CL/recent | 3 | `cc0-1.0` |",
        "| https://github.com/scrapy/scrapy | 2 | `unknown` |",
        "| http://127.0.0.1:8765/nothing-here/ | 0 (no page) |",
        "| `template` | `tmpl-v1` | 3 |", "| `gpt-4o-mini` | `e2h-v1` | 1 |",
        "| kept | 6 |", "| questions written | 8 |", "| crawl/http_404 | 2 |", "| e2h | 1 |",
        "### `qa/` — QARecord", "| `golden_path` |", "| `lineage` |", "### `rejects/` — Reject",
        "load_dataset(\"parquet\", data_files=\"qa/*.parquet\"", "## Licences",
    ):
        assert needle in text, needle
    assert "| `stage` | `string` | crawl \\| extract" in text  # pipes inside cells are escaped


def test_guess_license_per_site() -> None:
    assert guess_license("https://en.wikipedia.org/wiki/X")[0] == "cc-by-sa-4.0"
    assert guess_license("https://de.wikipedia.org/wiki/X")[0] == "cc-by-sa-4.0"
    assert guess_license("https://arxiv.org/abs/2505.22648")[0] == "cc0-1.0"
    lic, note = guess_license("https://github.com/scrapy/scrapy")
    assert lic == "unknown" and "repository" in note
    lic, note = guess_license("https://example.com/")
    assert lic == "unknown" and note == "unknown — check the site's terms"
    assert guess_license("https://notwikipedia.org/")[0] == "unknown"


def _one_root_run(tmp_path: Path, roots: list[str]) -> RunDir:
    run = RunDir(tmp_path, "r1").create()
    with ShardWriter(run.sub("pages"), Page, relative_to=run.path) as w:
        for root in roots:
            w.write(Page(id=page_id(root), url=root, final_url=root, root_url=root, depth=0, status=200,
                         content_type="text/html", fetched_at=datetime(2026, 1, 1, tzinfo=UTC)))
    return run


@pytest.mark.parametrize(("roots", "licence"), [
    (["https://en.wikipedia.org/wiki/A"], "cc-by-sa-4.0"),
    (["https://en.wikipedia.org/wiki/A", "https://fr.wikipedia.org/wiki/B"], "cc-by-sa-4.0"),
    (["https://en.wikipedia.org/wiki/A", "https://arxiv.org/list/cs.CL/new"], "other"),
    (["https://en.wikipedia.org/wiki/A", "https://example.org/"], "unknown"),
])
def test_front_matter_licence(tmp_path: Path, roots: list[str], licence: str) -> None:
    run = _one_root_run(tmp_path, roots)
    fm = _front_matter(render_card(run, {"config": {"roots": roots}}))
    assert fm["license"] == licence
    if licence == "other":
        assert fm["license_name"] == "mixed: cc-by-sa-4.0, cc0-1.0"
    assert [c["config_name"] for c in fm["configs"]] == ["pages"]  # only folders with shards


def test_card_without_manifest_details(tmp_path: Path) -> None:
    run = RunDir(tmp_path, "bare").create()
    text = render_card(run, {})
    fm = _front_matter(text)
    assert fm["license"] == "unknown" and fm["configs"] is None
    assert "### `qa/` — QARecord" in text  # the schema is always documented


def test_write_card_is_atomic_and_idempotent(fresh_run: Path) -> None:
    p1, t1 = _card(fresh_run)
    p2, t2 = _card(fresh_run)
    assert p1 == p2 and t1 == t2
    assert list(fresh_run.glob(".tmp-*")) == []
    assert QARecord.__name__ in t1


def test_time_section_counts_as_of_sources_and_volatile_skips(fresh_run: Path) -> None:
    from datetime import date

    from pipelines.shards import iter_records, remove_shards

    run = RunDir.open(fresh_run)
    qa = list(iter_records(run.sub("qa"), QARecord))
    stamps = [(date(2008, 10, 14), "page_version"), (date(2015, 3, 2), "page_modified"),
              (date(2026, 1, 1), "fetched")]
    dated = [q.model_copy(update={"as_of": stamps[i % 3][0], "as_of_source": stamps[i % 3][1]})
             for i, q in enumerate(qa)]
    remove_shards(run.sub("qa"), 0, 100)
    with ShardWriter(run.sub("qa"), QARecord, relative_to=run.path) as w:
        w.write_all(dated)
    manifest = json.loads(run.manifest_path.read_text())
    manifest.setdefault("funnel", {}).setdefault("reject_reasons", {})["mine/volatile"] = 7
    text = render_card(run, manifest)
    assert "## Time: when each answer holds" in text
    n = len(qa)
    assert f"| `page_version` | the latest version date an arXiv abstract page lists (its submission history) | {(n + 2) // 3} |" in text
    assert "| `page_date` |" in text and text.split("| `page_date` |")[1].split("\n")[0].endswith("| 0 |")
    assert "`as_of` ranges from 2008-10-14 to 2026-01-01." in text
    assert "with the reason `volatile` (7 in this run)" in text
    assert "| `as_of` | `date32[day]` |" in text and "| `as_of_source` | `string` |" in text

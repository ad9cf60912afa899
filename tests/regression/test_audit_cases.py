"""Wrong answers found by the hand audit of issue 16 (sheets in bench/audit/), one test each.

Each case keeps the real saved page(s) the question came from (``tests/regression/pages/``, copied
from the shared corpus, unchanged), mines and words them as the pipeline does (site facts →
``synth.mine`` → template writer → ``to_record``), and checks that the wrong question is no longer
produced (and, where the page allows one, that the right answer is). A case whose fix belongs to the
fact parsers or miners still to be fixed is marked ``xfail(strict=True)`` with the reason: it starts
passing — and so failing as XPASS — the day the fix lands, and the mark must then go.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.counters import Counters
from schemas.records import Page, QARecord
from synth.assemble import to_record
from synth.config import SynthConfig
from synth.mine import mine
from synth.writers.template import TemplateWriter
from tests.synth.conftest import FileSite, walk

PAGES = Path(__file__).resolve().parent / "pages"
BASE = "http://127.0.0.1:8000"


def crawl(site_dir: str, roots: list[str], site: str, depth: int = 0) -> list[Page]:
    """The saved pages under ``pages/<site_dir>`` served as ``BASE/...``, walked from ``roots``."""
    fs = FileSite(PAGES / site_dir, BASE)
    pages = walk(fs, [BASE + r for r in roots], max_depth=depth, site=site)
    assert pages, f"no page for {roots}"
    return pages


def questions(pages: list[Page]) -> list[QARecord]:
    """The questions the pipeline's miners and template writer make of ``pages``."""
    cands = list(mine(pages, SynthConfig(), Counters(), lambda r: None))
    created = datetime(2026, 12, 6, tzinfo=UTC)
    return [to_record(w, writer_name="template", prompt_version="t", run_id="regression", created_at=created)
            for w in TemplateWriter().write(cands) if w.ok]


def meta(r: QARecord) -> dict:
    return json.loads(r.meta_json)


# --- arXiv ------------------------------------------------------------------------------------------
@pytest.mark.xfail(strict=True, reason=(
    "facts: list items longer than ~340 characters are dropped from an enumeration, so the count is "
    "of the short ones only (astro-ph: 2 of 6 categories; physics 10 of 22; math 31 of 32)"))
def test_arxiv_archive_counts_every_category() -> None:
    # audit 2026-12-06 (arXiv run): "How many categories within astrophysics are listed in the
    # “Categories within Astrophysics” section of the arXiv listing “Astrophysics (since April 1992)”?"
    # answered 2; the page lists astro-ph.CO, EP, GA, HE, IM and SR.
    pages = crawl("arxiv", ["/archive/astro-ph/"], "arxiv")
    asked = [r for r in questions(pages) if r.type == "count" and "Categories within Astrophysics" in r.question]
    assert all(r.answer == "6" for r in asked), [(r.question, r.answer) for r in asked]
    enum = [e for e in pages[0].enumerations if e.label == "Categories within Astrophysics"]
    assert all(len(e.items) == 6 for e in enum), [len(e.items) for e in enum]

"""Strict hand audit round 8 (bench/audit/hand-audit-strict8.*): the classes it found, one test each, on
unchanged copies of the saved Ray Charles 2015 pages (tests/fixtures/pages/wiki-raycharles-2015/A via
tests/saved_pages.py).

- E2HQA seed from the single-hop miner: "Who produced Ray Charles at Newport?" → "Tom Dowd (engineer)". The
  page's own row says he was the engineer ('Producer: Tom Dowd (engineer)', Personnel 'Tom Dowd – engineer'),
  and two other crawled pages credit Nesuhi Ertegün as the producer of the same recording: a credit row with
  another bracketed role is no answer to its key (``role_qualified``).
"""

from __future__ import annotations

from pipelines.counters import Counters
from schemas.records import Reject
from synth.config import SynthConfig
from synth.mine import mine
from synth.text import role_qualified
from tests.saved_pages import saved_site
from tests.synth.conftest import FileSite, walk

BASE = "http://127.0.0.1:8000"


def test_a_credit_with_another_role_is_no_answer() -> None:
    assert role_qualified("Tom Dowd (engineer)") and role_qualified("Quincy Jones (arranger, conductor)")
    assert not role_qualified("Clarence E. Snow (Hank Snow)") and not role_qualified("Jerry Wexler")
    site = FileSite(saved_site(["Ray_Charles_at_Newport.html"]), BASE)
    pages = walk(site, [f"{BASE}/A/Ray_Charles_at_Newport.html"], max_depth=0, site="wikipedia")
    assert any(f.key.lower().startswith("producer") and "engineer" in f.value for f in pages[0].facts)
    rejects: list[Reject] = []
    cands = list(mine(pages, SynthConfig(), Counters(), rejects.append))
    assert not [c for c in cands if c.answer.startswith("Tom Dowd")], [c.answer for c in cands]
    assert any(r.reason == "role_qualified" and r.url.endswith("/Ray_Charles_at_Newport.html") for r in rejects)
    # the page's other facts are still asked
    assert any(c.type == "single_hop" for c in cands)

"""LLM page-pair proposals (WebDancer's free-form CRAWLQA step) on the fixture site's real HTML, with
the scripted LLM server: the prompt carries both pages' extracted texts, a proposal is kept only when
its verbatim quotes are in the pages and hold the answer, and every kept record rechecks against the
HTML independently (lxml visible text, not the extractor the pipeline used)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime

import pytest

from crawlers.extract import extract
from filters import FilterChain, FilterConfig, build_filters
from pipelines.counters import Counters
from schemas.records import Candidate, QARecord
from synth.assemble import to_record
from synth.config import SynthConfig
from synth.mine import mine
from synth.prompts import load_prompt
from synth.text import contains, norm, squash
from synth.writers.llm import Proposal
from synth.writers.template import TemplateWriter
from tests.llm_server import data_of, invalid_json, ok
from tests.synth.conftest import BASE, FileSite, page_text, walk

W = f"{BASE}/wiki/"
NG, JB = W + "Northern_Glass.html", W + "Jonas_Brandt.html"
# verbatim sentences of the two pages (FACTS.md: Brandt produced Northern Glass; his workshop)
QUOTE = {NG: "Produced by Jonas Brandt, it added modular synthesizers and recordings of the sea to her piano songs",
         JB: "Brandt opened a workshop in Halverstad in 2003"}
GOOD_Q = "In which year did the producer of Mira Volkova's album Northern Glass open his synthesizer workshop?"
T0 = datetime(2026, 1, 1, tzinfo=UTC)


def with_text(fs: FileSite, pages):
    """Pages with the main text the crawler's extractor (trafilatura) gives."""
    out = []
    for p in pages:
        ex = extract(fs.html(p.url), p.url, p.site)
        out.append(p.model_copy(update={"text": ex.text if ex else ""}))
    return out


@pytest.fixture(scope="module")
def pair_pages(fixture_site):
    pages = [p for p in walk(fixture_site, [NG], max_depth=1) if p.url in (NG, JB)]
    return with_text(fixture_site, pages)


def mine_pairs(pages, **cfg) -> tuple[list[Candidate], Counters]:
    counters = Counters()
    cands = list(mine(pages, SynthConfig(miners=["proposal"], **cfg), counters, lambda r: None))
    return cands, counters


@pytest.fixture(scope="module")
def pair(pair_pages) -> Candidate:
    [c] = mine_pairs(pair_pages, max_proposals=3)[0]
    return c


def proposal(c: Candidate, question: str = GOOD_Q, answer: str = "2003", quotes: dict | None = None) -> dict:
    """The model's answer for candidate ``c``: quotes given per URL, placed as page a / page b."""
    quotes = quotes or {u: [q] for u, q in QUOTE.items()}
    a, b = (e.url for e in c.evidence)
    return {"question": question, "answer": answer, "quotes_a": quotes[a], "quotes_b": quotes[b]}


class Recheck:
    """A kept proposal against the HTML files: two linked pages, each quote in its page's visible
    text, the answer in the quotes and not in the question, no reference to 'the page'."""

    def __init__(self, fs: FileSite) -> None:
        self.fs = fs

    def __call__(self, r: QARecord) -> str:
        meta = json.loads(r.meta_json)
        if r.type != "proposed" or meta.get("kind") != "proposed" or not r.prompt_version.startswith("proposal."):
            return "not_marked"
        urls = {e.url for e in r.evidence}
        if len(urls) != 2 or urls != set(r.source_urls):
            return "not_two_pages"
        for e in r.evidence:
            if norm(e.text) not in norm(page_text(self.fs.html(e.url))):
                return f"quote_not_on_page {e.url}"
        if not any(contains(e.text, r.answer) for e in r.evidence) or contains(r.question, r.answer):
            return "answer"
        if re.search(r"\b(this page|the text|the passage|according to|page [ab])\b", r.question, re.I):
            return "not_standalone"
        a, b = r.source_urls
        href = {m for m in re.findall(r'href="([^"]+)"', self.fs.html(a))}
        return "" if any(b.endswith(h.split("/")[-1]) for h in href) else "pages_not_linked"


# --- mining ------------------------------------------------------------------------------------------
def test_no_proposals_by_default_and_none_without_text(pair_pages):
    assert mine_pairs(pair_pages)[0] == []  # max_proposals defaults to 0: the offline writer cannot propose
    bare = [p.model_copy(update={"text": ""}) for p in pair_pages]
    assert mine_pairs(bare, max_proposals=3)[0] == []


def test_a_pair_carries_both_pages_clipped_texts(pair_pages, pair):
    assert pair.type == "proposed" and pair.answer == "" and pair.hops == 2
    assert pair.source_urls == [NG, JB] and pair.golden_path == [NG, JB], "A links to B, B not on A's path"
    texts = {p.url: p.text for p in pair_pages}
    for ev in pair.evidence:  # a verbatim prefix of the page's extracted text, within the budget
        assert ev.text and texts[ev.url].startswith(ev.text) and len(ev.text) <= SynthConfig().proposal_text_chars
    c, _ = mine_pairs(pair_pages, max_proposals=3, proposal_text_chars=400, min_proposal_text_chars=100)
    assert all(len(e.text) <= 400 and texts[e.url].startswith(e.text) for e in c[0].evidence)


def test_proposals_per_run_are_capped(fixture_site):
    pages = with_text(fixture_site, walk(fixture_site, [W + "index.html"], max_depth=2))
    cands, counters = mine_pairs(pages, max_proposals=4)
    assert len(cands) == 4 == counters.get("mine/proposal/picked") < counters.get("mine/proposal/pairs")
    used = [u for c in cands for u in c.source_urls]
    assert len(used) == len(set(used)), "a page is in one pair at most"


def test_an_empty_language_list_means_every_language(fixture_site):
    """``languages=[]`` (the default with a model) proposes pairs in any language, like the other miners;
    a list restricts them."""
    pages = with_text(fixture_site, walk(fixture_site, [W + "index.html"], max_depth=2))
    every, counters = mine_pairs(pages, max_proposals=4, languages=[])
    assert len(every) == 4 and counters.get("mine/proposal/pairs") == mine_pairs(pages, max_proposals=4)[1].get(
        "mine/proposal/pairs"), "the fixture's proposable pages are English: [] finds the same pairs as ['en']"
    assert mine_pairs(pages, max_proposals=4, languages=["de"])[0] == []


def test_the_template_writer_proposes_nothing(pair):
    [w] = TemplateWriter().write([pair])
    assert not w.ok and w.reject_reason == "needs_llm"


# --- the LLM writer ----------------------------------------------------------------------------------
def test_prompt_has_both_pages_as_data_and_the_schema_asks_for_quotes(writer, srv, pair):
    srv.script(ok(proposal(pair)))
    writer.write([pair])
    [call] = srv.chat_calls
    system, user = call.messages
    assert "untrusted" in system["content"] and "verbatim" in system["content"]
    data = data_of(user["content"])
    assert [data["page_a"]["url"], data["page_b"]["url"]] == [e.url for e in pair.evidence]
    assert data["page_a"]["text"] == pair.evidence[0].text and data["page_b"]["text"] == pair.evidence[1].text
    assert QUOTE[NG][:40] in (data["page_a"]["text"] + data["page_b"]["text"])
    schema = call.response_format["json_schema"]["schema"]
    assert set(schema["required"]) == {"question", "answer", "quotes_a", "quotes_b"}
    assert load_prompt("proposal", "v1").version == "proposal.v1"


def test_a_good_proposal_is_kept_marked_and_rechecks(writer, srv, pair, fixture_site):
    srv.script(ok(proposal(pair)))
    [w] = writer.write([pair])
    assert w.ok, (w.reject_reason, w.detail)
    assert w.extra["prompt"] == "proposal.v1" and w.extra["kind"] == "proposed"
    rec = to_record(w, writer_name=writer.name, prompt_version=w.extra["prompt"], run_id="t", created_at=T0)
    assert (rec.type, rec.answer, rec.writer, rec.prompt_version) == ("proposed", "2003", srv.model, "proposal.v1")
    assert {e.url for e in rec.evidence} == {NG, JB} and rec.hops == 2
    meta = json.loads(rec.meta_json)
    assert meta["kind"] == "proposed" and meta["a"]["quotes"] and meta["b"]["quotes"] and meta["a"]["text_sha"]
    kept = list(FilterChain(build_filters(FilterConfig()), Counters()).run([rec]))
    assert kept == [rec]
    assert Recheck(fixture_site)(rec) == ""
    # the calls are counted in the ledger under their own stage
    assert writer.client.ledger.stage("propose")["requests"] == 1


@pytest.mark.parametrize(("change", "reason"), [
    ({"quotes": {NG: [QUOTE[NG]], JB: ["Brandt opened a recording studio in Dunmoor in 2003"]}}, "quote_not_in_page"),
    ({"quotes": {NG: [QUOTE[NG]], JB: []}}, "missing_quotes"),
    ({"answer": "2004"}, "answer_not_in_evidence"),
    ({"question": "Did the producer of Northern Glass open his workshop in 2003?"}, "answer_in_question"),
    ({"question": "In which year did the man on page B open his workshop?"}, "not_standalone"),
    ({"question": "According to the text, when did the producer of Northern Glass open a workshop?"},
     "not_standalone"),
    ({"question": "Name the year the producer of Northern Glass opened his workshop."}, "no_question_mark"),
    ({"answer": "the year two thousand and three when he opened a workshop in the mountain town"},
     "answer_too_long"),
])
def test_a_bad_proposal_is_a_counted_reject_with_its_raw_text(writer, srv, pair, change, reason):
    srv.script(ok(proposal(pair, **change)))
    [w] = writer.write([pair])
    assert not w.ok and w.reject_reason == reason and w.proposal is None
    assert json.loads(w.raw)["answer"] == proposal(pair, **change)["answer"], "the raw model text is kept"


def test_broken_json_and_wrong_shape_are_counted_rejects(writer, srv, pair):
    srv.script(invalid_json('{"question": "In which year did'), ok({"question": "only a question?"}))
    w1, w2 = writer.write([pair, pair.model_copy(update={"id": "other"})])
    assert (w1.reject_reason, w2.reject_reason) == ("parse_error", "schema_violation")
    assert w1.raw.startswith('{"question"') and not w1.ok and not w2.ok
    assert writer.client.ledger.stage("propose")["parse_failures"]


def test_quotes_match_with_normalised_whitespace_only(writer, srv, pair):
    spaced = {NG: ["Produced  by Jonas\nBrandt, it added modular synthesizers"], JB: [f"“{QUOTE[JB]}”"]}
    srv.script(ok(proposal(pair, quotes=spaced)))
    [w] = writer.write([pair])
    assert w.ok, (w.reject_reason, w.detail)
    assert squash(spaced[NG][0]) in [e.text for e in w.proposal.evidence]


def test_a_paraphrased_quote_is_not_verbatim(writer, srv, pair):
    paraphrase = {NG: ["produced by Jonas Brandt, it added modular synthesisers"], JB: [QUOTE[JB]]}
    srv.script(ok(proposal(pair, quotes=paraphrase)))
    [w] = writer.write([pair])
    assert w.reject_reason == "quote_not_in_page" and "synthesisers" in w.detail


def test_proposals_and_questions_share_one_batch(writer, srv, pair):
    """A write shard mixes candidates: the proposal goes to the ``propose`` stage, the rest to ``write``."""
    cmp = Candidate(id="c1", type="count", miner="count", root_url=NG, source_urls=[NG], evidence=pair.evidence[:1],
                    answer="10", hops=1, subject="Northern Glass", relation="Track listing",
                    slots_json=json.dumps({"label": "Track listing", "noun": "tracks", "subject": "Northern Glass",
                                           "page_ref": "the Wikipedia article “Northern Glass”"}))

    def respond(call):
        if "quotes_a" in json.dumps(call.response_format or {}):
            return ok(proposal(pair))
        return ok({"question": "How many tracks are on the album Northern Glass by Mira Volkova?"})

    srv.responder = respond
    w_count, w_prop = writer.write([cmp, pair])
    assert w_count.ok and w_count.proposal is None and w_prop.ok and w_prop.proposal.answer == "2003"
    assert writer.client.ledger.stage("write")["requests"] == 1 == writer.client.ledger.stage("propose")["requests"]


def test_proposal_model_is_the_structured_output_schema():
    assert set(Proposal.model_json_schema()["properties"]) == {"question", "answer", "quotes_a", "quotes_b"}

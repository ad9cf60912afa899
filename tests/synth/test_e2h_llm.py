"""The LLM E2H writer against the scripted loopback server: its output goes through the same checks."""

from __future__ import annotations

import json
import re

import pytest

from crawlqa.devserver import FIXTURE_SITE
from pipelines.counters import Counters
from synth.e2h import E2HEngine
from synth.e2h.config import E2HConfig
from synth.e2h.pages import pages_from_files
from synth.e2h.seeds import Seed
from synth.e2h.writers import LLME2HWriter, load_prompt
from synth.llm.client import LLMClient
from synth.search import LocalSearchIndex, SearchRouter
from tests.llm_server import LLMTestServer, config_for, invalid_json, ok

BASE = "http://127.0.0.1:8765"
W = BASE + "/wiki/"

GOOD = {
    "Northern Glass": "the third studio album by Mira Volkova",
    "Mira Volkova": "the Norvanian singer-songwriter and pianist who was formerly of The Driftwood Choir",
    "Dunmoor": "the capital and largest city of Norvania",
}
BAD = {
    "Jonas Brandt": "the producer Jonas Brandt from Halverstad",         # names the entity
    "Kestrel Bay": "the coastal city only 6 m above the sea",            # leaks the answer '6 m'
}


def field(text: str, label: str) -> str:
    m = re.search(rf"^{re.escape(label)}: (.*)$", text, re.M)
    assert m, (label, text)
    return m.group(1).strip()


def responder(call):
    system, user = call.messages[0]["content"], call.user_text
    if "definite description" in system:
        entity = re.sub(r" \(page title: .*\)$", "", field(user, "Entity"))
        if entity == "Tamsel River":
            return invalid_json('{"description": "the long')
        return ok({"description": GOOD.get(entity) or BAD.get(entity) or f"the thing called {entity}"})
    question, entity = field(user, "Question"), field(user, "Entity to replace")
    description = field(user, "Description to put in its place")
    new = question.replace(entity, description)
    if entity == "Dunmoor":
        return ok({"question": new.rstrip("?")})  # not a question any more
    return ok({"question": new})


@pytest.fixture(scope="module")
def index(tmp_path_factory):
    files = sorted((FIXTURE_SITE / "wiki").glob("*.html"))
    idx = LocalSearchIndex.build(pages_from_files(FIXTURE_SITE, files, BASE),
                                 tmp_path_factory.mktemp("e2h-llm") / "search.sqlite")
    yield idx
    idx.close()


@pytest.fixture
def writer(tmp_path):
    with LLMTestServer(responder=responder) as srv:
        client = LLMClient(config_for(srv, tmp_path / "cache.sqlite"))
        try:
            yield LLME2HWriter(client), srv
        finally:
            client.close()


def run(index, writer, seeds, **cfg):
    c = Counters()
    cfg.setdefault("one_search_gate", False)  # a 27-page site: one search finds nearly every answer
    eng = E2HEngine(SearchRouter(index), writer, E2HConfig(**cfg), c, run_id="llm-run")
    return list(eng.run(seeds)), c


def test_prompts_are_versioned_files():
    d, r = load_prompt("e2h_describe"), load_prompt("e2h_rewrite")
    assert (d.version, r.version) == ("e2h_describe.v2", "e2h_rewrite.v2")
    msgs = d.messages(entity="Ulm", subject="Ulm", evidence_kind="k", snippet="s", anchor="-", first_sentence="f",
                      facts="- a: b", avoid='"Ulm"', max_chars="160")
    assert [m["role"] for m in msgs] == ["system", "user"] and "$" not in msgs[1]["content"]


def test_llm_output_that_passes_the_checks(index, writer):
    w, srv = writer
    ng = Seed("ng", "When was Northern Glass released?", "19 April 2013", source_url=W + "Northern_Glass.html")
    (out,), c = run(index, w, [ng], rounds=2)
    assert [st.description for st in out.steps] == [GOOD["Northern Glass"], GOOD["Mira Volkova"]]
    assert out.record.question == ("When was the third studio album by the Norvanian singer-songwriter and pianist "
                                   "who was formerly of The Driftwood Choir released?")
    assert (out.record.writer, out.record.prompt_version) == ("test-model", "e2h_describe.v2+e2h_rewrite.v2")
    assert out.record.difficulty == 2 and c.get("e2h/kept") == 1
    # the evidence is the clue's, whatever the model wrote
    assert all(st.snippet and st.evidence_url.startswith(W) for st in out.steps)
    calls = srv.chat_calls
    assert len(calls) == 4 and all(cl.response_format["type"] == "json_schema" for cl in calls)
    first_user = calls[0].user_text
    assert "Entity: Northern Glass" in first_user and "19 April 2013" in first_user  # the answer is forbidden text
    assert "Forbidden strings" in first_user


def test_llm_output_goes_through_the_same_checks(index, writer):
    w, _ = writer
    seeds = [
        Seed("jb", "When was Jonas Brandt born?", "2 June 1976", source_url=W + "Jonas_Brandt.html"),
        Seed("kb", "What is the elevation of Kestrel Bay?", "6 m", source_url=W + "Kestrel_Bay.html"),
        Seed("tr", "How long is the Tamsel River?", "412 km", source_url=W + "Tamsel_River.html"),
        Seed("dm", "What is the population of Dunmoor?", "812,400", source_url=W + "Dunmoor.html"),
    ]
    outs, c = run(index, w, seeds, rounds=1, max_attempts_per_round=1)
    got = {o.seed.id: (o.record is None, o.failure.reason if o.failure else "") for o in outs}
    assert got == {"jb": (True, "entity_still_present"), "kb": (True, "answer_leaked"),
                   "tr": (True, "writer_failed"), "dm": (True, "writer_failed")}
    tr = next(o for o in outs if o.seed.id == "tr")
    assert "parse_error" in tr.failure.detail or "truncated" in tr.failure.detail
    (attempt,) = [a for a in tr.failure.attempts if a["reason"] == "writer_failed"]
    assert json.dumps(attempt) and attempt["raw"].startswith('{"description"') and attempt["step"] == 1
    dm = next(o for o in outs if o.seed.id == "dm")
    assert "not a question" in dm.failure.detail
    assert c.get("e2h/attempts/writer_failed") == 2 and c.get("e2h/kept") == 0


def test_make_e2h_writer(tmp_path):
    from pipelines.e2h import make_e2h_writer
    from synth.e2h.writers import TemplateE2HWriter

    w, client = make_e2h_writer("offline")
    assert isinstance(w, TemplateE2HWriter) and client is None
    with pytest.raises(ValueError):
        make_e2h_writer("auto")
    with LLMTestServer() as srv:
        cfg = config_for(srv).model_copy(update={"cache_path": None})
        w, client = make_e2h_writer("openai", cfg, cache_dir=tmp_path)
        try:
            assert isinstance(w, LLME2HWriter) and w.name == "test-model"
            assert client.cfg.cache_path == tmp_path / "responses.sqlite"
        finally:
            client.close()

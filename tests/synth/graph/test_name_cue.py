"""Partial cues on the target's own name: closed-world, never more than one letter, used only when needed.

The star world mimics a broad, shallow crawl (wiki-small-2008 from its hub at depth 1): a hub links to
albums that do not link each other, and one album page states nothing askable ("Cak! was an album by
comedian Alexei Sayle."), so under the open world no attribute set can rule it out.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime

from filters.obfuscated import ObfuscatedRecheck
from pipelines.counters import Counters
from schemas.records import Reject
from synth.assemble import to_record
from synth.config import SynthConfig
from synth.graph import values as V
from synth.graph.entities import build_entity_graph
from synth.graph.sample import SampleConfig, _without, cue_alone, needed, sample_queries, valid
from synth.graph.solve import matches, unique
from synth.mine import mine
from synth.writers.obfuscated import write_obfuscated
from tests.synth.graph.world import W, fact, music_world, page

ALBUMS = ("Silver_Sky.html", "Sun_Dance.html", "Blue_Hour.html", "Red_Road.html", "Cak!.html")
SOUL = {"op": "has", "v": "soul"}


def star_world(extra: tuple = ()) -> list:
    return [
        page("Index.html", "Index", [], "", links=ALBUMS + tuple(p.url.rsplit("/", 1)[1] for p in extra)),
        page("Silver_Sky.html", "Silver Sky", [
            fact("Type", "Studio album by Ann Ray"), fact("Released", "1961"), fact("Genre", "Soul"),
            fact("Length", "38:30")]),
        page("Sun_Dance.html", "Sun Dance", [
            fact("Type", "Studio album by Cy Lowe"), fact("Released", "1968"), fact("Genre", "Jazz")]),
        page("Blue_Hour.html", "Blue Hour", [
            fact("Type", "Studio album by Cy Lowe"), fact("Released", "1965"), fact("Genre", "Jazz"),
            fact("Length", "41:00")]),
        page("Red_Road.html", "Red Road", [
            fact("Type", "Studio album by Bo Tate"), fact("Released", "1975"), fact("Genre", "Rock")]),
        page("Cak!.html", "Cak!", [], "Cak! was an album by comedian Alexei Sayle."),
        *extra,
    ]


def cue(letter: str, words: int | None = None) -> dict:
    return {"t": "attr", "s": "?x", "p": "name", "vkind": "name",
            "pred": {"op": "namecue", "part": "title", "letter": letter, "words": words}}


def test_name_cues_show_one_letter_at_most() -> None:
    assert V.name_cues("Silver Sky", "title") == [
        {"op": "namecue", "part": "title", "letter": "S", "words": None},
        {"op": "namecue", "part": "title", "letter": "S", "words": 2}]
    assert [V.value_phrase(p) for p in V.name_cues("Martin Luther King Jr.", "surname")] == [
        "a surname beginning with the letter K", "a four-word name whose surname begins with the letter K"]
    # a hyphenated surname is one word, as a reader counts it
    assert [V.value_phrase(p) for p in V.name_cues("Clive Moyo-Modise", "surname")] == [
        "a surname beginning with the letter M"]
    assert V.name_cues("Jean-Luc Picard Jones", "surname")[1]["words"] == 3
    # the letter would be the whole word (or most of it), a digit, no surname
    for name, part in (("X", "title"), ("Up", "title"), ("The Up", "title"), ("311 Claudia", "title"),
                       ("Madonna", "surname"), ("Ray Oz", "surname")):
        assert V.name_cues(name, part) == [], name
    # a name opening with an article: the article is told and the letter is the next word's, never a bare "T"
    beatles = V.name_cues("The Beatles", "name")
    assert [V.value_phrase(p) for p in beatles] == [
        "a name opening with “The” followed by a word beginning with the letter B",
        "a two-word name opening with “The” followed by a word beginning with the letter B"]
    assert all(V.name_cue_holds(p, "The Beatles") for p in beatles)
    assert not any(V.name_cue_holds(p, n) for p in beatles for n in ("Beatles", "The Animals", "Tea Bags", "A Bee"))
    for name, part in (("Silver Sky", "title"), ("Ray Charles", "surname"), ("Unchain My Heart", "title")):
        for p in V.name_cues(name, part):
            phrase = V.value_phrase(p)
            assert len(p["letter"]) == 1
            assert not any(w.lower() in phrase.lower().split() for w in V.name_words(name) if len(w) > 1), phrase


def test_only_the_name_cue_makes_the_star_set_unique() -> None:
    g = build_entity_graph(star_world())
    silver, cak = g.get(W + "Silver_Sky.html").idx, g.get(W + "Cak!.html").idx
    soul = {"vars": {"?x": "album"}, "constraints": [{"t": "attr", "s": "?x", "p": "genre", "pred": SOUL}]}
    # open world: Cak! states no genre, so it is not ruled out
    assert sorted(matches(g, soul, stop_after=10)) == sorted([silver, cak])
    cued = {"vars": soul["vars"], "constraints": [*soul["constraints"], cue("S")]}
    assert matches(g, cued, stop_after=10) == [silver] and unique(g, cued, silver)
    # the cue alone does not single Silver Sky out (Sun Dance shares it): the genre is needed too
    sun = g.get(W + "Sun_Dance.html").idx
    assert sorted(matches(g, {"vars": soul["vars"], "constraints": [cue("S", 2)]}, stop_after=10)) == sorted([silver, sun])

    got = sample_queries(g, silver, seed=0, tries=40, keep=4)
    assert got, "the star world yields a question about Silver Sky only through the name cue"
    for q, binding in got:
        assert binding["?x"] == silver and matches(g, q, stop_after=5) == [silver]
        [nc] = [c for c in q["constraints"] if c["p"] == "name"]
        assert nc["value"] == "Silver Sky" and nc["pred"]["letter"] == "S" and nc["url"] == W + "Silver_Sky.html"
        assert needed(g, q, silver)[q["constraints"].index(nc)]  # used only where the set needs it
        assert not unique(g, _without(q, q["constraints"].index(nc)), silver)
        assert not unique(g, cue_alone(q), silver)  # the target's own attributes are needed beside the cue
        assert any(c["t"] == "attr" and c["s"] == "?x" and c["p"] == "genre" for c in q["constraints"])
    assert sample_queries(g, silver, seed=0, tries=40, keep=4, cfg=SampleConfig(name_cue=False)) == []


def test_a_cue_that_identifies_the_target_on_its_own_is_refused() -> None:
    """Without Sun Dance, "a two-word title beginning with S" alone singles Silver Sky out among the crawled
    albums: a title lookup, not a description. No question is made, and a cue never stands alone."""
    g = build_entity_graph([p for p in star_world() if "Sun_Dance" not in p.url])
    silver = g.get(W + "Silver_Sky.html").idx
    assert unique(g, {"vars": {"?x": "album"}, "constraints": [cue("S")]}, silver)
    assert sample_queries(g, silver, seed=0, tries=40, keep=4) == []
    lone = {"vars": {"?x": "album", "?y": "album"}, "constraints": [
        {"t": "rel", "s": "?x", "p": "same_decade_released", "o": "?y", "url": "a"},
        {"t": "attr", "s": "?y", "p": "genre", "pred": SOUL, "url": "b"},
        {"t": "attr", "s": "?y", "p": "length", "pred": SOUL, "url": "b"}, {**cue("S"), "url": "a"}]}
    assert not valid(lone, 3)
    assert valid({**lone, "constraints": [*lone["constraints"], {"t": "attr", "s": "?x", "p": "genre",
                                                                  "pred": SOUL, "url": "a"}]}, 3)


def test_solver_rejects_a_set_another_entity_shares_with_the_cue() -> None:
    sad = page("Sad_Sea.html", "Sad Sea", [], "Sad Sea was an album by the comedian Ed Wynn.")
    g = build_entity_graph(star_world((sad,)))
    silver, sad_idx = g.get(W + "Silver_Sky.html").idx, g.get(W + "Sad_Sea.html").idx
    for c in (cue("S"), cue("S", 2)):  # same letter, same word count, no genre stated
        q = {"vars": {"?x": "album"}, "constraints": [{"t": "attr", "s": "?x", "p": "genre", "pred": SOUL}, c]}
        assert sorted(matches(g, q, stop_after=10)) == sorted([silver, sad_idx]) and not unique(g, q, silver)
    assert sample_queries(g, silver, seed=0, tries=40, keep=4) == []
    # a one-word title with the same letter is told apart by the word count, not by the letter
    sorrow = page("Sorrow.html", "Sorrow", [], "Sorrow was an album by the comedian Ed Wynn.")
    g2 = build_entity_graph(star_world((sorrow,)))
    s2 = g2.get(W + "Silver_Sky.html").idx
    q = {"vars": {"?x": "album"}, "constraints": [{"t": "attr", "s": "?x", "p": "genre", "pred": SOUL}]}
    assert not unique(g2, {**q, "constraints": [*q["constraints"], cue("S")]}, s2)
    assert unique(g2, {**q, "constraints": [*q["constraints"], cue("S", 2)]}, s2)
    got = sample_queries(g2, s2, seed=0, tries=40, keep=4)
    assert got and all(c["pred"]["words"] == 2 for qq, _ in got for c in qq["constraints"] if c["p"] == "name")


def test_sets_unique_without_a_cue_get_none() -> None:
    """The linked music world is unique by its attributes and relations: no cue is added there."""
    g = build_entity_graph(music_world())
    for e in g:
        plain = sample_queries(g, e.idx, seed=0, tries=40, keep=4, cfg=SampleConfig(name_cue=False))
        got = sample_queries(g, e.idx, seed=0, tries=40, keep=4)
        if plain:  # a target described without a cue is sampled exactly as before
            assert got == plain
        for q, _ in got:
            assert unique(g, q, e.idx)
            for i, c in enumerate(q["constraints"]):
                if c["p"] == "name":
                    assert not unique(g, _without(q, i), e.idx)


def test_questions_state_the_cue_and_the_recheck_verifies_it() -> None:
    rejects: list[Reject] = []
    cands = list(mine(star_world(), SynthConfig(miners=["obfuscated"]), Counters(), rejects.append))
    silver = [c for c in cands if c.answer == "Silver Sky"]
    assert silver
    recs = []
    for c in silver:
        w = write_obfuscated(c)
        assert w.ok, w.reject_reason
        assert "letter S" in w.question and "Silver" not in w.question and "Sky" not in w.question
        recs.append(to_record(w, writer_name="template", prompt_version="template-v1", run_id="t",
                              created_at=datetime(2026, 1, 1, tzinfo=UTC)))
    f = ObfuscatedRecheck()
    assert all(f.check(r).keep for r in recs)
    r = recs[0]
    bad = [k.model_copy(update={"value": "Cak!", "snippet": "Cak!"}) if k.relation == "name" else k
           for k in r.constraints]
    assert f.check(r.model_copy(update={"constraints": bad})).reason == "snippet_not_in_evidence"
    # the cue is re-checked against ?x's own name: a record claiming another answer fails it
    meta = json.loads(r.meta_json)
    meta["names"]["?x"] = "Cak!"
    v = f.check(r.model_copy(update={"meta_json": json.dumps(meta), "answer": "Cak!"}))
    assert (v.reason, v.detail) == ("constraint_fails", "name cue on 'Silver Sky', not on ?x's name")


def test_a_person_question_opening_on_a_neighbour_names_the_noun_it_asks_for() -> None:
    """"A film and television actor ... shares a nationality with a person with a surname beginning with
    the letter M. ... Who am I describing?" pointed at the actor; the answer is the person."""
    import random

    from synth.writers.obfuscated import Realiser

    slots = {"vars": {"?x": {"kind": "person", "noun": "person"}, "?y": {"kind": "person", "noun": "actor"}},
             "constraints": [
                 {"t": "rel", "s": "?x", "p": "same_nationality", "o": "?y"},
                 {"t": "attr", "s": "?y", "p": "born", "vkind": "date",
                  "pred": {"op": "year", "lo": 1974, "hi": 1980, "style": "range"}},
                 {"t": "attr", "s": "?x", "p": "name", "vkind": "name",
                  "pred": {"op": "namecue", "part": "surname", "letter": "M", "words": None}}],
             "ask": {"what": "name"}}
    firsts = 0
    for seed in range(200):
        r = Realiser(slots, random.Random(seed))
        q = r.describe()
        if r.neighbour_first:
            firsts += 1
            assert q.startswith("An actor") and not q.endswith("Who am I describing?"), q
            assert "person" in q.rsplit(".", 1)[-1], q
    assert firsts

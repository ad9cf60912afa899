"""Obfuscated questions strict hand audit round 9 found ambiguous (bench/audit/hand-audit-strict9.*), one test per
class, on unchanged copies of the saved Ray Charles 2015 pages (tests/fixtures/pages via tests/saved_pages.py).

- "a studio album … five-word title 'The G…'" → The Genius Hits the Road: Ray Charles's navigation box files The
  Genius Sings the Blues under "Studio albums" while its own page calls it a compilation. The pages disagree on its
  sort, so it stays a rival of a studio-album question.
- "a three-word title beginning with the letter G" → Genius Loves Company: "Genius & Friends" is three words to a
  reader who reads the "&" as "and"; a title with such a sign gets no word-count cue and meets a cue of either
  count.
"""

from __future__ import annotations

from synth.graph.solve import attr_ok
from synth.graph.values import name_cue_holds, name_cues, word_counts
from tests.synth.graph.test_universe import DISCO, A, graph


def test_a_box_that_files_an_album_under_another_sort_keeps_that_sort_possible() -> None:
    g = graph(DISCO, ("saved", "The_Genius_Sings_the_Blues.html"), ("saved", "The_Genius_Hits_the_Road.html"))
    blues = g.get(A + "The_Genius_Sings_the_Blues.html")
    assert blues.attrs["type"].value == frozenset({"compilation"})  # its own page: "Compilation album by Ray Charles"
    studio = {"t": "attr", "s": "?x", "p": "type", "pred": {"op": "sort", "v": "studio"}}
    assert attr_ok(g, blues.idx, studio)  # the box's "Studio albums" says otherwise: not refuted
    assert attr_ok(g, blues.idx, dict(studio, pred={"op": "sort", "v": "compilation"}))
    road = g.get(A + "The_Genius_Hits_the_Road.html")
    assert not attr_ok(g, road.idx, dict(studio, pred={"op": "sort", "v": "compilation"}))  # no page says so


def test_an_ampersand_title_has_no_word_count_cue_and_fits_either_count() -> None:
    assert word_counts("Genius & Friends") == {2, 3} and word_counts("Genius Loves Company") == {3}
    assert [c.get("words") for c in name_cues("Genius & Friends", "title")] == [None]
    assert [c.get("words") for c in name_cues("Genius Loves Company", "title")] == [None, 3]
    three_g = {"op": "namecue", "part": "title", "letter": "G", "words": 3}
    assert name_cue_holds(three_g, "Genius & Friends") and name_cue_holds(three_g, "Genius Loves Company")
    assert name_cue_holds(dict(three_g, words=2), "Genius & Friends")
    assert not name_cue_holds(dict(three_g, words=2), "Genius Loves Company")

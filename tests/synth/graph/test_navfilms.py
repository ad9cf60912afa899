"""Films named by navigation boxes (synth/graph/navfilms.py), on unchanged copies of the saved Ray Charles 2015
pages (tests/fixtures/pages/wiki-raycharles-2015/A via tests/saved_pages.py): strict audit round 8 found film
questions unique over the crawled film pages only, while the films' own boxes name rivals (Wilder Napalm, 1993,
in "Films directed by Glenn Gordon Caron")."""

from __future__ import annotations

from synth.graph.navfilms import navbox_films
from synth.graph.values import YearSpan, year_bounds
from tests.saved_pages import saved_page


def test_a_box_without_groups_lists_its_films_with_their_years():
    films = navbox_films(saved_page("Love_Affair_(1994_film).html").read_text(encoding="utf-8"))
    assert [(t, y) for t, y, _ in films] == [("Clean and Sober", (1988,)), ("The Making of Me", (1989,)),
                                            ("Wilder Napalm", (1993,)), ("Love Affair", (1994,)),
                                            ("Picture Perfect", (1997,))]
    assert films[2][2] == "Films directed by Glenn Gordon Caron: Wilder Napalm (1993)"


def test_an_award_box_gives_the_ceremony_year_and_other_boxes_no_films():
    films = {t: y for t, y, _ in navbox_films(saved_page("Ray_(film).html").read_text(encoding="utf-8"))}
    assert films["An Officer and a Gentleman"] == (1982,)  # "Films directed by Taylor Hackford"
    assert films["Ray"] == (2004,)  # the director's box first; its award row (2005) is the same film
    # "NAACP Image Award for Outstanding Motion Picture › 1972-2000: Lady Sings the Blues (1972)": the ceremony's
    # year; the film came out that year or the year before
    (lady,) = films["Lady Sings the Blues"]
    assert isinstance(lady, YearSpan) and year_bounds(lady) == (1971, 1972)
    # the Ray Charles box lists albums and singles, not films
    assert "The Genius Hits the Road" not in films and "What'd I Say" not in films
    assert navbox_films(saved_page("The_Nanny.html").read_text(encoding="utf-8")) == []  # no film box
    assert navbox_films("") == [] and navbox_films("<p>no box</p>") == []


def test_the_solver_counts_the_films_a_box_names():
    # strict audit round 8: "a film directed by someone with the initials G. G. C. … released 1992–1996" → Love
    # Affair, proved unique over the crawled film pages; the page's own box names Wilder Napalm (1993)
    from synth.graph.solve import matches
    from tests.synth.graph.test_universe import attr, graph, names, year

    g = graph(("saved", "Love_Affair_(1994_film).html"))
    (napalm,) = [e for e in g if e.open_record and e.kind == "film" and e.name == "Wilder Napalm"]
    assert napalm.attrs["released"].value == (1993,) and "Glenn Gordon Caron" in napalm.attrs["released"].raw
    # the crawled film itself is not listed a second time
    assert [e.name for e in g if e.kind == "film" and e.name == "Love Affair"] == ["Love Affair"]
    directed = {"vars": {"?x": "film"}, "constraints": [
        attr("?x", "director", {"op": "initials", "v": "GGC"}), attr("?x", "released", year(1992, 1996))]}
    assert names(g, matches(g, directed)) == ["Love Affair", "Wilder Napalm"]  # two answers: not asked
    # its year refutes it: a span that leaves 1993 out still singles Love Affair out
    later = {"vars": {"?x": "film"}, "constraints": [
        attr("?x", "director", {"op": "initials", "v": "GGC"}), attr("?x", "released", year(1994, 1996))]}
    assert names(g, matches(g, later)) == ["Love Affair"]

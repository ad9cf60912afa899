"""A Personnel row that does not say what a person played leaves their instruments open (round 5 read).

Genius_Loves_Company.html (unchanged dump page, tests/fixtures/pages/wiki-raycharles-2015/A): "Natalie Cole - Author,
Guest Appearance". Read as instruments, "author" and "guest appearance" refuted "a jazz singer who played
vocals with a surname beginning with C ..." for her, and Betty Carter was kept as unique; the row does not
say she did not sing (she sings "Fever" on the album).
"""

from __future__ import annotations

from crawlers.extract import extract
from schemas.records import Enumeration, Fact
from synth.graph.entities import build_entity_graph
from synth.graph.solve import attr_ok
from tests.saved_pages import saved_page
from tests.synth.conftest import make_page

A = "http://127.0.0.1:8765/A/"
GLC = saved_page("Genius_Loves_Company.html")


def test_a_guest_appearance_credit_is_no_instrument() -> None:
    ex = extract(GLC.read_text(encoding="utf-8"), A + GLC.name, "wikipedia")
    page = make_page(A + GLC.name, ex.subject, facts=[Fact(**f) for f in ex.facts],
                     enumerations=[Enumeration(**e) for e in ex.enumerations], root=A + "Ray_Charles.html")
    g = build_entity_graph([page])
    people = {e.name: e for e in g if e.open_record and e.kind == "person"}
    vocals = {"t": "attr", "s": "?x", "p": "instrument", "vkind": "set", "pred": {"op": "has", "v": "vocals"}}
    assert "instrument" not in people["Natalie Cole"].attrs
    assert attr_ok(g, people["Natalie Cole"].idx, vocals)
    # a row that names an instrument still refutes: a violinist is no vocalist
    assert people["Daphne Chen"].attrs["instrument"].value == ("violin",)
    assert not attr_ok(g, people["Daphne Chen"].idx, vocals)

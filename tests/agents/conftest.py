"""A tiny synthetic run (pages shards written directly) for the agents tests: fast and exact.

    hub ──> Alpha ──> Beta ──> Gamma          Old_Alpha redirects to Alpha; Lone is linked from nowhere
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from pipelines.shards import ShardWriter
from schemas.records import Evidence, Fact, Link, Page, QARecord

BASE = "http://127.0.0.1:9/wiki/"
NOW = datetime(2026, 1, 1, tzinfo=UTC)


def url(name: str) -> str:
    return BASE + name + ".html"


def page(name: str, text: str, links: list[tuple[str, str]] = (), facts: list[tuple[str, str]] = (),
         final: str | None = None, status: int = 200) -> Page:
    from schemas.ids import stable_hash

    return Page(id=stable_hash("page", url(name)), url=url(name), final_url=final or url(name),
                root_url=url("hub"), depth=1, status=status, content_type="text/html", fetched_at=NOW,
                title=name.replace("_", " "), subject=name.replace("_", " "),
                description=text.split(".")[0] + ".", text=text,
                out_links=[Link(url=url(t), text=a) for t, a in links],
                facts=[Fact(key=k, value=v) for k, v in facts])


PAGES = [
    page("hub", "The hub lists places and people of Norvania.", [("Alpha", "Alpha"), ("Lone_Link", "x")]),
    page("Alpha", "Alpha is a record label founded in Dunmoor. It signed the band Beta.",
         [("Beta", "Beta band"), ("hub", "home")], [("Location", "Dunmoor"), ("Founded", "1990")]),
    page("Beta", "Beta is a glass pop band from Kestrel Bay. Its singer is Gamma.",
         [("Gamma", "Gamma"), ("Alpha", "Alpha")], [("Label", "Alpha"), ("Singer", "Gamma")]),
    page("Gamma", "Gamma is a singer and pianist born in 1971 in Halverstad. " + "Filler sentence. " * 40,
         [("Beta", "Beta")], [("Born", "8 August 1971"), ("Instrument", "Piano")]),
    page("Lone", "Lone is an island that nobody links to; it has 12 tracks of birdsong.", [],
         [("Tracks", "12")]),
    page("Old_Alpha", "", final=url("Alpha")),
    page("Gone", "", status=404),
]


def write_pages(run: Path, pages: list[Page] = PAGES) -> Path:
    with ShardWriter(run / "pages", Page, relative_to=run) as w:
        w.write_all(pages)
    return run


def record(rtype: str, question: str, answer: str, evidence: list[tuple[str, str]], *, path: list[str] = (),
           rid: str = "", **kw) -> QARecord:
    from schemas.ids import stable_hash

    return QARecord(id=rid or stable_hash("qa", rtype, question, answer), type=rtype, question=question,
                    answer=answer, root_url=url("hub"), source_urls=[url(n) for n, _ in evidence],
                    golden_path=list(path) or [url("hub")] + [url(n) for n, _ in evidence],
                    evidence=[Evidence(url=url(n), text=t) for n, t in evidence], hops=len(evidence),
                    writer="template", prompt_version="t1", run_id="r", created_at=NOW, **kw)


@pytest.fixture
def mini_run(tmp_path: Path) -> Path:
    return write_pages(tmp_path / "run")


def dumps(obj) -> str:
    return json.dumps(obj)

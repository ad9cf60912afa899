"""Records that cross a stage boundary. One pydantic model per boundary; Arrow schemas derive from them.

Every model is flat enough for Parquet: nested models become structs, lists become list columns,
free-form data travels as JSON strings (``*_json`` fields) so the schema never depends on the data.
"""

from __future__ import annotations

from datetime import date
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

QAType = Literal["count", "multi_hop", "intersection", "e2h", "single_hop", "comparison", "proposed",
                 "obfuscated"]
QA_TYPES: tuple[str, ...] = ("count", "multi_hop", "intersection", "e2h", "single_hop", "comparison", "proposed",
                             "obfuscated")
# comparison: one fact from each of two pages under two roots, combined by the program (multi-source);
# proposed:   a question + answer an LLM proposed from two linked pages, kept only when its verbatim
#             quotes are found in both pages and contain the answer (writer = model, prompt proposal.vN)
# obfuscated: a target entity described by several loose constraints taken from a subgraph of the
#             crawl's entity graph; the program proves that exactly one crawled entity satisfies them


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Link(_Record):
    """An out-link of a page, as found in its HTML (absolute, canonical URL)."""

    url: str
    text: str = ""


class Fact(_Record):
    """A key/value fact of a page: an infobox row, an arXiv metadata field, a repository counter."""

    key: str
    value: str
    links: list[str] = Field(default_factory=list, description="canonical URLs linked from the value")
    source: str = Field("infobox", description="infobox | meta | sidebar | first_sentence ...")


class Enumeration(_Record):
    """A countable set found in a page's structure: list under a heading, table rows, field values."""

    kind: str = Field(description="list | table | infobox | authors | subjects | versions | topics | releases | contributors")
    label: str = Field(description="what is enumerated, e.g. 'Studio albums'")
    section: str = Field("", description="heading path the enumeration sits under")
    items: list[str] = Field(default_factory=list)
    item_links: list[str] = Field(default_factory=list, description="canonical URL per item, '' when unlinked")
    note: str | None = Field(None, description="the list's blanket note, e.g. 'All songs written by Ray Charles "
                             "except as indicated' (credits of the rows that name none)")
    incomplete: str | None = Field(None, description="why the items may not be all the entries the label and "
                                   "section name ('rows_unread: …', 'section_has_more_text: …'); no count of them holds")


class Page(_Record):
    """One fetched page: where it was reached from, its extracted text and structured facts."""

    id: str = Field(description="hash of the canonical URL")
    url: str = Field(description="canonical URL")
    final_url: str = Field(description="URL after redirects (canonical)")
    root_url: str
    depth: int
    parent_url: str | None = None
    anchor_text: str | None = None
    status: int
    content_type: str
    fetched_at: AwareDatetime
    title: str = ""
    subject: str = Field("", description="the entity the page is about (title without site suffix)")
    description: str = Field("", description="first sentence of the main text")
    text: str = Field("", description="main text (markdown with lists and tables) extracted by trafilatura")
    html: str = Field("", description="raw HTML (stored zstd-compressed)")
    language: str = ""
    date: str | None = None
    site: str = Field("generic", description="site profile that crawled it")
    out_links: list[Link] = Field(default_factory=list)
    facts: list[Fact] = Field(default_factory=list)
    enumerations: list[Enumeration] = Field(default_factory=list)


class Evidence(_Record):
    """A snippet of a source page that supports the answer."""

    url: str
    text: str


class LineageStep(_Record):
    """One E2HQA round: which entity was replaced, by what, found how."""

    round: int
    entity: str
    query: str
    evidence_url: str
    snippet: str
    snippet_hash: str
    description: str
    question_before: str
    question_after: str


class Constraint(_Record):
    """One constraint of a question as data (WebShaper-style triple with variables such as ``?x``):
    ``subject`` ``relation`` ``object``, with the page and snippet that state it, so a program can
    re-verify the answer. ``value`` is the exact value behind an obfuscated ``object`` (e.g. object
    "the 1950s", value "1957")."""

    subject: str
    relation: str
    object: str
    value: str = ""
    evidence_url: str = ""
    snippet: str = ""


class QARecord(_Record):
    """One kept question with its verified answer and full provenance."""

    id: str = Field(description="content hash of type, question, answer and sources")
    type: QAType
    question: str
    answer: str
    root_url: str
    source_urls: list[str]
    golden_path: list[str] = Field(default_factory=list, description="click path of URLs from the root")
    evidence: list[Evidence]
    hops: int
    language: str = "en"
    writer: str = Field(description="'template' or the model name")
    prompt_version: str
    difficulty: int = 1
    run_id: str
    created_at: AwareDatetime
    domain: str = ""
    candidate_id: str = Field("", description="id of the evidence candidate the question was written from")
    lineage: list[LineageStep] = Field(default_factory=list)
    solve_rate: float | None = None
    meta_json: str = Field("{}", description="type-specific details (items counted, path facts...) as JSON")
    aliases: list[str] = Field(default_factory=list, description="other accepted forms of the answer")
    as_of: date | None = Field(None, description="the date the answer holds as of")
    as_of_source: str = Field("", description="page_modified | page_version | page_date | fetched")
    constraints: list[Constraint] = Field(default_factory=list, description="the question as triples")
    shortcut_rank: int | None = Field(
        None, description="rank (1-based) of the first search result for the question's own text that "
                          "gives the answer away; None when none of the top 10 does")
    solve_steps: float | None = Field(None, description="mean tool calls of the agent's solving rollouts")
    difficulty_tier: str = Field("", description="easy | medium | hard | unsolved, from agent rollouts")


class Reject(_Record):
    """A dropped page, candidate or question, with the stage and reason it was dropped for."""

    id: str
    stage: str = Field(description="crawl | extract | mine | write | filter | dedup | e2h")
    reason: str
    detail: str = ""
    record_id: str = ""
    url: str = ""
    dup_of: str = ""
    run_id: str = ""
    payload_json: str = Field("{}", description="the dropped record (or raw LLM text) as JSON")


STAGE_MODELS: dict[str, type[BaseModel]] = {"pages": Page, "qa": QARecord, "rejects": Reject}


class Candidate(_Record):
    """Evidence mined by the program, with the answer it computed; a writer only words the question."""

    id: str = Field(description="hash of type, evidence and answer")
    type: QAType
    miner: str
    root_url: str
    source_urls: list[str]
    golden_path: list[str] = Field(default_factory=list)
    evidence: list[Evidence]
    answer: str
    hops: int
    language: str = "en"
    subject: str = Field("", description="the entity the question is about")
    relation: str = Field("", description="what is asked of the subject, e.g. 'studio albums'")
    slots_json: str = Field("{}", description="miner-specific values for the writer (items, path facts...)")
    aliases: list[str] = Field(default_factory=list, description="other accepted forms of the answer")
    constraints: list[Constraint] = Field(default_factory=list, description="the question as triples")
    as_of: date | None = Field(None, description="latest date of the source pages (see synth.asof)")
    as_of_source: str = Field("", description="page_version | page_modified | page_date | fetched")


STAGE_MODELS["candidates"] = Candidate

"""COUNT: how many items an enumeration of a page lists (list under a heading, table rows,
multi-valued infobox field, navbox group, arXiv authors/subjects/versions, GitHub topics...).

The answer is ``len(items)``, computed here from the page structure; the items travel as evidence
so a filter can recount. Drops: ``count_out_of_range``, ``ambiguous_label`` (two enumerations of
the page share label and section), ``duplicate_enumeration`` (the same navbox on many pages: kept
once, on the page it is about), ``label_too_long``, ``no_subject``, ``several_per_item`` (a list of
people with a line naming two: "A & B - trumpet"), ``not_all_people`` (a list of people with an
entry that is a group or no one: "The Ray Charles Orchestra", "unknown"), ``volatile`` (a count the live site
changes: versions, releases, contributors, topics, "current"/"–present" lists; ``synth.volatile``),
``entry_withdrawn`` / ``entry_names_two`` (an entry is not one counted thing: "no masters, rejected", "later
covered by …": ``not_one_each``), ``slash_alternative`` (an entry joins alternatives with a slash: "Alto/Baritone Saxophone" is one
or two instruments, "Soothe Me"/"Hold On! I'm Comin'" one line and two songs), ``rows_repeat_entry``
(a table whose rows repeat a title or a catalogue number: five chart rows of three singles and four
songs are not "five singles"), ``section_has_sublists`` (the list's section holds another list in a
subsection: "the “Personnel” section" of The Genius Hits the Road lists 10 people, then 23 under its
bonus-track subsection), and what the parser marked incomplete (``incomplete_reason``):
``table_rows_unread`` (a data row whose entry cell cannot be read: the count is unknown, never an
undercount), ``section_has_other_table`` (Hit the Road Jack's "Charts" holds a 1961 and a 2011 table:
"the table in the “Charts” section" is not one), ``section_has_more_text`` (That Lucky Old Sun's
"Other covers": 14 bullets, then six more covers as paragraphs), ``disambiguation_page`` (the lists of a
disambiguation page: titles sharing a name), ``infobox_row_not_a_list`` (an infobox cell whose parts are a work and
its credits, not parallel values: Love Affair (1994 film) "Based on: Love Affair screenplay by / Delmer Daves /
Donald Ogden Stewart"), ``infobox_row_in_two_infoboxes`` (the row is in two infoboxes of the page: "its
infobox" of I Can't Stop Loving You lists three genres or two), and ``label_is_sentence`` (a list under a lead-in sentence with
no heading above it; under a heading it is asked as "the list introduced by “…:” in the “…” section").
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import ClassVar

from schemas.records import Candidate, Enumeration, Evidence
from synth.miners.base import (
    Graph,
    MineContext,
    Node,
    enum_ambiguous,
    enum_sublists,
    lang,
    make_candidate,
)
from synth.text import (
    chart_items,
    clean,
    enum_noun,
    item_key,
    item_name,
    name_variants,
    norm,
    person_like,
)
from synth.volatile import volatile_enumeration

# lists whose entries are each one person
_QUALIFIED_EXTRA = re.compile(r"^\s*\([^)]*:[^)]*\)\s*$")  # a whole line "(Pilot episode: A and B)"
_CONTAINER = re.compile(r"^\s*(season|series|volume|vol\.|disc|disk|book|part)\s+\d+\b", re.I)
_CONTAINER_NOUN = re.compile(r"\b(seasons|series|volumes|discs|disks|books|parts|entries|items|values)\b", re.I)
_PEOPLE = re.compile(r"\b(people|members|writers|producers|authors|composers|personnel|musicians)$", re.I)
# infobox rows only a group's page has
_GROUP_KEYS = ("Members", "Past members", "Current members", "Former members")
_SEVERAL = re.compile(r",(?!\s*(?:jr|sr|ii|iii|iv)\b)|\s&\s|\s(?:and|or|with)\s", re.I)
_SLASHED = re.compile(r"[^\W\d_]\s*/\s*[^\W\d_]")
_TWO_TITLES = re.compile(r"[\"”]\s*/\s*[\"“]")
# a table cell that names an entry: a quoted title, or a catalogue number ("ABC 10375", "45-10330", "SD 1289")
_TITLE_CELL = re.compile(r"^[\"“].+[\"”]$")
_CATALOGUE_CELL = re.compile(r"^(?=.*\d)(?=.*[A-Za-z-])(?:[A-Z][\w.&]*\s)?[A-Z]{0,6}[- ]?\d{2,}[\w-]*$")


def incomplete_reason(enum: Enumeration) -> str:
    """The drop reason of an enumeration the parser marked incomplete (``Enumeration.incomplete``):
    ``table_rows_unread``, ``section_has_other_table``, ``section_has_more_text``."""
    head = (enum.incomplete or "").split(":", 1)[0].strip()
    return "table_rows_unread" if head == "rows_unread" else head or "incomplete_enumeration"


def slash_alternative(item: str) -> str:
    """The part of an entry that joins alternatives with a slash ("Alto/Baritone Saxophone",
    "singer/songwriter", '"Soothe Me"/"Hold On! I'm Comin'"'), '' when none: such an entry is one
    line and one or two things, so no count of things is certain. A slash inside parentheses
    ('"America the Beautiful" (Bates/Ward)': two writers of one song) or after a role dash does not
    count."""
    text = clean(item)
    if _TWO_TITLES.search(text):
        return text
    name = re.sub(r"\([^()]*\)", "", item_name(item))
    m = _SLASHED.search(name)
    return name if m else ""


# an entry that says of itself that it does not exist as the thing counted: a rejected session with "no
# masters", an unissued / unreleased / cancelled / withdrawn / shelved one ("previously unreleased" and "not
# released until 1990" are released)
_WITHDRAWN = re.compile(
    r"\b(?:rejected|(?<!previously )(?<!formerly )(?<!then )un(?:released|issued)|no masters?"
    r"|never (?:released|issued|completed|aired|broadcast|published)"
    r"|(?:was |were )?not (?:released|issued)\b(?!\s+(?:as|in|on|until|till|before|outside|by|to|for|from)\b)"
    r"|cancel+ed|withdrawn|shelved|scrapped)\b", re.I)
# an entry that names a second one of the counted things after naming its own, in a later sentence: "Kay
# Starr (1953) (…). Her version of the song was later covered by The Puppini Sisters …", "Tom Jones recorded
# this song for the Tom Jones on Stage EP … . Another version was recorded for the 1967 album …", Jerry Lee
# Lewis's 1969 blues version "… . However, when he returned to it in 1979, …", The Quarrymen's home recording
# "… . They also played the song … at The Star-Club …, which is included in the album Live …"; an entry
# that begins so is one thing ("Ray Charles also covered the song for his 1964 album"), and the same record
# "also included on" a compilation or box set is no second recording
_SECOND = re.compile(
    r"\b(?:later (?:covered|re-?recorded|recorded|remade|revived|performed)"
    r"|(?:also|again) (?:recorded|covered|performed|played|sung|sang)"
    r"|re-?recorded|remade|covered (?:it |the song )?again|(?:returned|came back) to (?:it|the song)\b"
    r"|(?:another|a second|a new|a later|a different|a live) (?:version|recording|take|rendition)"
    r"|(?:version|recording|rendition) was (?:later |also )?covered)", re.I)
# … and words that name two wherever they stand: "recorded it in 1946 and again in 1956", "two versions"
_TWO = re.compile(r"\b(?:and again (?:in|on|for) |(?:recorded|covered|performed) (?:it |the song )?twice"
                  r"|(?:two|both) (?:versions|recordings|takes|renditions)\b)", re.I)
_SENTENCE_END = re.compile(r"[.;!?]\s")
_QUOTED = re.compile(r"\"[^\"]*\"|“[^”]*”")


def not_one_each(item: str) -> tuple[str, str]:
    """(reason, the words) when an entry is not one counted thing: ``entry_withdrawn`` (it says it was
    rejected, unissued, cancelled, withdrawn…: "Keller Sisters and Lynch with the Clevelanders, March 28,
    1927, Brunswick studios, no masters, rejected") or ``entry_names_two`` (it names a second one: Kay
    Starr's 1953 record "…. Her version of the song was later covered by The Puppini Sisters … in 2008");
    ('', '') when neither. Quoted titles are not read ("Rejected" may be a song)."""
    text = _QUOTED.sub("", clean(item))
    m = _WITHDRAWN.search(text)
    if m:
        return "entry_withdrawn", m.group(0)
    m = _TWO.search(text)
    if m:
        return "entry_names_two", m.group(0)
    for m in _SECOND.finditer(text):
        if _SENTENCE_END.search(text, 0, m.start()):
            return "entry_names_two", m.group(0)
    return "", ""


# a list's label that is the sentence introducing it ("The following songs were used in the film:"), not a
# heading: a question would call it "the “The following songs were used in the film” subsection"
# (lower case: "Will Young version" is a heading)
_SENTENCE_VERB = re.compile(
    r"\b(?:is|are|was|were|be|been|include[sd]?|including|go|goes|went|work(?:s|ed)?|refers?|consists?|"
    r"contains?|features?|used|listed|follows?|may|can|could|will|would|has|have|had|did|does)\b")


def sentence_label(enum: Enumeration) -> bool:
    """Whether the list's label is a lead-in sentence the parser took for its subsection (three or more
    words with a verb: "The following songs were used in the film", "Award recipients include"), not a
    heading ("Side B", "Disc 2 (1954-1957)", "Bonus tracks on the CD reissue")."""
    return sentence_text(enum.label)


def sentence_text(label: str) -> bool:
    """:func:`sentence_label` of a label's text (three or more words with a verb)."""
    label = clean(label)
    return len(label.split()) >= 3 and bool(_SENTENCE_VERB.search(label))


def repeated_cell(items: list[str]) -> str:
    """A title or catalogue number that two rows of a table share ('ABC 10375' on the rows of "You
    Are My Sunshine" and "Your Cheating Heart"; '“Your Cheating Heart”' charted twice), '' when none."""
    rows = [[c.strip() for c in it.split(" | ")] for it in items]
    if not rows or min(len(r) for r in rows) < 2:
        return ""
    for col in range(min(len(r) for r in rows)):
        cells = [r[col] for r in rows]
        if not all(_TITLE_CELL.match(c) or _CATALOGUE_CELL.match(c) for c in cells):
            continue
        seen: set[str] = set()
        for c in cells:
            k = norm(c)
            if k in seen:
                return c
            seen.add(k)
    return ""


def enumeration_evidence(node: Node, enum: Enumeration) -> Evidence:
    where = enum.section or enum.label
    head = f"{node.name} — {where}" if where else node.name
    return Evidence(url=node.url, text=head + ":\n" + "\n".join(f"- {it}" for it in enum.items))


def _navbox_title(enum: Enumeration) -> str:
    return enum.section.removesuffix(" navigation box") if enum.kind == "navbox" else ""


class CountMiner:
    name: ClassVar[str] = "count"

    def mine(self, graph: Graph, ctx: MineContext) -> Iterator[Candidate]:
        cfg = ctx.cfg
        home = self._homes(graph)
        for node in graph:
            if not node.name:
                if node.enumerations:
                    ctx.reject("no_subject", node.url, url=node.url)
                continue
            for i, enum in enumerate(node.enumerations):
                key = (node.url, i, enum.label, enum.section)
                n = len(enum.items)
                payload = {"page": node.url, "label": enum.label, "section": enum.section, "count": n}
                if enum.incomplete:
                    # a table row the parser cannot read (the count is unknown, never an undercount), a
                    # section with a second table ("the table in …" is not one), a list whose section
                    # goes on with paragraphs that may be more entries (That Lucky Old Sun's covers)
                    ctx.reject(incomplete_reason(enum), key, url=node.url, payload=payload,
                               detail=enum.incomplete[:200])
                    continue
                if home.get(self._sig(enum), node.url) != node.url:
                    ctx.reject("duplicate_enumeration", key, url=node.url, payload=payload,
                               detail=f"same items as on {home[self._sig(enum)]}")
                    continue
                if volatile_enumeration(enum, node.url):
                    ctx.reject("volatile", ("enum", node.url, enum.kind, enum.label, enum.section), url=node.url,
                               payload=payload, detail=f"{enum.kind} {enum.label!r} changes on the live site")
                    continue
                box = _navbox_title(enum)
                if box and norm(box) != norm(node.name):
                    ctx.reject("navbox_elsewhere", key, url=node.url, payload=payload,
                               detail=f"navigation box {box!r} is counted on its own page only")
                    continue
                if not cfg.min_count <= n <= cfg.max_count:
                    ctx.reject("count_out_of_range", key, url=node.url, payload=payload,
                               detail=f"{n} items, bounds [{cfg.min_count}, {cfg.max_count}]")
                    continue
                if not enum.label or len(enum.label) > cfg.max_label_chars:
                    ctx.reject("label_too_long", key, url=node.url, payload=payload)
                    continue
                keys = [re.sub(r"^(the|a|an) ", "", norm(it)) for it in enum.items]
                if _PEOPLE.search(enum_noun(enum.label, enum.section)):
                    # "David Newman - tenor saxophone" and "David Newman - baritone saxophone" are one person
                    keys = [item_key(it) or k for it, k in zip(enum.items, keys, strict=True)]
                if len(set(keys)) < len(keys):
                    ctx.reject("duplicate_items", key, url=node.url, payload=payload,
                               detail="two items read the same: the count would be ambiguous")
                    continue
                slashed = "" if enum.kind == "table" else next(filter(None, map(slash_alternative, enum.items)), "")
                if slashed:
                    # "How many instruments … in its infobox?" of "Alto/Baritone Saxophone, Piano": 2 or 3
                    ctx.reject("slash_alternative", key, url=node.url, payload=payload, detail=slashed[:200])
                    continue
                repeated = repeated_cell(enum.items) if enum.kind == "table" else ""
                if repeated:
                    # "How many singles does the table … list?": 5 chart rows, 3 catalogue numbers, 4 songs
                    ctx.reject("rows_repeat_entry", key, url=node.url, payload=payload,
                               detail=f"{repeated!r} on two rows"[:200])
                    continue
                odd = next(((r, w, it) for it in enum.items for r, w in [not_one_each(it)] if r), None)
                if odd:
                    # "How many recorded versions are listed in the “Recorded versions” section of … “Side by
                    # Side (1927 song)”?": 35 bullets, one a rejected session with no masters, one naming a
                    # later cover too: 34, 35 or 36 recordings
                    ctx.reject(odd[0], key, url=node.url, payload=payload, detail=f"{odd[1]!r} in {odd[2]!r}"[:200])
                    continue
                several = next((it for it in enum.items if _PEOPLE.search(enum_noun(enum.label, enum.section))
                                and _SEVERAL.search(item_name(it))), "")
                if several:
                    # "Joseph Bridgewater & John Hunt - trumpet": a line is not one person, the count
                    # of "credited people" would be the count of lines
                    ctx.reject("several_per_item", key, url=node.url, payload=payload, detail=several[:200])
                    continue
                if _PEOPLE.search(enum_noun(enum.label, enum.section)):
                    twice = next((f"{a!r} / {b!r}" for i, a in enumerate(enum.items) for b in enum.items[i + 1:]
                                  if name_variants(a, b)), "")
                    if twice:
                        # "Bob Gratts – engineer" and "Robert Gratts – engineer" (True to Life): one person
                        # under two forms of the name, or two: the count is 5 or 6
                        ctx.reject("name_variants", key, url=node.url, payload=payload, detail=twice[:200])
                        continue
                    other = self._not_a_person(graph, enum)
                    if other:
                        # "credited people" of Ray Charles (album): Ray Charles, The Ray Charles Orchestra,
                        # Jerry Wexler, Marvin Israel — an orchestra is not a person, the count is not 4
                        ctx.reject("not_all_people", key, url=node.url, payload=payload, detail=other[:200])
                        continue
                odd_part = next((it for it in enum.items if _QUALIFIED_EXTRA.search(it)), "")
                if odd_part:
                    # "Theme music composer": "Ann Hampton Callaway" / "(Pilot episode: Cy Coleman and Dorothy
                    # Fields)": a qualified line naming others is no value of its own (2 lines, 3 composers)
                    ctx.reject("qualified_extra_line", key, url=node.url, payload=payload, detail=odd_part[:200])
                    continue
                container = next((it for it in enum.items if _CONTAINER.match(it)), "")
                if container and not _CONTAINER_NOUN.search(enum_noun(enum.label, enum.section)):
                    # "How many episodes does the “The Nanny” navigation box list under “Episodes”?": its
                    # entries are Season 1 … Season 6 (and the pilot): seasons, not episodes
                    ctx.reject("items_are_containers", key, url=node.url, payload=payload, detail=container[:200])
                    continue
                joined = self._parts_of_one_name(graph, enum)
                if joined:
                    # "How many labels does … “Dedicated to You” list in its infobox?": its Label cell reads
                    # "ABC, Paramount", the label other pages write "ABC-Paramount": 1 label or 2
                    ctx.reject("parts_form_one_name", key, url=node.url, payload=payload, detail=joined[:200])
                    continue
                if enum_ambiguous(node, enum):
                    ctx.reject("ambiguous_label", key, url=node.url, payload=payload,
                               detail=f"{enum.label!r} under {enum.section!r} occurs more than once")
                    continue
                sub = enum_sublists(node, enum)
                if sub:
                    # "How many credited people are listed in the “Personnel” section of … The Genius Hits
                    # the Road?": 10 in its first list, 23 more under its bonus-track subsection
                    ctx.reject("section_has_sublists", key, url=node.url, payload=payload,
                               detail=f"{enum.section!r} also holds {sub!r}"[:200])
                    continue
                where = self._where(enum)
                if where is None:
                    # a list whose label is a lead-in sentence and which has no heading of its own to name it by
                    ctx.reject("label_is_sentence", key, url=node.url, payload=payload, detail=enum.label[:200])
                    continue
                yield self._candidate(graph, node, enum, *where)

    @staticmethod
    def _where(enum: Enumeration) -> tuple[str, str, str] | None:
        """(section, label, lead-in) a question names the list by: its own section and label, or, when its
        label is the lead-in sentence the parser took for a subsection ("Soundtrack › The following songs were
        used in the film"), its heading's and the sentence ("the list introduced by “The following songs were
        used in the film:” in the “Soundtrack” section", not "the “The following songs …” subsection"); None
        when a lead-in sentence has no heading above it."""
        if enum.kind not in ("list", "table") or not sentence_label(enum):
            return enum.section, enum.label, ""
        parts = [p.strip() for p in enum.section.split("›")]
        if len(parts) < 2 or clean(parts[-1]) != clean(enum.label):
            return None
        return " › ".join(parts[:-1]), parts[-2], clean(enum.label)

    @staticmethod
    def _parts_of_one_name(graph: Graph, enum: Enumeration) -> str:
        """Two adjacent infobox parts that the crawl writes as one hyphenated name ("ABC, Paramount" where
        other pages say "ABC-Paramount"): 'A / B → A-B', else ''."""
        if enum.kind != "infobox" or len(enum.items) < 2:
            return ""
        names = graph.hyphenated_names()
        for a, b in zip(enum.items, enum.items[1:], strict=False):
            one = f"{a.strip()}-{b.strip()}".lower()
            if one in names:
                return f"{a!r} / {b!r} → {one!r}"
        return ""

    @staticmethod
    def _not_a_person(graph: Graph, enum: Enumeration) -> str:
        """The first entry of a list of people that is not (or may not be) one person: a name that
        does not read as a person's (``person_like``), or a link to a crawled page of a group (an
        infobox with members); '' when every entry is a person."""
        links = list(enum.item_links) + [""] * (len(enum.items) - len(enum.item_links))
        for it, link in zip(enum.items, links, strict=False):
            if not person_like(it):
                return it
            dst = graph.get(link) if link else None
            if dst is not None and any(dst.fact(k) is not None for k in _GROUP_KEYS):
                return f"{it} (links to a group: {dst.name})"
        return ""

    @staticmethod
    def _sig(enum: Enumeration) -> tuple:
        return (enum.kind, enum.label, enum.section, tuple(enum.items))

    def _homes(self, graph: Graph) -> dict[tuple, str]:
        """For an enumeration repeated on several pages, the one page that keeps it."""
        where: dict[tuple, list[Node]] = defaultdict(list)
        for node in graph:
            for enum in node.enumerations:
                sig = self._sig(enum)
                if not where[sig] or where[sig][-1].url != node.url:
                    where[sig].append(node)
        home: dict[tuple, str] = {}
        for sig, nodes in where.items():
            if len(nodes) < 2:
                continue
            title = norm(sig[2].removesuffix(" navigation box")) if sig[0] == "navbox" else ""
            best = sorted(nodes, key=lambda n: (norm(n.name) != title, n.depth, n.url))[0]
            home[sig] = best.url
        return home

    def _candidate(self, graph: Graph, node: Node, enum: Enumeration, section: str, label: str,
                   leadin: str = "") -> Candidate:
        n = len(enum.items)
        slots = {
            "page": node.url, "site": node.site, "subject": node.name, "page_ref": node.ref,
            "kind": enum.kind, "label": label, "section": section, "navbox": _navbox_title(enum),
            "noun": "charts" if chart_items(enum.items) else enum_noun(label, section), "leadin": leadin,
            "items": list(enum.items), "item_links": list(enum.item_links),
            "count": n,
        }
        return make_candidate(
            type="count", miner=self.name, root_url=node.root_url, source_urls=[node.url],
            golden_path=graph.path_to(node.url) or [node.url], evidence=[enumeration_evidence(node, enum)],
            answer=str(n), hops=1, language=lang(node), subject=node.name, relation=enum.label, slots=slots,
        )

"""E2H writers: phrase a description of an entity from a clue, and rewrite the question with it.

Both operations take and return batches (one LLM batch per step of a round):

* ``describe(requests) -> outputs``: a definite description of the entity from its clue, that does
  not name it;
* ``rewrite(requests) -> outputs``: the question with the entity replaced by the description, the
  answer unchanged.

``TemplateE2HWriter`` (offline, deterministic, the default) phrases from the clue's structure;
``LLME2HWriter`` asks a model through :class:`synth.llm.client.LLMClient` with the versioned prompts
``synth/prompts/e2h_describe.txt`` and ``e2h_rewrite.txt``. A writer never decides whether its output
is good: the round's checks do (and count every failure).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from string import Template
from typing import Any, Protocol

from pydantic import BaseModel, Field

from synth.e2h.clues import _CHRONOLOGY_KEYS, Clue, value_count
from synth.e2h.entities import QUESTION_WORDS, TYPE_NOUNS, _ws
from synth.search import norm_key


def display_key(key: str) -> str:
    """An infobox key as prose: 'Producer(s)' -> 'producer', 'B-side' kept, 'ISBN' kept, 'No. of
    seasons' -> 'number of seasons'."""
    k = " ".join(re.sub(r"\(s\)", "", key, flags=re.I).split()).strip(" :")
    k = re.sub(r"^No\.\s+of\b", "number of", k, flags=re.I)
    if re.match(r"^[A-Z]-", k):  # 'B-side', 'A-side'
        return k
    return k if (k[1:] != k[1:].lower() or k.isupper()) else k.lower()

PROMPTS_DIR = Path(__file__).resolve().parent.parent / "prompts"
TEMPLATE_VERSION = "e2h-template.v1"

_TYPE_SET = frozenset(TYPE_NOUNS)
_MODIFIERS = frozenset(_ws("""jazz rock pop soul blues country folk gospel funk punk rap hip-hop classical
studio debut live compilation greatest coastal capital port market mountain river industrial medieval
former first second third final early late famous"""))
_STOP_BEFORE = frozenset(_ws("by of in on at for from with to and or is was were are did does released recorded "
                              "written produced directed"))
_PARTICIPLES = re.compile(
    r"^(born|raised|based|located|situated|known|released|recorded|founded|established|written|directed|"
    r"produced|named|built|formed|composed|published|performed|set|held)\b", re.I)
_IRREGULAR_PARTICIPLES = frozenset(_ws("lit built born made held begun run won sung written known set founded"))
_VERBISH = frozenset(_ws("record play show track set star film"))  # type nouns that are verbs too
_CUTS = (";", ", who ", ", which ", ", whose ", " who ", " which ", " that ", " before ", " after ",
         " until ", " while ", " during ", ", best known", ", known", ", released", ", recorded")


@dataclass(frozen=True)
class DescribeRequest:
    """Describe ``entity`` (page subject ``subject``) from ``clue``; never mention ``avoid``."""

    key: str
    entity: str
    subject: str
    clue: Clue
    first_sentence: str = ""
    facts: tuple[tuple[str, str], ...] = ()
    avoid: tuple[str, ...] = ()
    max_chars: int = 160


@dataclass(frozen=True)
class RewriteRequest:
    """Replace ``entity`` (at ``start:end`` of ``question``) by ``description``; keep the answer."""

    key: str
    question: str
    entity: str
    start: int
    end: int
    description: str
    answer: str = ""


@dataclass
class WriterOutput:
    key: str
    text: str | None
    error: str = ""
    raw: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return bool(self.text) and not self.error


class E2HWriter(Protocol):
    name: str            # stored as QARecord.writer ('template' or the model name)
    prompt_version: str  # stored as QARecord.prompt_version

    def describe(self, requests: list[DescribeRequest]) -> list[WriterOutput]: ...

    def rewrite(self, requests: list[RewriteRequest]) -> list[WriterOutput]: ...


# --- template phrasing ------------------------------------------------------------------------------
def shorten(phrase: str, max_chars: int) -> str | None:
    """``phrase`` cut at the latest clause boundary that fits ``max_chars`` (None when none fits)."""
    phrase = phrase.strip().rstrip(" ,;:.")
    if len(phrase) <= max_chars:
        return phrase
    best = ""
    for cut in _CUTS:
        start = 0
        while (i := phrase.find(cut, start)) != -1:
            cand = phrase[:i].rstrip(" ,;:")
            last = cand.split()[-1].lower() if cand.split() else ""
            if last.endswith("ed") or last in _IRREGULAR_PARTICIPLES:
                start = i + 1  # '… and musicians recorded' (cut before 'during 1997 to 2005'): a clause cut short
                continue
            if len(cand) <= max_chars and len(cand) > len(best) and len(cand.split()) >= 3:
                best = cand
            start = i + 1
    return best or None


_PRONOUN_CLAUSE = re.compile(r",\s+(?:who|which|that|where)\s+[^,]*?\b(?:it|him|her|them|its|his|their)\b.*$", re.I)
_SECOND_CLAUSE = re.compile(r",?\s+and\s+(?:was|is|were|are|has|had|became|becomes|later|first|then|also)\b.*$",
                            re.I)


def the_phrase(pred: str, type_: str, max_chars: int) -> str | None:
    """A definite description from a predicate: 'a coastal city in X' -> 'the coastal city in X'.

    Only a noun phrase ('a/an/the ...') or a participle ('born in X' -> 'the singer born in X') can
    stand where the entity stood; 'best known in the version ...' cannot (None). A second clause
    (', and was a hit ...') is cut off."""
    p = _SECOND_CLAUSE.sub("", pred.strip()).strip(" ,")
    p = _PRONOUN_CLAUSE.sub("", p).strip(" ,")  # ', who first recorded it on ...': 'it' has nothing to point at
    low = p.lower()
    if low.startswith(("a ", "an ")):
        p = "the " + p.split(" ", 1)[1]
    elif low.startswith("the "):
        p = "the " + p[4:]
    elif _PARTICIPLES.match(p) and type_:
        p = f"the {type_} {p}"
    else:
        return None
    return shorten(p, max_chars)


_MONTHS = ("january|february|march|april|may|june|july|august|september|october|november|december|"
           "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec")
_DAY_DATE = re.compile(rf"^(?:\d{{1,2}}\s+(?:{_MONTHS})\b|(?:{_MONTHS})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?\b)", re.I)
_RANGE = re.compile(r"^(.*?\d.*?)\s+[-–]\s+(.*\d.*)$|^(\d{4})\s*[-–]\s*(\d{2,4}\b.*)$")


def _year_or_date(value: str) -> str:
    """'in 1977', 'in March 1964', 'on June 19, 1953', 'between 1952 and 1959', or the value itself."""
    v = value.strip().rstrip(".;,")
    m = _RANGE.match(v)
    if m:
        a, b = (m.group(1), m.group(2)) if m.group(1) else (m.group(3), m.group(4))
        return f"between {a.strip(' ,')} and {b.strip(' ,')}"
    if _DAY_DATE.match(v):
        return f"on {v}"
    if re.search(r"\d{4}", v) and re.match(rf"^(?:(?:early|mid|late)[- ])?(?:{_MONTHS}|\d{{4}}|the\s)", v, re.I):
        return f"in {v}"
    return v


def _is_verbal(k: str) -> bool:
    """A key that reads as a verb phrase ('directed by', 'located in', 'starring')."""
    return k.split()[-1:] in (["by"], ["in"], ["of"], ["from"], ["to"], ["with"], ["at"], ["on"]) or \
        k.endswith("ing")


_TITLE_KEYS = _CHRONOLOGY_KEYS | {"album", "from the album", "a side", "b side"}


def _several(clue: Clue, nk: str, value: str) -> bool:
    """A row of people, labels or genres that lists several ('John Burk, Phil Ramone', 'Ray Charles and Renald
    Richard'): 'whose producer is …' would read as one person."""
    from synth.e2h.clues import _PEOPLE_FAMILIES, relation_family, value_items

    fam = relation_family(clue.key, value)
    if fam in _PEOPLE_FAMILIES:
        return len(value_items(value, people=True)) > 1
    if fam == "label":  # 'ABC-Paramount, 45-10330' is one label and its catalogue number
        return len([x for x in re.split(r"\s*(?:;|,|\s/\s|\n)\s*", value) if x and not re.search(r"\d", x)]) > 1
    return nk in ("genre", "genres") and value_count(value) > 1


def _fact_phrase(clue: Clue) -> str:
    t = clue.type or "one"
    k = norm_key(clue.key)
    v = " ".join(clue.value.split())
    if k in ("birth name", "born as"):
        return f"the {t} born {v}"
    if k in ("released", "release date", "release dates"):
        return f"the {t} released {_year_or_date(v)}"
    if k in ("published", "first published"):  # the row's own label: a publication is no release
        return f"the {t} {k} {_year_or_date(v)}"
    if k in ("founded", "established", "formed"):  # the row's own label ('formed in 1990')
        return f"the {t} {k} {_year_or_date(v)}"
    if k in ("recorded",):
        when = _year_or_date(v)
        return f"the {t} recorded {'in ' + v if when == v and v[:1].isupper() else when}"
    if k in ("born",):
        return f"the {t} born {v}"
    if k in ("died",):
        return f"the {t} who died {v}"
    last = k.split()[-1] if k else ""
    if _is_verbal(k):  # 'Trained by: X' -> 'the wrestler trained by X'
        first = k.split()[0]
        if not (first.endswith(("ed", "ing")) or first in _IRREGULAR_PARTICIPLES):
            return f"the {t} with {display_key(clue.key)} {v}"  # 'Screenplay by: X' -> 'with screenplay by X'
        return f"the {t} {display_key(clue.key)} {v}"
    if last.endswith("ed") or last in _IRREGULAR_PARTICIPLES:  # 'First lit: 1871' -> 'first lit in 1871'
        return f"the {t} {display_key(clue.key)} {_year_or_date(v)}"
    dk = display_key(clue.key)
    if k in _TITLE_KEYS and not re.search(r"[\"“”]", v):
        # a title in quotes: 'whose previous album is “The Modern Sound of Betty Carter”' (a later round must not
        # replace the name inside the title as if it were the singer)
        v = f"“{v}”"
    if dk and not re.search(r"s$", dk) and _several(clue, k, v):
        # 'Producer: John Burk, Phil Ramone' -> 'whose producers include John Burk, Phil Ramone'
        return f"the {t} whose {dk}s include {v}"
    if re.search(r"[^su]s$", dk.split()[-1] if dk else ""):  # 'Labels: Columbia, Peacock' / 'Instruments: Vocals'
        return f"the {t} whose {dk} include {v}"
    return f"the {t} whose {dk} is {v}"


_FORWARD = {
    "born": "the {t} born in {a}", "died": "the {t} who died in {a}", "buried": "the {t} buried in {a}",
    "label": "the {t} released on {a}", "artist": "the {t} by {a}", "writer": "the {t} written by {a}",
    "composer": "the {t} composed by {a}", "producer": "the {t} produced by {a}",
    "director": "the {t} directed by {a}", "founder": "the {t} founded by {a}",
    "capital": "the {t} whose capital is {a}", "country": "the {t} in {a}", "spouse": "the {t} married to {a}",
    "origin": "the {t} from {a}", "headquarters": "the {t} headquartered in {a}", "album": "the {t} from {a}",
    "recorded": "the {t} recorded at {a}", "known_for": "the {t} known for {a}", "formerly_of": "the {t} formerly of {a}",
    "member_of": "the {t} that is part of {a}", "preceded": "the {t} who succeeded {a}",
    "succeeded": "the {t} succeeded by {a}",
}
_INVERSE = {
    "born": "the {t} where {a} was born", "died": "the {t} where {a} died", "buried": "the {t} where {a} is buried",
    "label": "the record label of {a}", "artist": "the artist of {a}", "writer": "the writer of {a}",
    "composer": "the composer of {a}", "producer": "the producer of {a}", "director": "the director of {a}",
    "founder": "the founder of {a}", "capital": "the capital of {a}", "country": "the {t} where {a} is located",
    "spouse": "the spouse of {a}", "origin": "the {t} {a} comes from", "headquarters": "the {t} where {a} is headquartered",
    "album": "the parent album of {a}", "recorded": "the {t} where {a} was recorded",
    "known_for": "the {t} that {a} is known for", "formerly_of": "the {t} that {a} once belonged to",
    "member_of": "the {t} that {a} is part of", "preceded": "the predecessor of {a}",
    "succeeded": "the successor of {a}",
}
_MENTION = {
    "writer": "the writer of {a}", "composer": "the composer of {a}", "director": "the director of {a}",
    "producer": "the producer of {a}", "founder": "the founder of {a}", "subject": "the subject of {a}",
    "artist": "the artist who recorded {a}",
}
_PLACE_FAMILIES = frozenset({"born", "died", "buried", "country", "origin", "headquarters"})


_DISAMBIGUATED = re.compile(r"^(.+?)\s+\(([^()]+)\)$")


def title_text(name: str) -> str:
    """A title as it can stand in a sentence: quoted when it holds sentence punctuation ('Yes Indeed!')."""
    return f'"{name}"' if re.search(r"[!?]", name) and not name.startswith('"') else name


def _anchor_phrase(clue: Clue) -> str:
    """The other entity as the description names it: 'the 2004 film Ray' reads better than 'Ray';
    a disambiguated title reads 'the Ray Charles album Dedicated to You', not 'Dedicated to You
    (Ray Charles album)'."""
    at = clue.anchor_type
    m = _DISAMBIGUATED.match(clue.anchor)
    if m:
        return f"the {m.group(2)} {title_text(m.group(1))}"
    if at in ("album", "song", "single", "film", "ep", "compilation", "soundtrack", "novel", "book", "documentary"):
        return f"the {at} {title_text(clue.anchor)}"
    return title_text(clue.anchor)


def template_description(clue: Clue, max_chars: int = 160) -> str | None:
    """The offline description of a clue's entity (None when the clue cannot be phrased).

    A description carries its kind noun: 'the one written by …' (no type known) is not phrased."""
    text = _template_description(clue, max_chars)
    if text is not None and re.match(r"^the one\b", text, re.I):
        return None
    return text


def _template_description(clue: Clue, max_chars: int) -> str | None:
    if clue.kind in ("first_sentence", "lead_sentence", "web_snippet"):
        return the_phrase(clue.predicate, clue.type, max_chars)
    if clue.kind == "fact":
        return shorten(_fact_phrase(clue), max_chars)
    if clue.kind == "inverse_listing":  # worded by synth.e2h.clues (the item's place in the other page's list)
        return clue.predicate if len(clue.predicate) <= max_chars else None
    if clue.kind == "year_of":  # worded by synth.e2h.years ('the year the single X was released')
        return clue.predicate if len(clue.predicate) <= max_chars else None
    if clue.kind == "obfuscated_fact":  # worded by synth.e2h.obfuscate (the value said loosely)
        return clue.predicate if len(clue.predicate) <= max_chars else None
    fam = clue.relation
    if clue.kind == "forward_relation":
        tmpl = _FORWARD.get(fam, "the {t} whose {k} is {a}")
        t = clue.type or ("person" if fam in ("born", "died", "spouse") else "one")
    elif clue.kind == "inverse_relation":
        tmpl = _INVERSE.get(fam, "the {k} of {a}")
        # ("album": the row is a single's or song's 'from the album' line, which names the one album the record
        # comes from; the song is on many albums (compilations, live albums, reissues' bonus tracks, other
        # artists' records), so 'the album that includes …' is not what it says, nor unique. 'the parent album
        # of …' is a noun phrase: 'the album from which … was released' ends mid-question ('… was released
        # recorded?'))
        t = clue.type or ("place" if fam in _PLACE_FAMILIES else "one")
    else:
        tmpl = _MENTION.get(fam, "")
        t = clue.type or "one"
        if not tmpl:
            return None
    k = norm_key(clue.key)
    verbal = _is_verbal(k)
    if clue.kind == "forward_relation" and fam not in _FORWARD:
        if verbal:  # 'Directed by: X' -> 'the film directed by X'; 'Starring: X' -> 'the film starring X'
            tmpl = "the {t} {k} {a}"
        elif value_count(clue.value) > 1 and k not in _CHRONOLOGY_KEYS:  # 'Previous album: Modern Sounds
            # in Country and Western Music, Volume Two' names one album, its comma notwithstanding
            tmpl = "the {t} whose {k} include {a}" if k.endswith("s") else "the {t} whose {k} includes {a}"
    if clue.kind == "inverse_relation" and fam not in _INVERSE and verbal:
        if k.endswith("ing"):
            return None  # 'Starring' read backwards has no plain wording
        tmpl = "the {t} that {a} is {k}"  # 'Preceded by: X' on Q -> 'the person that Q is preceded by'
    text = tmpl.format(t=t, a=_anchor_phrase(clue), k=display_key(clue.key))
    return text if len(text) <= max_chars else None


def _swallow_start(before: str, head: str = "") -> int:
    """Where a 'the studio album' / 'American singer' run ending ``before`` starts (len(before) if none).

    The run ends with a type noun right before the replaced span; it reaches back over adjectives
    and modifiers (lower-case words, capitalised demonyms) to an article, at most 4 words.
    """
    toks = list(re.finditer(r"[\w'’&-]+", before))
    if not toks or before[toks[-1].end():].strip(" \"“‘'«"):
        return len(before)
    last = toks[-1].group().lower()
    box_set = last == "set" and len(toks) > 1 and toks[-2].group().lower() == "box"  # 'the box set "X"'
    if last not in _TYPE_SET and last != head and not box_set:
        return len(before)  # ('the 1950 country standard X' + 'the standard whose ...': 'standard' is the head)
    if toks[-1].group().lower() in _VERBISH and len(toks) > 1 and toks[-2].group()[:1].isupper():
        return len(before)  # 'did Louis Jordan and his Tympany Five record "X"': a verb, not a noun
    i = len(toks) - 1
    j = i
    while j > 0 and len(toks) - j <= 4:
        w = toks[j - 1].group()
        lw = w.lower()
        if lw in ("the", "a", "an"):
            return toks[j - 1].start()
        if lw in QUESTION_WORDS or lw in _STOP_BEFORE or not (w.isalpha() or "-" in w or w.isdigit()):
            break
        j -= 1
    # no article: keep the plain noun phrase run of type nouns and known modifiers only
    k = i
    while k > 0 and (toks[k - 1].group().lower() in _TYPE_SET or toks[k - 1].group().lower() in _MODIFIERS
                     or (toks[k - 1].group()[:1].isupper() and toks[k - 1].group().lower() not in QUESTION_WORDS
                         and k - 1 > 0)):
        k -= 1
        # 'rhythm and blues musician X': the coordinated modifier goes too, not only 'blues musician'
        if k > 1 and toks[k - 1].group().lower() in ("and", "or", "&") and toks[k - 2].group().isalpha() \
                and toks[k - 2].group().islower() and toks[k - 2].group() not in _STOP_BEFORE \
                and toks[k - 2].group() not in QUESTION_WORDS and not toks[k - 2].group().endswith("ed"):
            k -= 2
    return toks[k].start()


def _drop_repeat(desc: str, after: str) -> str:
    """``after`` without the words ``desc`` already ends with ('... by Ray Charles' + ' by Ray Charles?')."""
    dw, aw = [w.lower() for w in desc.split()], after.split()
    bare = [w.lower().rstrip("?.!,;:") for w in aw]
    for n in range(min(len(dw), len(aw), 6), 1, -1):
        if dw[-n:] == bare[:n]:
            tail = aw[n - 1][len(aw[n - 1].rstrip("?.!,;:")):]
            return tail + "".join(" " + w for w in aw[n:])
    return after


# a description naming another entity ('… of the album X', '… whose previous album is the album X', '… by X'),
# not a value of its own ('whose length is 2:28:48', 'released in 1961')
_RELATIONAL = re.compile(r"\s(?:by|of|from|includes?|is|are)\s+(?:the\s+[\w-]+(?:\s+[\w-]+)?\s+)?[A-Z\"“]")


def template_rewrite(question: str, start: int, end: int, description: str) -> str:
    """``question`` with ``question[start:end]`` replaced by ``description`` (grammar kept)."""
    before, after = question[:start], question[end:]
    desc = description
    if description.lower().startswith("the "):
        cut = _swallow_start(before, description.split()[1].lower() if len(description.split()) > 1 else "")
        rest = before[:cut]
        m = re.search(r"\b(the|a|an)\s+$", rest, re.I)
        if m:
            before = rest[:m.start()]
        else:
            if cut < len(before) and re.search(r"(?:\d|\w['’]s?)\s+$", rest):
                desc = desc[4:]  # "Charles' 1984 album X" -> "Charles' 1984 album whose ..." (no second article)
            before = rest
    if desc.lower().startswith("the ") and re.search(r"\w(?:['’]s|s['’])\s*$", before):
        desc = desc[4:]  # "the Beatles' X" -> "the Beatles' ballad written by ...", not "the Beatles' the ballad"
    if not before.strip():
        desc = desc[:1].upper() + desc[1:]
    after = _drop_repeat(desc, after)
    if _RELATIONAL.search(desc) and re.match(r"\s*by\s", after):
        # "the sixth album by Ray Charles" + " by Ray Charles and Milt Jackson?": one 'by' phrase is enough;
        # "the next album of the album X" + " by Ray Charles and Milt Jackson": the credit of the replaced
        # entity would read as X's (audit issue 16), and the description is unique without it
        after = re.sub(r"^\s*by\s+[A-Z][\w.'’&-]*(?:(?:\s+|\s*,\s*|\s+and\s+|\s*&\s*)[A-Z][\w.'’&-]*)*"
                       r"(?=[?.,;:!]|\s+[a-z]|$)", "", after)
    if after[:1].isalnum():
        after = " " + after
    if before and not before[-1].isspace() and before[-1] not in "([{\"“‘'«":
        before += " "
    out = before + desc + after
    out = re.sub(r"\s+([?.!,;:])", r"\1", " ".join(out.split()))
    return out


class TemplateE2HWriter:
    """Offline, deterministic: descriptions from clue templates, a span substitution for the rewrite."""

    name = "template"
    prompt_version = TEMPLATE_VERSION

    def describe(self, requests: list[DescribeRequest]) -> list[WriterOutput]:
        out = []
        for r in requests:
            text = template_description(r.clue, r.max_chars)
            out.append(WriterOutput(r.key, text, "" if text else "no_template",
                                    extra={"kind": r.clue.kind}))
        return out

    def rewrite(self, requests: list[RewriteRequest]) -> list[WriterOutput]:
        return [WriterOutput(r.key, template_rewrite(r.question, r.start, r.end, r.description))
                for r in requests]


# --- LLM writer -------------------------------------------------------------------------------------
class DescribeAnswer(BaseModel):
    description: str = Field(description="a definite description of the entity that does not name it")


class RewriteAnswer(BaseModel):
    question: str = Field(description="the rewritten question")


@dataclass(frozen=True)
class PromptFile:
    """A versioned prompt: ``version:`` line, then ``### system`` and ``### user`` sections ($vars)."""

    version: str
    system: Template
    user: Template

    def messages(self, **values: Any) -> list[dict]:
        return [{"role": "system", "content": self.system.safe_substitute(values).strip()},
                {"role": "user", "content": self.user.safe_substitute(values).strip()}]


@cache
def load_prompt(name: str) -> PromptFile:
    text = (PROMPTS_DIR / f"{name}.txt").read_text(encoding="utf-8")
    m = re.search(r"^version:\s*(\S+)\s*$", text, re.M)
    if not m:
        raise ValueError(f"prompt {name} has no 'version:' line")
    parts = re.split(r"^###\s*(system|user)\s*$", text, flags=re.M)
    sections = {parts[i].strip(): parts[i + 1] for i in range(1, len(parts) - 1, 2)}
    if set(sections) != {"system", "user"}:
        raise ValueError(f"prompt {name} needs '### system' and '### user' sections")
    return PromptFile(m.group(1), Template(sections["system"]), Template(sections["user"]))


def _clue_brief(c: Clue) -> str:
    kinds = {
        "first_sentence": "the first sentence of the entity's own page",
        "lead_sentence": "a sentence of the entity's own page",
        "fact": "an infobox row of the entity's own page",
        "obfuscated_fact": f"an infobox row of the entity's own page, to be said only as loosely as "
                           f"'{c.predicate}' (never the exact value)",
        "forward_relation": f"an infobox row of the entity's own page naming {c.anchor}",
        "inverse_relation": f"an infobox row of the page about {c.anchor}, which names the entity",
        "inverse_mention": f"the first sentence of the page about {c.anchor}, which names the entity",
        "inverse_listing": f"a list on the page about {c.anchor}, which names the entity as '{c.predicate}'",
        "web_snippet": "a web search result about the entity",
    }
    return kinds.get(c.kind, c.kind)


class LLME2HWriter:
    """Descriptions and rewrites by a model; ``client`` is an :class:`synth.llm.client.LLMClient`."""

    def __init__(self, client: Any, *, stage: str = "e2h") -> None:
        self.client = client
        self.stage = stage
        self._describe = load_prompt("e2h_describe")
        self._rewrite = load_prompt("e2h_rewrite")
        self.name = str(getattr(client, "model", "llm"))
        self.prompt_version = f"{self._describe.version}+{self._rewrite.version}"

    def describe(self, requests: list[DescribeRequest]) -> list[WriterOutput]:
        from synth.llm.client import LLMRequest

        reqs = []
        for r in requests:
            c = r.clue
            facts = "\n".join(f"- {k}: {v}" for k, v in r.facts[:12]) or "- (none)"
            msgs = self._describe.messages(
                entity=r.entity, subject=r.subject, evidence_kind=_clue_brief(c), snippet=c.snippet,
                anchor=c.anchor or "(none)", first_sentence=r.first_sentence or "(none)", facts=facts,
                avoid=", ".join(f'"{a}"' for a in (r.entity, r.subject, *r.avoid) if a),
                max_chars=str(r.max_chars))
            reqs.append(LLMRequest(messages=msgs, schema=DescribeAnswer, key=r.key,
                                   prompt_version=self._describe.version))
        return [self._out(res, "description") for res in self.client.complete_many(reqs, stage=self.stage)]

    def rewrite(self, requests: list[RewriteRequest]) -> list[WriterOutput]:
        from synth.llm.client import LLMRequest

        reqs = []
        for r in requests:
            msgs = self._rewrite.messages(question=r.question, entity=r.entity, description=r.description,
                                          answer=r.answer)
            reqs.append(LLMRequest(messages=msgs, schema=RewriteAnswer, key=r.key,
                                   prompt_version=self._rewrite.version))
        return [self._out(res, "question") for res in self.client.complete_many(reqs, stage=self.stage)]

    @staticmethod
    def _out(res: Any, attr: str) -> WriterOutput:
        if not res.ok or res.parsed is None:
            return WriterOutput(res.key, None, res.error or "no_answer", res.raw,
                                extra={"detail": getattr(res, "detail", "")})
        text = getattr(res.parsed, attr, None)
        if not isinstance(text, str) or not text.strip():
            return WriterOutput(res.key, None, "empty", res.raw)
        return WriterOutput(res.key, " ".join(text.split()), "", res.raw, extra={"cached": res.cached})

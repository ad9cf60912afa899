"""Which facts and lists go stale: the one place the miners ask (issue 16).

A volatile fact is one whose value the site changes without the page saying when: a repository's
stars, forks, open issues, latest release; a paper's latest version and revision date; an issue's
state; anything "–present"; a listing of today's new papers. The miners do not ask them (each drop
is counted ``mine/dropped/volatile``): a saved snapshot's value is not the value a browsing agent
finds, and the question carries no date to pin it. (``as_of`` on every record says when the pages
were true; it does not make a stale count right.)
"""

from __future__ import annotations

import re

from schemas.records import Enumeration, Fact

#: fact keys (lower case) whose value changes with time
VOLATILE_KEYS = frozenset({
    # GitHub repository counters and state
    "stars", "forks", "watchers", "commits", "branches", "releases", "contributors", "open issues",
    "open pull requests", "latest release", "used by", "sponsors", "state", "comments",
    # arXiv: a paper can be revised again
    "latest version", "last revised",
    # open-ended memberships ("Years active: 1947–present" is caught by its value)
    "current members",
})
#: enumeration kinds that grow or change on the live site
VOLATILE_KINDS = frozenset({"versions", "releases", "contributors", "topics", "languages"})
#: enumeration labels/sections that name an open-ended set
_OPEN_ENDED_LABEL = re.compile(r"\b(current|present|upcoming|ongoing|latest|new submissions|"
                               r"cross submissions|replacement submissions)\b", re.I)
# … and an open range: "Sony Pictures Television (2002–)" (The Nanny's distributor), "Since 1998–"
_PRESENT = re.compile(r"[–—-]\s*present\b|\bpresent\s*$|\bto date\b|\bongoing\b"
                      r"|\b(?:1[5-9]|20)\d{2}\s*[–—]\s*(?:\)|\||$)", re.I)
_ROLLING_LISTING = re.compile(r"/list/[^/?#]+/(?:new|recent|pastweek)\b")
_DATED = re.compile(r"\b(1[5-9]|20)\d{2}\b")


def volatile_fact(fact: Fact) -> bool:
    """Whether a fact's value goes stale (see the module doc)."""
    key = fact.key.strip().lower()
    return key in VOLATILE_KEYS or bool(_PRESENT.search(fact.value or ""))


def volatile_enumeration(enum: Enumeration, page_url: str = "") -> bool:
    """Whether a list's count or content goes stale: a kind the site keeps adding to, a label that
    says "current"/"new", an item that runs "–present", or a listing of papers of a rolling listing
    (``/list/cs/new``, ``/list/cs/recent``: this week's papers) or not tied to a date."""
    if enum.kind in VOLATILE_KINDS:
        return True
    where = f"{enum.label} {enum.section}"
    if enum.kind == "papers":
        # /list/cs/new and /list/cs/recent show other papers every day, whatever their day headers say
        return bool(_ROLLING_LISTING.search(page_url)) or not _DATED.search(where)
    if _OPEN_ENDED_LABEL.search(where):
        return True
    return any(_PRESENT.search(it) for it in enum.items)

"""Structured facts from a page's HTML (placeholder until the facts extractor lands)."""

from __future__ import annotations

from dataclasses import dataclass, field

from schemas.records import Enumeration, Fact


@dataclass
class Structure:
    subject: str = ""
    description: str = ""
    facts: list[Fact] = field(default_factory=list)
    enumerations: list[Enumeration] = field(default_factory=list)


def extract_structure(html: str, url: str, site: str = "generic") -> Structure:
    """Infobox rows, lists under headings, table rows, arXiv/GitHub metadata of one page."""
    return Structure()

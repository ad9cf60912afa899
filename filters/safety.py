"""Text copied from the page that must never ship: injected instructions and site boilerplate.

Both filters look at the question AND the answer; the injection filter also reads everything else
of a record that ships as text: its evidence passages (an LLM proposal's quotes become evidence)
and the strings of its ``meta_json`` (the proposal's quotes per page, a path's facts...). Pages are
untrusted input: a planted "ignore all previous instructions and ..." can travel through an LLM
writer into a question, or be quoted verbatim as "evidence" by a model that obeys it (issue 20: a
proposal whose quotes carried the instruction was kept), and an agent trained on the record reads
both. A cookie banner or a footer can be mined as a "fact" (boilerplate is checked in the question
and the answer only: evidence is page text, where a footer next to a fact is harmless). The pattern
lists are deliberately broad: a false drop costs one question, a false keep ships an attack.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from typing import ClassVar

from filters.base import KEEP, Filter, Verdict, drop, register
from filters.config import FilterConfig
from schemas.records import QARecord

_VERB = r"(?:ignore|disregard|forget|override|bypass|skip|drop|abandon|neglect)"
_PREV = r"(?:previous|prior|above|preceding|earlier|foregoing|original|initial|system|old)"
INJECTION_PATTERNS: tuple[str, ...] = (
    # "ignore (all) (the) previous instructions", "forget your prompt", "bypass the guardrails"
    rf"\b{_VERB}\s+(?:\w+\s+){{0,4}}?(?:instructions?|prompts?|directives|guardrails)\b",
    rf"\b{_VERB}\s+(?:(?:all|any|every|of|the|your|my|these|those)\s+)*{_PREV}\s+(?:\w+\s+)?"
    r"(?:rules|directions|guidelines|context|messages?|commands?|constraints|conversation|text)\b",
    r"\b(?:forget|ignore|disregard)\s+(?:everything|all)\s+(?:above|before|previously|you\s+(?:were|have\s+been)\s+told)\b",
    r"\b(?:ignor|olvid|oubli|vergiss|dimentic)\w*\s+(?:\w+\s+){0,3}?(?:anweisungen|instructions|instrucciones|istruzioni|instru[cç][oõ]es)\b",
    r"\bsystem\s+(?:prompt|message|instructions?)\b",
    r"\b(?:developer|admin|god|debug|jailbreak|dan)\s+mode\b",
    r"\bdo\s+anything\s+now\b",
    r"\bjailbreak",
    r"\byou\s+are\s+now\b", r"\bfrom\s+now\s+on,?\s+you\b", r"\byou\s+must\s+now\b",
    r"\b(?:pretend|act|behave|roleplay)\s+(?:to\s+be|as|like)\s+(?:an?\s+)?(?:ai|assistant|chatbot|model|language\s+model|unrestricted|different|evil|system)\b",
    r"\bas\s+an?\s+(?:ai|artificial\s+intelligence|language\s+model|llm|large\s+language\s+model|ai\s+assistant)\b",
    r"\bnew\s+(?:instructions?|task|rules)\s*:",
    r"\b(?:reveal|print|show|leak|output|repeat)\s+(?:your|the)\s+(?:system\s+)?(?:prompt|instructions)\b",
    r"\b(?:respond|reply|answer|output)\s+(?:only\s+)?with\s+[\"'“]",
    r"\binstead,?\s+(?:say|respond|reply|output|print|write|answer)\b",
    r"<\|[a-z_]+\|>",                       # <|im_start|> <|endoftext|> <|system|>
    r"\[/?INST\]", r"<<\s*/?SYS\s*>>", r"</?s>",
    r"^\s*(?:system|assistant|user|human|ai)\s*:", r"\n\s*(?:system|assistant|user|human)\s*:",
    r"#{2,}\s*(?:instruction|system|response|input)\b",
    r"\b(?:begin|end)\s+of\s+(?:the\s+)?(?:prompt|instructions|system\s+prompt)\b",
    r"\bprompt\s+injection\b",
)

BOILERPLATE_PATTERNS: tuple[str, ...] = (
    r"\bcookies?\s+(?:policy|settings|preferences|consent|banner)\b", r"\baccept\s+(?:all\s+)?cookies\b",
    r"\bwe\s+use\s+cookies\b", r"\bprivacy\s+policy\s*(?:\||·|•)", r"\bterms\s+of\s+(?:use|service)\s*(?:\||·|•)",
    r"\ball\s+rights\s+reserved\b", r"©", r"\bcopyright\s+(?:©\s*)?\d{4}\b",
    r"\bsubscribe\s+to\s+(?:our|the)\s+newsletter\b", r"\bsign\s+up\s+for\s+(?:our|the)\s+newsletter\b",
    r"\b(?:log|sign)\s+in\s+to\s+(?:continue|comment|read|view)\b", r"\bclick\s+here\b", r"\bread\s+more\s*(?:»|›|→|>|\.\.\.|…|\]|$)",
    r"\bjavascript\s+(?:is\s+)?(?:disabled|required|must\s+be\s+enabled)\b", r"\benable\s+javascript\b",
    r"\bskip\s+to\s+(?:main\s+)?content\b", r"\bshare\s+(?:this\s+)?on\s+(?:facebook|twitter|x|linkedin)\b",
    r"\bfollow\s+us\s+on\b", r"\bsponsored\s+content\b",
    r"\b(?:404|403)\s+(?:error|not\s+found|forbidden)\b", r"\bpage\s+not\s+found\b", r"\baccess\s+denied\b",
    r"\b(?:complete|solve)\s+the\s+captcha\b", r"\bare\s+you\s+a\s+robot\b", r"\bverify\s+you\s+are\s+(?:a\s+)?human\b",
    r"\bjump\s+to\s+(?:navigation|search)\b", r"\[\s*(?:edit|citation\s+needed|\d{1,3})\s*\]",
    r"\bretrieved\s+(?:on\s+)?\d{1,2}\s+\w+\s+\d{4}\b", r"\bloading\.\.\.", r"\bback\s+to\s+top\b",
)


def _strings(x, path: str) -> Iterator[tuple[str, str]]:
    """(where, text) of every string in a JSON value (keys included: a model can write those too)."""
    if isinstance(x, str):
        yield path, x
    elif isinstance(x, dict):
        for k, v in x.items():
            yield f"{path}.{k}", str(k)
            yield from _strings(v, f"{path}.{k}")
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from _strings(v, f"{path}[{i}]")


class _PatternFilter(Filter):
    """Drop when any pattern matches the question or the answer (``screen_all``: or any other text
    the record ships: evidence passages and ``meta_json`` strings)."""

    reason: ClassVar[str] = ""
    default_patterns: ClassVar[tuple[str, ...]] = ()
    screen_all: ClassVar[bool] = False

    def __init__(self, extra_patterns: list[str] | tuple[str, ...] = ()) -> None:
        self.patterns = [re.compile(p, re.I | re.M) for p in (*self.default_patterns, *extra_patterns)]

    def texts(self, record: QARecord) -> Iterator[tuple[str, str]]:
        yield "question", record.question
        yield "answer", str(record.answer)
        if not self.screen_all:
            return
        for i, ev in enumerate(record.evidence):
            yield f"evidence[{i}]", ev.text
        for i, alias in enumerate(record.aliases):
            yield f"aliases[{i}]", alias
        try:
            meta = json.loads(record.meta_json or "{}")
        except ValueError:  # not JSON: screened as one text
            meta = record.meta_json
        yield from _strings(meta, "meta")

    def check(self, record: QARecord) -> Verdict:
        for field, text in self.texts(record):
            for p in self.patterns:
                m = p.search(text)
                if m:
                    return drop(self.reason, f"{field}: {m.group(0)[:80]!r}")
        return KEEP


@register
class InjectionFilter(_PatternFilter):
    """Prompt-injection text (issue 10): never in a kept question or answer."""

    name: ClassVar[str] = "injection"
    order: ClassVar[int] = 5  # before the form checks: planted instructions are always reported as such
    reason: ClassVar[str] = "prompt_injection"
    reasons: ClassVar[tuple[str, ...]] = ("prompt_injection",)
    default_patterns = INJECTION_PATTERNS
    screen_all = True  # question, answer, evidence (a proposal's quotes), aliases, meta_json

    @classmethod
    def from_config(cls, cfg: FilterConfig, *, links: Mapping[str, set[str]] | None = None) -> InjectionFilter:
        return cls(cfg.injection_patterns)


@register
class BoilerplateFilter(_PatternFilter):
    """Cookie banners, footers, navigation and error pages copied into a question or answer."""

    name: ClassVar[str] = "boilerplate"
    order: ClassVar[int] = 14
    reason: ClassVar[str] = "boilerplate"
    reasons: ClassVar[tuple[str, ...]] = ("boilerplate",)
    default_patterns = BOILERPLATE_PATTERNS

    @classmethod
    def from_config(cls, cfg: FilterConfig, *, links: Mapping[str, set[str]] | None = None) -> BoilerplateFilter:
        return cls(cfg.boilerplate_patterns)

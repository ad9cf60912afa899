"""Versioned prompt template files: ``<name>.<version>.txt`` (e.g. ``count.v1.txt``).

Format (shared with the E2H and closed-book prompts)::

    Version: count.v1

    ### system
    ... ($placeholders allowed)

    ### user
    ... $data ...

Placeholders use ``string.Template`` syntax; the values substituted in are never re-parsed, so page
text cannot smuggle in a placeholder. A change to a prompt is a new file (``count.v2.txt``), never an
edit: the version travels with every record and groups the parse-failure rates in the manifest.
"""

from __future__ import annotations

import functools
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

PROMPTS_DIR = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Prompt:
    """A loaded prompt: ``version`` (e.g. ``count.v1``), system and user templates, content hash."""

    name: str
    version: str
    system: str
    user: str
    sha: str

    def messages(self, **values: Any) -> list[dict]:
        """System + user messages with ``values`` substituted (a missing value is a bug: KeyError)."""
        return [{"role": "system", "content": Template(self.system).substitute(values)},
                {"role": "user", "content": Template(self.user).substitute(values)}]


@functools.cache
def load_prompt(name: str, version: str = "v1") -> Prompt:
    """``synth/prompts/<name>.<version>.txt``; raises FileNotFoundError / ValueError when malformed."""
    path = PROMPTS_DIR / f"{name}.{version}.txt"
    text = path.read_text(encoding="utf-8")
    m = re.search(r"^version:\s*(\S+)\s*$", text, re.M | re.I)
    if not m:
        raise ValueError(f"{path.name} has no 'Version:' line")
    if m.group(1) != f"{name}.{version}":
        raise ValueError(f"{path.name} says Version: {m.group(1)}, expected {name}.{version}")
    parts = re.split(r"^###\s*(system|user)\s*$", text, flags=re.M)
    sections = {parts[i].strip(): parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)}
    if set(sections) != {"system", "user"}:
        raise ValueError(f"{path.name} needs '### system' and '### user' sections")
    return Prompt(name, m.group(1), sections["system"], sections["user"],
                  hashlib.sha256(text.encode("utf-8")).hexdigest()[:12])

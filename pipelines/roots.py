"""Parse a roots file: one URL per line, blank lines and ``#`` comments allowed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

INLINE_COMMENT = re.compile(r"\s#")


class RootsError(ValueError):
    """The roots file cannot be used at all (missing, or no valid URL in it)."""


@dataclass
class Roots:
    urls: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "roots.txt:3: not an http(s) URL: 'ftp://x'"


def check_url(url: str) -> str | None:
    """Why ``url`` is not usable as a root, or None when it is."""
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"malformed URL ({exc})"
    if parts.scheme not in ("http", "https"):
        return "not an http(s) URL"
    if not parts.hostname:
        return "URL has no host"
    if any(c.isspace() for c in url):
        return "URL contains spaces"
    return None


def parse_roots_text(text: str, source: str = "roots") -> Roots:
    roots = Roots()
    seen: set[str] = set()
    for n, raw in enumerate(text.splitlines(), start=1):
        line = "" if raw.lstrip().startswith("#") else INLINE_COMMENT.split(raw, 1)[0].strip()
        if not line:
            continue
        why = check_url(line)
        if why:
            roots.problems.append(f"{source}:{n}: {why}: {line!r}")
            continue
        if line in seen:
            roots.problems.append(f"{source}:{n}: duplicate root, skipped: {line!r}")
            continue
        seen.add(line)
        roots.urls.append(line)
    return roots


def load_roots(spec: str | Path | list[str]) -> Roots:
    """Roots from a file path or a list of URLs (as Prefect parameters may give them)."""
    if isinstance(spec, list):
        roots = parse_roots_text("\n".join(spec), "roots")
    else:
        path = Path(spec)
        if not path.is_file():
            raise RootsError(f"roots file not found: {path}")
        roots = parse_roots_text(path.read_text(encoding="utf-8", errors="replace"), str(path))
    if not roots.urls:
        detail = "; ".join(roots.problems) if roots.problems else "it has no URL lines"
        raise RootsError(f"no usable root URL ({detail})")
    return roots

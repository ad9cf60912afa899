"""Parse a roots file: one URL per line, blank lines and ``#`` comments allowed."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

INLINE_COMMENT = re.compile(r"\s#")
MAX_URL_CHARS = 2083  # the longest URL browsers and most servers accept
MAX_ROOTS_FILE_BYTES = 16 * 1024 * 1024


def shown(text: str, limit: int = 120) -> str:
    """``repr(text)``, cut to ``limit`` characters (a 10 MB line stays a one-line message), with any
    URL credentials (``user:password@``) replaced by ``***``."""
    from crawlers.urls import redact_url

    r = repr(redact_url(text))
    return r if len(r) <= limit else f"{r[:limit]}... ({len(text):,} characters)"


class RootsError(ValueError):
    """The roots file cannot be used at all (missing, or no valid URL in it)."""


@dataclass
class Roots:
    urls: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # "roots.txt:3: not an http(s) URL: 'ftp://x'"


def check_url(url: str) -> str | None:
    """Why ``url`` is not usable as a root, or None when it is."""
    if len(url) > MAX_URL_CHARS:
        return f"URL longer than {MAX_URL_CHARS} characters"
    try:
        parts = urlsplit(url)
    except ValueError as exc:
        return f"malformed URL ({str(exc)[:200]})"
    if parts.scheme not in ("http", "https"):
        return "not an http(s) URL"
    if not parts.hostname:
        return "URL has no host"
    if "@" in parts.netloc:
        # refused, not redacted: the crawler would send them to every page of the site and they would
        # end up in logs, caches and the dataset's provenance (the message shows the URL without them)
        return "URL carries a user name/password (credentials in root URLs are not supported)"
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
            roots.problems.append(f"{source}:{n}: {why}: {shown(line)}")
            continue
        if line in seen:
            roots.problems.append(f"{source}:{n}: duplicate root, skipped: {shown(line)}")
            continue
        seen.add(line)
        roots.urls.append(line)
    return roots


def load_roots(spec: str | Path | list[str]) -> Roots:
    """Roots from a file path or a list of URLs (as Prefect parameters may give them)."""
    if isinstance(spec, list):
        roots = parse_roots_text("\n".join(spec), "roots")
    else:
        roots = parse_roots_text(_read_roots_file(Path(spec)), str(spec))
    return _usable(roots)


def _read_roots_file(path: Path) -> str:
    if not path.is_file():
        raise RootsError(f"roots file not found: {shown(str(path))}")
    size = path.stat().st_size
    if size > MAX_ROOTS_FILE_BYTES:
        raise RootsError(f"roots file {path} is {size:,} bytes (at most {MAX_ROOTS_FILE_BYTES:,})")
    return path.read_text(encoding="utf-8", errors="replace")


def _usable(roots: Roots) -> Roots:
    if not roots.urls:
        problems = roots.problems[:3] + ([f"{len(roots.problems) - 3} more"] if len(roots.problems) > 3 else [])
        detail = "; ".join(problems) if problems else "it has no URL lines"
        raise RootsError(f"no usable root URL ({detail})")
    return roots


def is_url_spec(spec: str) -> bool:
    """A ``--roots`` value that is a URL (anything with a scheme), not a roots file."""
    return "://" in spec[:64] or spec.lower().startswith(("http:", "https:"))


def load_root_specs(specs: list[str]) -> Roots:
    """Roots from ``--roots`` values, each a roots file or a URL (in the order given, duplicates
    across them skipped with a problem line)."""
    out = Roots()
    seen: set[str] = set()
    for spec in specs:
        if is_url_spec(spec):
            got = parse_roots_text(spec, "--roots")
        else:
            got = parse_roots_text(_read_roots_file(Path(spec)), spec)
        out.problems += got.problems
        for url in got.urls:
            if url in seen:
                out.problems.append(f"{'--roots' if is_url_spec(spec) else spec}: duplicate root, skipped: {shown(url)}")
                continue
            seen.add(url)
            out.urls.append(url)
    return _usable(out)

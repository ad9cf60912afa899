"""The shared saved pages of the Ray Charles 2015 Kiwix dump, one copy each.

``tests/fixtures/pages/wiki-raycharles-2015/A/<Page>.html`` holds unchanged copies of the shared
corpus's pages (byte-identical to ``wiki-raycharles-2015/A/<Page>.html`` of the corpus), in the
corpus's own layout and file names, so that links between pages resolve as they do in the dump.

A test that reads a page names it (:func:`saved_page`); a test that crawls a small site lists the pages
the site holds and gets a folder with only those (:func:`saved_site`): which pages a crawl can reach is
part of what it asserts. Trimmed or edited copies of a page are not shared: they stay beside the test
that made them and are laid over the listed pages with ``own``.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

RC2015 = Path(__file__).resolve().parent / "fixtures" / "pages" / "wiki-raycharles-2015"

_built: dict[tuple[tuple[str, ...], Path | None], Path] = {}
_tmp: Path | None = None


def saved_page(name: str) -> Path:
    """The shared saved page ``A/<name>``; fails when the folder has no such page."""
    p = RC2015 / "A" / name
    if not p.is_file():
        raise FileNotFoundError(f"no shared saved page {name!r} in {RC2015 / 'A'}")
    return p


def saved_site(names: Iterable[str], own: Path | None = None) -> Path:
    """A folder that holds ``A/<name>`` for each of ``names`` (links to the shared pages) and, laid over
    them, every file of ``own`` at the same relative path (a test's own trimmed pages, ``_redirects.txt``).

    Built once a process for the same arguments, under a temporary folder removed at exit.
    """
    global _tmp
    key = (tuple(sorted(set(names))), own)
    if key in _built:
        return _built[key]
    if _tmp is None:
        _tmp = Path(tempfile.mkdtemp(prefix="crawlqa-saved-pages-"))
        atexit.register(shutil.rmtree, _tmp, True)
    root = _tmp / f"site{len(_built)}"
    (root / "A").mkdir(parents=True)
    for name in key[0]:
        (root / "A" / name).symlink_to(saved_page(name))
    if own is not None:
        for src in sorted(p for p in own.rglob("*") if p.is_file()):
            dst = root / src.relative_to(own)
            if dst.exists() or dst.is_symlink():
                raise FileExistsError(f"{src} would replace the shared page {dst.name}: list one or the other")
            dst.parent.mkdir(parents=True, exist_ok=True)
            dst.symlink_to(src.resolve())
    _built[key] = root
    return root

"""py3langid's language identifier, loaded from a decompressed copy of its model.

py3langid ships its model xz-compressed and decompresses all of it (68 MB) each time a process
loads it: ~0.3 s of CPU in every crawl's extraction fork server, before the first page can be
extracted, and again in the job process for the language filter. The first load here also writes
the decompressed model to the user's cache folder (``platformdirs``: ``~/.cache/crawlqa`` or
``$XDG_CACHE_HOME/crawlqa`` on Linux; atomically, keyed by py3langid's version and the model file's
size), and every later load reads that copy (~0.07 s). Any problem with the cache (read-only home, another
py3langid layout) falls back to py3langid's own loader: the identifier is the same either way.
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

_LOADED: dict[bool, Any] = {}
_LOCK = threading.Lock()


def cache_dir() -> Path:
    from platformdirs import user_cache_dir

    return Path(user_cache_dir("crawlqa"))


def _model_file() -> Path:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    path = Path(MODEL_FILE)
    return path if path.is_absolute() else Path(MODEL_DIR) / path


def _plain_copy() -> Path:
    """The decompressed model in the cache folder (written once, atomically)."""
    import lzma
    import shutil
    from importlib.metadata import version

    src = _model_file()
    dst = cache_dir() / f"py3langid-{version('py3langid')}-{src.stat().st_size}.npz"
    if not dst.is_file():
        dst.parent.mkdir(parents=True, exist_ok=True)
        tmp = dst.with_name(f".{dst.name}.{os.getpid()}.tmp")
        try:
            with lzma.open(src) as fin, open(tmp, "wb") as fout:
                shutil.copyfileobj(fin, fout, length=1 << 20)
            os.replace(tmp, dst)
        finally:
            tmp.unlink(missing_ok=True)
    return dst


def _from_plain(path: Path, norm_probs: bool) -> Any:
    """py3langid's ``modelio.load_model`` on an uncompressed model file."""
    import numpy as np
    from py3langid.langid import LanguageIdentifier
    from py3langid.modelio import _to_array

    with np.load(path, allow_pickle=False) as data:
        return LanguageIdentifier(
            np.asarray(data["ptc"]), np.asarray(data["pc"]), data["classes"].tolist(),
            _to_array(data["nextmove"]), data["out_feat"].tolist(), norm_probs=norm_probs,
            tk_row=_to_array(data["nextmove_row"]),
        )


def identifier(norm_probs: bool = False) -> Any:
    """The py3langid ``LanguageIdentifier`` (loaded once per process and setting)."""
    with _LOCK:
        if norm_probs not in _LOADED:
            plain = None
            try:
                plain = _plain_copy()
                _LOADED[norm_probs] = _from_plain(plain, norm_probs)
            except Exception as exc:  # the cache is an optimisation: py3langid's own loader
                log.debug("langid model cache unusable (%s): loading the packaged model", exc)
                if plain is not None:  # a damaged copy: the next process writes it again
                    plain.unlink(missing_ok=True)
                from py3langid.langid import MODEL_FILE, LanguageIdentifier

                _LOADED[norm_probs] = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=norm_probs)
        return _LOADED[norm_probs]

"""crawlers.langid: the decompressed-model cache gives py3langid's own identifier, or falls back."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

import crawlers.langid as langid

TEXTS = [
    "The quick brown fox jumps over the lazy dog near the river bank.",
    "Der schnelle braune Fuchs springt über den faulen Hund am Flussufer.",
    "Le renard brun rapide saute par-dessus le chien paresseux près de la rivière.",
    "東京は日本の首都であり、世界で最も人口の多い都市圏の一つです。",
    "",
]


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    monkeypatch.setattr(langid, "_LOADED", {})
    monkeypatch.setattr(langid, "cache_dir", lambda: tmp_path / "cache")
    return tmp_path / "cache"


def _packaged(norm_probs: bool):
    from py3langid.langid import MODEL_FILE, LanguageIdentifier

    return LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=norm_probs)


@pytest.mark.parametrize("norm_probs", [False, True])
def test_cached_model_classifies_like_the_packaged_one(fresh, norm_probs):
    ident = langid.identifier(norm_probs)
    files = list(fresh.glob("py3langid-*.npz"))
    assert len(files) == 1 and files[0].stat().st_size > 10_000_000  # the whole decompressed model
    assert not list(fresh.glob(".*tmp"))  # written atomically: no temp left
    ref = _packaged(norm_probs)
    for text in TEXTS:
        assert ident.classify(text) == ref.classify(text)
    assert langid.identifier(norm_probs) is ident  # once per process


def test_second_process_load_reads_the_cache(fresh, monkeypatch):
    langid.identifier()
    monkeypatch.setattr(langid, "_LOADED", {})

    def no_lzma(*_a, **_k):
        raise AssertionError("the cached copy must be used, not the xz model")

    import lzma

    monkeypatch.setattr(lzma, "open", no_lzma)
    assert langid.identifier().classify(TEXTS[1])[0] == "de"


def test_unwritable_cache_falls_back_to_py3langid(monkeypatch, tmp_path):
    monkeypatch.setattr(langid, "_LOADED", {})
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setattr(langid, "cache_dir", lambda: blocker / "cache")  # mkdir under a file fails
    ident = langid.identifier()
    assert ident.classify(TEXTS[2])[0] == "fr"
    assert not (blocker / "cache").exists()


def test_corrupt_cache_falls_back(fresh, monkeypatch):
    langid.identifier()
    (cached,) = fresh.glob("py3langid-*.npz")
    cached.write_bytes(b"truncated")
    monkeypatch.setattr(langid, "_LOADED", {})
    assert langid.identifier().classify(TEXTS[0])[0] == "en"
    assert not cached.exists()  # dropped, so that the next load writes a whole copy again
    monkeypatch.setattr(langid, "_LOADED", {})
    langid.identifier()
    assert cached.stat().st_size > 10_000_000


def test_default_cache_dir_is_the_users_cache(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert langid.cache_dir() == Path(tmp_path) / "crawlqa"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert langid.cache_dir() == Path(os.path.expanduser("~")) / ".cache" / "crawlqa"

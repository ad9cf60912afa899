"""Imported by the extraction pool's fork server (``multiprocessing`` forkserver preload).

Importing this module loads everything one extraction needs (trafilatura, htmldate, lxml, the
language model, the facts extractor, the site profiles) and extracts one small page, once, in the
fork server; every extraction worker is then forked from that warm process instead of paying the
imports again (``crawlers.pool``).
"""

from __future__ import annotations

from crawlers.extract import warm_up

warm_up()

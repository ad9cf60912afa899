"""Loopback HTTP server for the fixture site: used by ``crawlqa demo``, the tests and the benchmarks.

``serve(root)`` starts a threaded ``http.server`` on 127.0.0.1 (never anything else) in a background
thread and returns a :class:`SiteServer` handle::

    with serve(FIXTURE_SITE, faults=True) as site:
        urllib.request.urlopen(site.url + "/wiki/index.html")
        assert site.requests == 1

What it serves:

* files under ``root`` (``..`` segments and symlinks leaving the root are refused with 403),
  ``index.html`` for directories, ``/x`` answered from ``/x.html`` when only that file exists;
* server-side redirects from ``root/_redirects.txt`` (lines ``FROM STATUS TO``) and the
  ``redirects`` argument;
* with ``faults=True``, fault-injection endpoints under ``/_faults/`` (500, slow, dripping, huge,
  Latin-1, malformed, redirect loop, connection reset, binary, off-site links).

Run ``python -m crawlqa.devserver [--root DIR] [--port N]`` to browse the fixture site by hand.
"""

from __future__ import annotations

import argparse
import ipaddress
import math
import mimetypes
import shutil
import socket
import socketserver
import struct
import threading
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import parse_qs, quote, unquote

FIXTURE_SITE: Path = Path(__file__).resolve().parent / "fixtures" / "site"
"""The packaged fixture site (wiki/, arxiv/, github/ sub-sites; see its FACTS.md)."""

REDIRECTS_FILE = "_redirects.txt"
FAULTS_PREFIX = "/_faults/"
DEFAULT_PORT = 8765
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

RedirectMap = Mapping[str, str | tuple[int, str]]
"""``{from_path: to_path}`` (answered 301) or ``{from_path: (status, to_path)}``."""

_CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".htm": "text/html; charset=utf-8",
    ".txt": "text/plain; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".json": "application/json",
    ".xml": "application/xml",
    ".pdf": "application/pdf",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
}

# Upper bounds for the fault endpoints' parameters, so a typo cannot pin a thread for hours.
_MAX_SECONDS = 300.0
_MAX_MEGABYTES = 2048.0

_DRIP_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Dripping page</title>'
    "</head><body><h1>Dripping page</h1><p>This page is sent one byte at a time to test how a "
    "crawler copes with a server that answers, but very slowly.</p></body></html>\n"
)

_LATIN1_PAGE = (
    '<!DOCTYPE html><html lang="de"><head><title>Café Zürich - Straßenküche</title></head>'
    "<body><h1>Café Zürich</h1><p>Dieses Dokument ist in ISO-8859-1 kodiert und der Server nennt "
    "keinen Zeichensatz. Umlaute wie ä, ö, ü und das ß müssen trotzdem richtig erkannt werden: "
    "Grüße aus Zürich, Köln und Ålesund, für 12,50 Franken pro Person.</p>"
    "<p>Ein zweiter Absatz mit Sonderzeichen: naïve, façade, señor, smørrebrød, « guillemets » "
    "und ± Toleranzen von ¼ Zoll.</p></body></html>\n"
).encode("iso-8859-1")

_MALFORMED_PAGE = (
    "<html><head><title>Malformed page<body><div class=content><p>This page is broken on purpose:"
    " unclosed tags, <b>bold <i>and italic</p> text that runs on, a <table><tr><td>cell without"
    " closing<td>another cell <p>A paragraph inside a table cell that never ends. Parsers must"
    " still recover the words from it and not crash on the missing end tags or the stray"
    " </span></div></div> closers.<ul><li>first item<li>second item <a href=/wiki/index.html"
    ">a link with an unquoted href"
)

_OFFSITE_PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Off-site links</title>'
    "</head><body><h1>Off-site links</h1><p>This page links outside the loopback server. A crawler"
    " must not follow any of these links: the first leaves the allowed domain, the second points"
    " at a cloud metadata service and the third at a private network address.</p><ul>"
    '<li><a href="https://example.com/x">An external site</a></li>'
    '<li><a href="http://169.254.169.254/latest/meta-data/">Instance metadata</a></li>'
    '<li><a href="http://10.0.0.1/">A private network host</a></li>'
    '<li><a href="/wiki/index.html">Back to the fixture wiki</a></li></ul></body></html>\n'
)

_HUGE_HEAD = (
    b'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Huge page</title>'
    b"</head><body><h1>Huge page</h1>\n"
)
_HUGE_TAIL = b"</body></html>\n"
_HUGE_PARAGRAPH = (
    b"<p>This paragraph is repeated until the page reaches the requested size, to test that a "
    b"crawler enforces its maximum download size instead of reading everything into memory.</p>\n"
)


def load_redirects(path: Path | str) -> dict[str, tuple[int, str]]:
    """Parse a ``_redirects.txt`` file: one ``FROM_PATH STATUS TO_PATH`` per line, ``#`` comments.

    Raises ``ValueError`` (with the line number) on a malformed line or a non-redirect status.
    """
    redirects: dict[str, tuple[int, str]] = {}
    for number, raw in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        fields = line.split()
        if len(fields) != 3 or not fields[1].isdigit() or int(fields[1]) not in REDIRECT_STATUSES:
            raise ValueError(f"{path}:{number}: expected 'FROM_PATH STATUS TO_PATH', got {raw!r}")
        source, status, target = fields
        redirects[source] = (int(status), target)
    return redirects


def content_type(path: Path) -> str:
    """The Content-Type header for a file, by extension (UTF-8 for text types)."""
    known = _CONTENT_TYPES.get(path.suffix.lower())
    if known:
        return known
    guessed = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return f"{guessed}; charset=utf-8" if guessed.startswith("text/") else guessed


def _html_page(title: str, message: str) -> bytes:
    """A minimal, complete HTML document."""
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><h1>{title}</h1><p>{message}</p></body></html>\n"
    ).encode()


def _number_param(params: dict[str, list[str]], name: str, default: float, maximum: float) -> float:
    """A non-negative float query parameter, clamped to ``maximum``; ``default`` when absent/bad."""
    try:
        value = float(params[name][0])
    except (KeyError, IndexError, ValueError):
        return default
    return default if math.isnan(value) else min(max(value, 0.0), maximum)


def _normalize_redirects(redirects: RedirectMap | None) -> dict[str, tuple[int, str]]:
    """``{path: target | (status, target)}`` -> ``{path: (status, target)}``, validated."""
    normalized: dict[str, tuple[int, str]] = {}
    for source, value in (redirects or {}).items():
        status, target = (301, value) if isinstance(value, str) else value
        if status not in REDIRECT_STATUSES:
            raise ValueError(f"redirect {source!r}: {status} is not a redirect status")
        normalized[source] = (int(status), target)
    return normalized


def _loopback_address(host: str) -> tuple[str, socket.AddressFamily]:
    """The literal address and family to bind for ``host``; ``ValueError`` unless loopback."""
    literal = "127.0.0.1" if host == "localhost" else host.strip("[]")
    try:
        address = ipaddress.ip_address(literal)
    except ValueError:
        raise ValueError(
            f"refusing to bind {host!r}: only loopback addresses are allowed"
        ) from None
    if not address.is_loopback:
        raise ValueError(f"refusing to bind {host!r}: only loopback addresses are allowed")
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    return str(address), family


class _Server(ThreadingHTTPServer):
    """Threaded HTTP server with a large backlog, request statistics and the site configuration."""

    daemon_threads = True
    block_on_close = False
    request_queue_size = 128

    def __init__(
        self,
        address: tuple[str, int],
        family: socket.AddressFamily,
        root: Path,
        redirects: dict[str, tuple[int, str]],
        *,
        faults: bool,
        latency: float,
        verbose: bool,
    ) -> None:
        self.address_family = family
        self.root = root
        self.redirects = redirects
        self.faults = faults
        self.latency = latency
        self.verbose = verbose
        self.stopping = threading.Event()
        self._stats_lock = threading.Lock()
        self._paths: list[str] = []
        super().__init__(address, _Handler)

    def server_bind(self) -> None:
        """Bind without ``HTTPServer``'s reverse-DNS lookup of the host name."""
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def record(self, path: str) -> None:
        """Count one request for ``path``."""
        with self._stats_lock:
            self._paths.append(path)

    def paths(self) -> list[str]:
        """A copy of the request paths seen so far, in arrival order."""
        with self._stats_lock:
            return list(self._paths)

    def handle_error(self, request: object, client_address: object) -> None:
        """Print handler tracebacks only in verbose mode (clients hanging up are routine here)."""
        if self.verbose:
            super().handle_error(request, client_address)


class _Handler(BaseHTTPRequestHandler):
    """Serves files, redirects and (optionally) fault endpoints for one connection."""

    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "crawlqa-devserver/1.0"
    sys_version = ""
    timeout = 60  # seconds a kept-alive connection may idle before its thread lets go

    def log_message(self, format: str, *args: object) -> None:
        """Silent unless the server is verbose."""
        if self.server.verbose:
            super().log_message(format, *args)

    def handle(self) -> None:
        """Handle the connection; a client hanging up mid-answer is not an error."""
        try:
            super().handle()
        except (ConnectionError, TimeoutError):
            self.close_connection = True

    def do_GET(self) -> None:
        """Answer a GET request."""
        self._answer(head=False)

    def do_HEAD(self) -> None:
        """Answer a HEAD request (headers only)."""
        self._answer(head=True)

    # -- dispatch -------------------------------------------------------------------------------

    def _answer(self, *, head: bool) -> None:
        self.server.record(self.path)
        if self.server.latency:
            self.server.stopping.wait(self.server.latency)
        raw_path, _, query = self.path.partition("?")
        raw_path = raw_path.partition("#")[0]
        if not raw_path.startswith("/"):
            self._send(
                HTTPStatus.BAD_REQUEST, _html_page("400 Bad Request", "Bad path."), head=head
            )
            return
        path = unquote(raw_path)
        if self.server.faults and path.startswith(FAULTS_PREFIX):
            self._fault(path[len(FAULTS_PREFIX) :], parse_qs(query), head=head)
            return
        redirect = self.server.redirects.get(path)
        if redirect:
            self._redirect(*redirect, head=head)
            return
        self._serve_file(path, query, head=head)

    def _serve_file(self, path: str, query: str, *, head: bool) -> None:
        segments = path.split("/")
        if ".." in segments or "\\" in path or "\x00" in path:
            self._send(HTTPStatus.FORBIDDEN, _html_page("403 Forbidden", "Bad path."), head=head)
            return
        root = self.server.root
        target = root.joinpath(*(s for s in segments if s not in ("", ".")))
        try:
            resolved = target.resolve()
        except (OSError, RuntimeError):
            resolved = target
        if not resolved.is_relative_to(root):
            self._send(HTTPStatus.FORBIDDEN, _html_page("403 Forbidden", "Bad path."), head=head)
            return
        if resolved.is_dir():
            if not path.endswith("/"):
                location = quote(path) + "/" + (f"?{query}" if query else "")
                self._redirect(301, location, head=head)
                return
            resolved = resolved / "index.html"
        elif not resolved.is_file():
            pretty = resolved.with_name(resolved.name + ".html")
            if pretty.is_file() and pretty.resolve().is_relative_to(root):
                resolved = pretty
        if not resolved.is_file():
            self._send(
                HTTPStatus.NOT_FOUND, _html_page("404 Not Found", "No such page."), head=head
            )
            return
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", content_type(resolved))
        self.send_header("Content-Length", str(resolved.stat().st_size))
        self.end_headers()
        if not head:
            with resolved.open("rb") as handle:
                shutil.copyfileobj(handle, self.wfile)

    # -- responses ------------------------------------------------------------------------------

    def _send(
        self,
        status: int,
        body: bytes,
        ctype: str = "text/html; charset=utf-8",
        *,
        head: bool,
        headers: Sequence[tuple[str, str]] = (),
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        if not head:
            self.wfile.write(body)

    def _redirect(self, status: int, location: str, *, head: bool) -> None:
        body = _html_page(f"{status} Redirect", f'Moved to <a href="{location}">{location}</a>.')
        self._send(status, body, head=head, headers=[("Location", location)])

    # -- fault injection ------------------------------------------------------------------------

    def _fault(self, name: str, params: dict[str, list[str]], *, head: bool) -> None:
        html = "text/html; charset=utf-8"
        match name:
            case "500":
                body = _html_page("500 Internal Server Error", "The server failed on purpose.")
                self._send(HTTPStatus.INTERNAL_SERVER_ERROR, body, head=head)
            case "timeout":
                self.server.stopping.wait(_number_param(params, "s", 10.0, _MAX_SECONDS))
                body = _html_page("Slow page", "This page took a long time to answer.")
                self._send(HTTPStatus.OK, body, head=head)
            case "drip":
                self._drip(_number_param(params, "s", 5.0, _MAX_SECONDS), head=head)
            case "huge":
                self._huge(_number_param(params, "mb", 10.0, _MAX_MEGABYTES), head=head)
            case "latin1":
                self._send(HTTPStatus.OK, _LATIN1_PAGE, "text/html", head=head)
            case "malformed":
                self._send(HTTPStatus.OK, _MALFORMED_PAGE.encode(), html, head=head)
            case "loop":
                self._redirect(302, FAULTS_PREFIX + "loop", head=head)
            case "reset":
                # Linger 0: closing the socket sends RST instead of an answer.
                linger = struct.pack("ii", 1, 0)
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
                self.connection.close()
                self.close_connection = True
            case "binary":
                body = bytes(range(256)) * 16
                self._send(HTTPStatus.OK, body, "application/octet-stream", head=head)
            case "offsite":
                self._send(HTTPStatus.OK, _OFFSITE_PAGE.encode(), html, head=head)
            case _:
                body = _html_page("404 Not Found", "No such fault endpoint.")
                self._send(HTTPStatus.NOT_FOUND, body, head=head)

    def _drip(self, seconds: float, *, head: bool) -> None:
        """A valid page sent one byte per write, spread over ``seconds``."""
        body = _DRIP_PAGE.encode()
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if head:
            return
        interval = seconds / len(body)
        for index in range(len(body)):
            self.wfile.write(body[index : index + 1])
            self.wfile.flush()
            if self.server.stopping.wait(interval):
                self.close_connection = True
                return

    def _huge(self, megabytes: float, *, head: bool) -> None:
        """A generated HTML page of ``megabytes`` MiB, streamed in 64 KiB writes."""
        size = max(int(megabytes * 1024 * 1024), len(_HUGE_HEAD) + len(_HUGE_TAIL))
        self.send_response(HTTPStatus.OK)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        if head:
            return
        self.wfile.write(_HUGE_HEAD)
        remaining = size - len(_HUGE_HEAD) - len(_HUGE_TAIL)
        block = _HUGE_PARAGRAPH * (65536 // len(_HUGE_PARAGRAPH))
        while remaining >= len(block):
            if self.server.stopping.is_set():
                self.close_connection = True
                return
            self.wfile.write(block)
            remaining -= len(block)
        tail_paragraphs = _HUGE_PARAGRAPH * (remaining // len(_HUGE_PARAGRAPH))
        self.wfile.write(tail_paragraphs + b" " * (remaining - len(tail_paragraphs)) + _HUGE_TAIL)


class SiteServer:
    """Handle on a running loopback server: its URL, request statistics, and ``close()``."""

    def __init__(self, httpd: _Server, thread: threading.Thread) -> None:
        self._httpd = httpd
        self._thread = thread
        self._closed = False

    @property
    def host(self) -> str:
        """The bound loopback address, e.g. ``127.0.0.1``."""
        return str(self._httpd.server_address[0])

    @property
    def port(self) -> int:
        """The bound TCP port (the real one when ``port=0`` was asked)."""
        return int(self._httpd.server_address[1])

    @property
    def url(self) -> str:
        """Base URL without a trailing slash, e.g. ``http://127.0.0.1:54321``."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def root(self) -> Path:
        """The directory being served."""
        return self._httpd.root

    @property
    def requests(self) -> int:
        """Number of requests received so far (thread-safe)."""
        return len(self._httpd.paths())

    @property
    def paths(self) -> list[str]:
        """Request paths (with query strings) in arrival order; a copy (thread-safe)."""
        return self._httpd.paths()

    def close(self) -> None:
        """Stop serving, wake sleeping fault handlers and release the port. Idempotent."""
        if self._closed:
            return
        self._closed = True
        self._httpd.stopping.set()
        self._httpd.shutdown()
        self._httpd.server_close()
        self._thread.join(timeout=5)

    def __enter__(self) -> SiteServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SiteServer(url={self.url!r}, root={str(self.root)!r})"


def serve(
    root: Path | str,
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    redirects: RedirectMap | None = None,
    faults: bool = False,
    latency: float = 0.0,
    verbose: bool = False,
) -> SiteServer:
    """Serve ``root`` on a loopback address in a background thread and return its handle.

    ``port=0`` picks a free port (read it back from ``.port`` / ``.url``). Redirects come from
    ``root/_redirects.txt`` when present, then ``redirects`` (which wins on conflicts). ``faults``
    enables the ``/_faults/`` endpoints, ``latency`` (seconds) delays every answer, ``verbose``
    logs requests to stderr. Raises ``ValueError`` for a non-loopback ``host`` and
    ``NotADirectoryError`` when ``root`` is not a directory.
    """
    address, family = _loopback_address(host)
    site_root = Path(root).resolve()
    if not site_root.is_dir():
        raise NotADirectoryError(f"site root {site_root} is not a directory")
    if latency < 0:
        raise ValueError(f"latency must be >= 0, got {latency}")
    table: dict[str, tuple[int, str]] = {}
    if (site_root / REDIRECTS_FILE).is_file():
        table.update(load_redirects(site_root / REDIRECTS_FILE))
    table.update(_normalize_redirects(redirects))
    httpd = _Server(
        (address, port),
        family,
        site_root,
        table,
        faults=faults,
        latency=latency,
        verbose=verbose,
    )
    thread = threading.Thread(
        target=httpd.serve_forever,
        kwargs={"poll_interval": 0.05},
        name=f"crawlqa-devserver-{httpd.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return SiteServer(httpd, thread)


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: serve a directory (default: the fixture site) until Ctrl-C."""
    parser = argparse.ArgumentParser(
        prog="python -m crawlqa.devserver",
        description="Serve the crawlqa fixture site (or another directory) on 127.0.0.1.",
    )
    parser.add_argument("--root", type=Path, default=FIXTURE_SITE, help="directory to serve")
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to bind")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help="port (0 = any free port)")
    parser.add_argument("--faults", action="store_true", help="enable /_faults/ endpoints")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to each answer")
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")
    args = parser.parse_args(argv)
    try:
        site = serve(
            args.root,
            args.host,
            args.port,
            faults=args.faults,
            latency=args.latency,
            verbose=args.verbose,
        )
    except (ValueError, OSError) as exc:
        parser.error(str(exc))
    with site:
        print(f"Serving {site.root} at {site.url}/  (Ctrl-C to stop)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

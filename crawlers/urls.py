"""URL canonicalisation: one key per page, whatever way a link spells it.

``canonicalize(url)`` is the page identity (``Page.url``, ``page_id``): lower-case scheme and host,
no default port, no fragment, no tracking parameters, sorted query (w3lib), percent-encoding
normalised (w3lib), dot segments and repeated slashes removed, no ``index.html``-style last segment (without a query),
no trailing slash (except the root), mobile host variants folded into the desktop host
(``en.m.wikipedia.org`` → ``en.wikipedia.org``, ``m.example.com`` → ``example.com``) and MediaWiki's
``/w/index.php?title=X`` folded into ``/wiki/X``.

``fetch_url(url)`` is what is requested: the link as written, less its fragment, tracking
parameters and any ``user:password@`` (a server may care about a trailing slash, so that stays).
``redact_url`` is a URL as it may be shown or written anywhere: credentials replaced by ``***``.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re
from functools import lru_cache
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import tldextract
from w3lib.url import canonicalize_url, safe_url_string

_TLD = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)  # bundled snapshot: offline

TRACKING_PARAM = re.compile(
    r"^(?:utm_[a-z0-9_]+|fbclid|gclid|gclsrc|dclid|gbraid|wbraid|msclkid|yclid|twclid|igshid|"
    r"mc_cid|mc_eid|_ga|_gl|_hsenc|_hsmi|mkt_tok|oly_anon_id|oly_enc_id|vero_id|vero_conv|"
    r"pk_[a-z]+|mtm_[a-z]+|ref_src|ref_url|srsltid|spm|"
    r"useskin|mobileaction)$",  # MediaWiki skin/mobile variants of the same article
    re.IGNORECASE,
)
INDEX_FILES = frozenset({"index.html", "index.htm", "index.php", "default.htm", "default.html",
                         "default.aspx", "index.shtml"})
MOBILE_LABELS = frozenset({"m", "mobile"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# characters (or a stray "%") that make safe_url_string change a URL
_UNSAFE = re.compile(r"[^A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=%]|%(?![0-9A-Fa-f]{2})")


def is_http(url: str) -> bool:
    return url[:7].lower() == "http://" or url[:8].lower() == "https://"


def host_of(url: str) -> str:
    """Lower-case host name of a URL (no port, no brackets); '' when there is none."""
    try:
        return (urlsplit(url).hostname or "").rstrip(".")
    except ValueError:
        return ""


_USERINFO = re.compile(r"^([A-Za-z][A-Za-z0-9+.\-]*://)([^/?#]*@)", re.S)


def has_userinfo(url: str) -> bool:
    """The URL carries a user name and/or password (``http://user:pw@host/``)."""
    return _USERINFO.match(url.strip()) is not None


def redact_url(url: str) -> str:
    """``url`` with its user name and password replaced by ``***`` (what may be shown or written)."""
    return _USERINFO.sub(r"\1***@", url.strip(), count=1)


@lru_cache(maxsize=4_096)
def ascii_host(host: str) -> str:
    """A host name in its one comparable form: IDNA (punycode) ASCII, lower case, no trailing dot.

    ``bücher.example`` and ``xn--bcher-kva.example`` are the same host (links and redirects arrive
    punycoded by w3lib, roots as the user typed them). UTS #46 mapping (the ``idna`` package), else
    Python's IDNA 2003 codec; a name neither can encode stays as it is."""
    host = host.strip().rstrip(".").lower()
    if host.isascii():
        return host
    import idna

    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        try:
            return host.encode("idna").decode("ascii")
        except UnicodeError:
            return host


def ip_literal(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


@lru_cache(maxsize=4_096)
def registered_domain(host: str) -> str:
    """``en.wikipedia.org`` → ``wikipedia.org``; an IP address or ``localhost`` is its own domain."""
    host = host.lower().rstrip(".")
    if not host or ip_literal(host) is not None:
        return host
    ext = _TLD.extract_str(host)
    if ext.domain and ext.suffix:
        return f"{ext.domain}.{ext.suffix}"
    return host


def host_matches(host: str, domain: str) -> bool:
    """``host`` is ``domain`` or one of its subdomains."""
    host, domain = host.lower().rstrip("."), domain.lower().rstrip(".")
    return host == domain or host.endswith("." + domain)


@lru_cache(maxsize=4_096)
def _desktop_host(host: str) -> str:
    if ip_literal(host) is not None or "." not in host:
        return host
    ext = _TLD.extract_str(host)
    labels = ext.subdomain.split(".") if ext.subdomain else []
    if labels and labels[-1] in MOBILE_LABELS and ext.domain and ext.suffix:
        return ".".join([*labels[:-1], ext.domain, ext.suffix])
    return host


def _clean_query(query: str) -> str:
    if not query:
        return ""
    pairs = parse_qsl(query, keep_blank_values=True)
    kept = [(k, v) for k, v in pairs if not TRACKING_PARAM.match(k)]
    if len(kept) == len(pairs):
        return query
    return urlencode(kept, quote_via=quote)


def _normalize_path(path: str, fold_index: bool = True) -> str:
    if not path:
        return "/"
    trailing = path.endswith("/")
    norm = posixpath.normpath(re.sub(r"/{2,}", "/", path))
    if norm in (".", "//"):
        norm = "/"
    if trailing and norm != "/":
        norm += "/"
    head, _, last = norm.rpartition("/")
    if fold_index and last.lower() in INDEX_FILES:
        norm = head + "/"
    if len(norm) > 1 and norm.endswith("/"):
        norm = norm.rstrip("/") or "/"
    return norm


# path characters w3lib's canonicalize_url leaves as they are (RFC 3986 unreserved + sub-delims + ":@/")
_PLAIN_PATH = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@/]*")


def _netloc(scheme: str, host: str, port: int | None) -> str:
    host = _desktop_host(host.rstrip("."))
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    return host if port in (None, _DEFAULT_PORTS.get(scheme)) else f"{host}:{port}"


@lru_cache(maxsize=16_384)
def canonicalize(url: str) -> str:
    """The canonical key of a URL (see the module doc). Non-HTTP URLs come back stripped only."""
    url = url.strip()
    if not is_http(url):
        return url.split("#", 1)[0]
    if url.isascii() and "%" not in url:  # fast path: nothing for w3lib to re-encode
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return url.split("#", 1)[0]
        if not _clean_query(parts.query) and _PLAIN_PATH.fullmatch(parts.path):
            scheme = parts.scheme.lower()
            return urlunsplit((scheme, _netloc(scheme, parts.hostname or "", port),
                               _normalize_path(parts.path), "", ""))
    return _canonicalize_slow(url)


def _canonicalize_slow(url: str) -> str:
    try:
        parts = urlsplit(safe_url_string(url))
        scheme = parts.scheme.lower()
        netloc = _netloc(scheme, parts.hostname or "", parts.port)
    except ValueError:
        return url.split("#", 1)[0]
    path, query = parts.path, _clean_query(parts.query)
    if path.endswith("/index.php") and query:
        params = parse_qsl(query, keep_blank_values=True)
        if len(params) == 1 and params[0][0] == "title" and params[0][1]:
            path, query = "/wiki/" + quote(params[0][1].replace(" ", "_"), safe="/:(),'!*~"), ""
    if query:
        query = _fold_query(path, query)
    rebuilt = urlunsplit((scheme, netloc, path or "/", query, ""))
    canon = canonicalize_url(rebuilt, keep_fragments=False)
    parts = urlsplit(canon)
    path = _normalize_path(parts.path, fold_index=not parts.query)
    return urlunsplit((parts.scheme, parts.netloc, path, parts.query, ""))


def _fold_query(path: str, query: str) -> str:
    """The query less the parameters a site profile knows do not change the page (arXiv's
    ``?context=``; see ``Profile.fold_query``)."""
    from crawlers.profiles import all_profiles  # the profiles import this module

    pairs = parse_qsl(query, keep_blank_values=True)
    for profile in all_profiles():
        kept = profile.fold_query(path, pairs)
        if kept is not None:
            return urlencode(kept, quote_via=quote)
    return query


@lru_cache(maxsize=16_384)
def fetch_url(url: str) -> str:
    """The URL to request for a link: as written, less fragment and tracking parameters."""
    url = url.strip()
    if not url.isascii() or _UNSAFE.search(url):
        url = safe_url_string(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return redact_url(url.split("#", 1)[0])
    netloc = parts.netloc.rpartition("@")[2]  # credentials in a link are never sent (nor logged, cached)
    return urlunsplit((parts.scheme, netloc, parts.path or "/", _clean_query(parts.query), ""))

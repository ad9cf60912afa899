"""The LLM client: async OpenAI-compatible chat completions with bounded adaptive concurrency, a
content-addressed cache, structured output, a token budget and a per-stage ledger.

One request → one :class:`LLMResult`, never an exception for a bad answer or a failed call:

    error            meaning
    ''               ok: ``parsed`` holds the validated model (or ``raw`` the text when schema is None)
    refusal          the model refused (``message.refusal``, finish_reason content_filter, or refusal text)
    empty            no content
    truncated        the answer was cut at max_tokens and is not valid JSON
    parse_error      not a JSON object, even after repair
    schema_violation JSON that does not validate against the schema (``detail`` says where)
    budget_exhausted the token budget has no room for this call: it was not sent
    rate_limited     still HTTP 429 after ``rate_limit_retries`` re-sends
    timeout          timed out (after the openai client's own retries)
    connection_error connection failed or dropped (after the openai client's own retries)
    http_error       any other HTTP error (5xx after retries, 400 ...); ``detail`` has the status
    bad_response     a 2xx whose body is not a chat completion (not JSON, no choices); ``raw`` keeps it
    auth_error / not_found / quota_exhausted
                     configuration problems (401/403, 404 model or endpoint, 429 insufficient_quota):
                     logged once at ERROR; every later request of this client fails the same way
                     without a call

Retries — who does what:

* **5xx, 408/409, timeouts, connection errors** are retried by the openai client itself
  (``max_retries``, its exponential backoff, honouring ``Retry-After``), inside one of our slots.
* **429** is *not* left to the openai client: a response hook on its HTTP client marks every 429 with
  ``x-should-retry: false`` (the openai client obeys that header), so the ``RateLimitError`` surfaces
  at once. We then halve the adaptive limit, pause new calls for ``Retry-After`` (capped at
  ``max_retry_after``; exponential backoff without the header) and re-send the request through the
  limiter, up to ``rate_limit_retries`` times. Left to the openai client, a 429 would be retried
  blind to the other in-flight calls, would hold its slot while sleeping, and would use up the
  5xx retry allowance; a storm would fail requests instead of slowing the run down.
  ``insufficient_quota`` 429s are not transient: ``quota_exhausted``.

Structured output (``cfg.structured``): ``json_schema`` sends the strict JSON schema of the request's
pydantic model; ``json_object`` asks for JSON mode; ``auto`` starts with json_schema and, when a
server rejects it (HTTP 400/422), retries that request in json_object mode and then as plain text,
and keeps the first mode that worked for the rest of the client's life. Whatever the mode, the text
is parsed tolerantly (code fences, prose around the object, small damage) and validated.

Reasoning models (OpenAI o-series, gpt-5 ...) reject ``max_tokens`` ("Unsupported parameter ... Use
'max_completion_tokens' instead") and a temperature other than the default (``unsupported_value``).
On such a 400 the request is re-sent once with ``max_completion_tokens`` (``cfg.token_param="auto"``)
or without the temperature, and the client keeps sending that form for the rest of its life, like
the structured-output fallback; ``stats()`` shows ``param_adaptations`` and ``param_resends``. A 400
about these parameters never triggers the structured-output fallback. ``token_param`` and
``temperature=None`` configure the reasoning form up front (no 400 at all).

Cache: key = sha256(model, messages, temperature, max_tokens, response_format) of the request as
configured (the reasoning-model wire form above does not change it); only answers that
parsed are stored. In ``auto`` mode a lookup tries every mode's key, so a re-run of a job whose server
needed the fallback is call-free too. A cache hit costs no tokens and bypasses the budget.

Budget: see :mod:`synth.llm.throttle` (reserve worst case before a call, settle with the real usage).
The budget counts the tokens in this client's ledger (share a ledger to share a budget).

The API key is given to the openai client and to nothing else; it is also scrubbed from every
``raw``/``detail`` text a server sends back, so an echoing server cannot leak it into shards.

Transport: calls go through the openai client's documented raw-request API
(``client.post("/chat/completions", cast_to=httpx2.Response)``): its auth, timeout and retries apply,
and we read the JSON body ourselves, so an odd server answer is kept as ``raw`` instead of vanishing in
a validation error. The HTTP transport is the openai client's aiohttp one when aiohttp is installed
(``http_backend="auto"``; ~30% less CPU per call than httpx, see bench/RESULTS-llm.md), else httpx.
That transport reports a dropped connection as a connect *timeout*; we classify it back as
``connection_error`` from the exception chain (tested on both transports). On Python 3.11 its
request bodies are written when the request is made (:mod:`synth.llm.eager`), so a round of answers
arriving together does not hold every next request back until the whole round is processed. The
connection pool keeps at least ``concurrency`` connections alive; the TLS context is built once per
process. The body is our canonical JSON sent as ``content=`` (the SDK does not re-transform it).

Event loop: the client owns one asyncio loop in a daemon thread, started on first use; the openai
HTTP client (its connection pool), the limiter and the budget live there. ``complete_many`` (sync)
submits to it and blocks, so it works from any thread, inside or outside a running loop (a Prefect
task, a notebook); ``acomplete`` may be awaited from any loop and runs on the client's loop too, so
every caller of one client shares one concurrency limit. ``close()`` (or the context manager) closes
the HTTP client, stops the loop and closes the cache.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextvars
import functools
import importlib.util
import json
import logging
import re
import ssl
import threading
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from synth.llm import eager
from synth.llm.cache import ResponseCache, canonical_json, key_of
from synth.llm.config import DEFAULT_BASE_URL, LLMConfig
from synth.llm.ledger import TokenLedger
from synth.llm.parse import looks_like_refusal, parse_answer, response_format
from synth.llm.throttle import AdaptiveLimiter, TokenBudget, parse_retry_after

if TYPE_CHECKING:
    from openai import AsyncOpenAI

log = logging.getLogger(__name__)

MODES = ("json_schema", "json_object", "text")
FATAL_ERRORS = frozenset({"auth_error", "not_found", "quota_exhausted"})
_NO_KEY = "no-key"  # sent when no key is configured (local servers); never the env var


@dataclass
class LLMRequest:
    """One chat request. ``key`` is the caller's id for the result; ``prompt_version`` (e.g.
    ``count.v1``) is only used to group parse-failure rates in the ledger."""

    messages: list[dict]
    schema: type[BaseModel] | None = None
    key: str = ""
    prompt_version: str = ""


@dataclass
class LLMResult:
    """The outcome of one request (see the module docstring for ``error``)."""

    key: str
    ok: bool
    parsed: BaseModel | None = None
    raw: str = ""
    error: str = ""
    cached: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    detail: str = ""
    model: str = ""
    mode: str = ""


class LLMClient:
    """See the module docstring. A context manager: closes the HTTP client and the cache."""

    def __init__(self, cfg: LLMConfig, *, ledger: TokenLedger | None = None) -> None:
        self.cfg = cfg
        self.ledger = ledger if ledger is not None else TokenLedger()
        self.cache = ResponseCache(cfg.cache_path)
        self.limiter = AdaptiveLimiter(cfg.concurrency, max_pause=cfg.max_retry_after)
        self.budget = TokenBudget(cfg.token_budget, self.ledger.total_tokens)
        self._chain: tuple[str, ...] = MODES if cfg.structured == "auto" else (cfg.structured,)
        self._floor = 0  # index in _chain of the first mode still tried (auto fallback is sticky)
        self._fatal: tuple[str, str] | None = None
        self._warned: set[str] = set()
        self._stage: contextvars.ContextVar[str] = contextvars.ContextVar("llm_stage", default="")
        self._oa: AsyncOpenAI | None = None
        self._loop_runner: _LoopThread | None = None
        self._runner_lock = threading.Lock()
        self._cache_modes: dict[str, bool] = {}  # mode -> the cache may hold answers in it
        self._secret = cfg.api_key.get_secret_value() if cfg.api_key is not None else ""
        self._eager_writes = False  # aiohttp request bodies written when sent (see synth.llm.eager)
        # how the token limit and the temperature are sent (reasoning models reject the usual form)
        self._token_field = "max_completion_tokens" if cfg.token_param == "max_completion_tokens" else "max_tokens"
        self._send_temperature = cfg.temperature is not None
        self._adaptations: dict[str, str] = {}  # rejected parameter -> what is sent instead
        self._param_resends = 0
        import openai  # noqa: F401  (heavy: ~0.3 s; paid when the client is built, not on its first call)

    # --- public ----------------------------------------------------------------------------------
    @property
    def model(self) -> str:
        return self.cfg.model

    @property
    def mode(self) -> str:
        """The structured-output mode tried first now (auto may have fallen back)."""
        return self._chain[self._floor]

    def complete_many(self, reqs: Sequence[LLMRequest], *, stage: str) -> list[LLMResult]:
        """Run requests with bounded adaptive concurrency; results in input order. Sync; callable
        from any thread, with or without a running event loop (the work runs on the client's loop)."""
        reqs = list(reqs)
        if not reqs:
            return []
        return self._runner().run(self._run_many(reqs, stage))

    async def acomplete(self, req: LLMRequest, *, stage: str) -> LLMResult:
        """One request: cache, else (budget permitting) a call through the adaptive limiter.
        Awaitable from any event loop; the call itself runs on the client's loop."""
        runner = self._runner()
        if asyncio.get_running_loop() is runner.loop:
            return await self._acomplete(req, stage)
        return await asyncio.wrap_future(runner.submit(self._acomplete(req, stage)))

    def stats(self) -> dict[str, Any]:
        """Limiter, structured mode and cache figures (for a stage report)."""
        return {**self.limiter.stats(), "mode": self.mode, "cache_entries": len(self.cache),
                "budget_refused": self.budget.refused, "eager_writes": self._eager_writes,
                "token_param": self._token_field, "temperature_sent": self._send_temperature,
                "param_adaptations": dict(self._adaptations), "param_resends": self._param_resends}

    def close(self) -> None:
        """Close the HTTP client (on the client's loop), stop that loop, close the cache. Idempotent."""
        runner, self._loop_runner = self._loop_runner, None
        if runner is not None:
            try:
                runner.run(self._aclose_openai())
            finally:
                runner.stop()
        self.cache.close()

    async def aclose(self) -> None:
        await asyncio.to_thread(self.close)

    def __enter__(self) -> LLMClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> LLMClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # --- internals ---------------------------------------------------------------------------------
    def _runner(self) -> _LoopThread:
        with self._runner_lock:
            if self._loop_runner is None:
                if self.cache.closed:
                    raise RuntimeError("LLMClient is closed")
                self._loop_runner = _LoopThread()
            return self._loop_runner

    async def _acomplete(self, req: LLMRequest, stage: str) -> LLMResult:
        token = self._stage.set(stage)
        try:
            res = await self._complete(req, stage)
        finally:
            self._stage.reset(token)
        if not res.ok:
            self.ledger.failure(stage, res.error)
            self._warn_once(res)
        else:
            self.ledger.add(stage, ok=1)
        return res

    async def _run_many(self, reqs: list[LLMRequest], stage: str) -> list[LLMResult]:
        results: list[LLMResult | None] = [None] * len(reqs)
        todo = iter(range(len(reqs)))

        async def worker() -> None:
            for i in todo:
                results[i] = await self._acomplete(reqs[i], stage)

        try:
            async with asyncio.TaskGroup() as tg:  # a bug in one request cancels the others, then raises
                for _ in range(min(self.cfg.concurrency, len(reqs))):
                    tg.create_task(worker())
        finally:
            self.cache.flush()  # a finished batch is on disk: a re-run is call-free
        return [r for r in results if r is not None]

    def _openai(self) -> AsyncOpenAI:
        if self._oa is None:
            import httpx2
            import openai

            aio = self._use_aiohttp()
            backend = openai.DefaultAioHttpClient if aio else openai.DefaultAsyncHttpxClient
            cap = self.cfg.concurrency  # a pool that keeps every connection a full round uses
            http = backend(event_hooks={"response": [self._on_response]}, verify=_tls_context(),
                           limits=httpx2.Limits(max_connections=max(1000, cap), max_keepalive_connections=max(100, cap)))
            if aio:
                self._eager_writes = eager.install(asyncio.get_running_loop())
            self._oa = openai.AsyncOpenAI(
                api_key=self._secret or _NO_KEY, base_url=self.cfg.base_url or DEFAULT_BASE_URL,
                timeout=self.cfg.timeout, max_retries=self.cfg.max_retries, http_client=http)
        return self._oa

    def _use_aiohttp(self) -> bool:
        if self.cfg.http_backend != "auto":
            return self.cfg.http_backend == "aiohttp"
        return importlib.util.find_spec("aiohttp") is not None

    async def _aclose_openai(self) -> None:
        if self._oa is not None:
            oa, self._oa = self._oa, None
            await oa.close()

    async def _on_response(self, response: Any) -> None:
        """HTTP response hook: surface 429s to us (no blind client retry); count server errors."""
        code = response.status_code
        if code == 429:
            response.headers["x-should-retry"] = "false"
        elif code >= 500 or code in (408, 409):
            stage = self._stage.get()
            if stage:
                self.ledger.add(stage, server_errors=1)

    def _prepare(self, req: LLMRequest, mode: str) -> _Prepared:
        """The request in a mode, serialised once: cache key, size estimate and body.

        The key hashes the request *as configured* (model, messages, temperature, max_tokens,
        response_format); the body is the same text unless this model needs the wire form adapted
        (``max_completion_tokens``, no temperature): see :meth:`_adapt_to`."""
        p: dict[str, Any] = {"model": self.cfg.model, "messages": req.messages,
                             "temperature": self.cfg.temperature, "max_tokens": self.cfg.max_tokens}
        rf = response_format(mode, req.schema) if req.schema is not None else None
        if rf is not None:
            p["response_format"] = rf
        text = canonical_json(p)
        wire = (self._token_field, self._send_temperature)
        if wire == ("max_tokens", True):
            body = text.encode("utf-8")
        else:
            sent = {k: v for k, v in p.items() if k not in ("max_tokens", "temperature")}
            sent[self._token_field] = self.cfg.max_tokens
            if self._send_temperature:
                sent["temperature"] = self.cfg.temperature
            body = canonical_json(sent).encode("utf-8")
        # worst case: prompt ~ UTF-8 bytes / 3 (conservative for English and CJK) + max_tokens
        prompt_estimate = len(body) // 3 + 8 * len(req.messages) + 8
        return _Prepared(mode, p, body, key_of(text), prompt_estimate, prompt_estimate + self.cfg.max_tokens, wire)

    def _modes(self, req: LLMRequest) -> tuple[str, ...]:
        return ("text",) if req.schema is None else self._chain[self._floor:]

    def _scrub(self, text: str | None) -> str:
        t = text or ""
        return t.replace(self._secret, "***") if self._secret and self._secret in t else t

    def _fail(self, req: LLMRequest, error: str, detail: str = "", raw: str = "", mode: str = "",
              prompt_tokens: int = 0, completion_tokens: int = 0) -> LLMResult:
        return LLMResult(key=req.key, ok=False, raw=self._scrub(raw), error=error, detail=self._scrub(detail)[:2000],
                         model=self.cfg.model, mode=mode, prompt_tokens=prompt_tokens,
                         completion_tokens=completion_tokens)

    def _warn_once(self, res: LLMResult) -> None:
        if res.error in self._warned:
            return
        self._warned.add(res.error)
        level = logging.ERROR if res.error in FATAL_ERRORS else logging.WARNING
        log.log(level, "llm %s (model %s): %s (further ones are counted, not logged)",
                res.error, self.cfg.model, res.detail[:300] or "-")

    async def _complete(self, req: LLMRequest, stage: str) -> LLMResult:
        self.ledger.add(stage, requests=1)
        preps: dict[str, _Prepared] = {}

        def prep(mode: str) -> _Prepared:
            if mode not in preps:
                preps[mode] = self._prepare(req, mode)
            return preps[mode]

        modes = self._modes(req)
        for mode in modes:  # the cache first, under every mode this request may be sent in
            if not self._cache_may_have(mode):
                continue
            hit = self.cache.get(prep(mode).key)
            if hit is not None:
                res = self._read_answer(req, hit.get("content"), None, hit.get("finish_reason"), mode)
                if res.ok:
                    res.cached = True
                    self.ledger.add(stage, cache_hits=1)
                    return res
        res = self._fail(req, "http_error", "no mode to try")
        for i, mode in enumerate(modes):
            res, outcome = await self._send(req, prep(mode), stage)
            if outcome == "rejected" and i + 1 < len(modes):
                continue  # HTTP 400/422: maybe this response_format is not supported; try the next mode
            if i > 0 and outcome == "answered":
                self._fall_back_to(mode)  # a weaker mode got an answer where a stronger one got a 400
            break
        return res

    def _cache_may_have(self, mode: str) -> bool:
        if mode not in self._cache_modes:
            self._cache_modes[mode] = self.cache.has(model=self.cfg.model, mode=mode)
        return self._cache_modes[mode]

    def _fall_back_to(self, mode: str) -> None:
        idx = self._chain.index(mode)
        if idx > self._floor:
            self._floor = idx
            log.warning("llm server rejects the stronger response_format; using %s from now on (model %s)",
                        mode, self.cfg.model)

    async def _send(self, req: LLMRequest, prep: _Prepared, stage: str) -> tuple[LLMResult, str]:
        """One request through the limiter and the budget; re-sent after 429s.

        Returns ``(result, outcome)``: outcome ``answered`` (a 2xx came back), ``rejected`` (HTTP
        400/422) or ``failed`` (anything else)."""
        import httpx2
        import openai

        mode, estimate = prep.mode, prep.estimate
        retries_429 = 0
        while True:
            if prep.wire != (self._token_field, self._send_temperature):
                prep = self._prepare(req, mode)  # this model's wire form changed (same key)
            async with self.limiter.slot() as slot:
                if self._fatal is not None:
                    return self._fail(req, self._fatal[0], self._fatal[1], mode=mode), "failed"
                if not await self.budget.reserve(estimate):
                    rem = self.budget.remaining
                    return self._fail(req, "budget_exhausted",
                                      f"token budget {self.cfg.token_budget}: {rem} left, call needs up to "
                                      f"{estimate}", mode=mode), "failed"
                try:
                    self.ledger.add(stage, calls=1)
                    try:
                        http = await self._openai().post("/chat/completions", content=prep.body, cast_to=httpx2.Response,
                                                         options={"headers": {"Content-Type": "application/json"}})
                    except openai.RateLimitError as e:
                        self.ledger.add(stage, rate_limited=1)
                        if _error_code(e) == "insufficient_quota":
                            return self._fatal_fail(req, "quota_exhausted", e, mode), "failed"
                        slot.rate_limited(parse_retry_after(e.response.headers))
                        retries_429 += 1
                        if retries_429 > self.cfg.rate_limit_retries:
                            return self._fail(req, "rate_limited", f"HTTP 429 after {retries_429 - 1} re-sends",
                                              mode=mode), "failed"
                        continue
                    except (openai.AuthenticationError, openai.PermissionDeniedError) as e:
                        return self._fatal_fail(req, "auth_error", e, mode), "failed"
                    except openai.NotFoundError as e:
                        return self._fatal_fail(req, "not_found", e, mode), "failed"
                    except (openai.BadRequestError, openai.UnprocessableEntityError) as e:
                        param = _unsupported_param(e)
                        if param is None:  # maybe the response_format: the caller may try the next mode
                            return self._fail(req, "http_error", _status_detail(e), mode=mode), "rejected"
                        if self._adapt_to(param, prep.wire):
                            self._param_resends += 1
                            continue  # once per parameter: the re-sent body no longer has it
                        return self._fail(req, "http_error", _status_detail(e), mode=mode), "failed"
                    except openai.APITimeoutError as e:
                        if not _really_a_timeout(e):  # aiohttp transport reports a dropped connection so
                            return self._fail(req, "connection_error", f"connection dropped ({_cause_chain(e)})",
                                              mode=mode), "failed"
                        return self._fail(req, "timeout", f"no answer within {self.cfg.timeout}s "
                                                          f"(+{self.cfg.max_retries} retries)", mode=mode), "failed"
                    except openai.APIConnectionError as e:
                        return self._fail(req, "connection_error", f"{e} ({_cause(e)})", mode=mode), "failed"
                    except openai.APIStatusError as e:
                        return self._fail(req, "http_error", _status_detail(e), mode=mode), "failed"
                    slot.success()
                    try:
                        body = http.json()
                        if not isinstance(body, dict):
                            raise ValueError(f"body is a JSON {type(body).__name__}, not an object")
                    except ValueError as e:  # a 2xx that is not a chat completion
                        return self._fail(req, "bad_response", f"{type(e).__name__}: {e}",
                                          raw=_body_text(http), mode=mode), "answered"
                    return self._settle(req, body, stage, prep), "answered"
                finally:
                    self.budget.release(estimate)

    def _adapt_to(self, param: str, sent: tuple[str, bool]) -> bool:
        """The server says ``param`` is not supported (o-series / gpt-5 models): change how this client
        sends it from now on, like the structured-output fallback. True if the request should be
        re-sent: it carried the parameter and there is another way to say it. ``max_tokens`` becomes
        ``max_completion_tokens`` (only with ``token_param='auto'``); a rejected temperature is left
        out (the model's default). The cache key does not change: it describes the request as
        configured, which is still what is asked (so a re-run finds the answer before it has learned
        the adaptation, and two requests that differ as configured never share a key)."""
        token_field, temperature_sent = sent
        if param == "max_tokens" and token_field == "max_tokens" and self.cfg.token_param == "auto":
            if self._token_field == "max_tokens":
                self._token_field = self._adaptations["max_tokens"] = "max_completion_tokens"
                log.warning("llm model %s rejects max_tokens; sending max_completion_tokens from now on",
                            self.cfg.model)
            return True
        if param == "temperature" and temperature_sent:
            if self._send_temperature:
                self._send_temperature = False
                self._adaptations["temperature"] = "omitted"
                log.warning("llm model %s rejects temperature %s; leaving it out from now on (the model's default)",
                            self.cfg.model, self.cfg.temperature)
            return True
        return False

    def _fatal_fail(self, req: LLMRequest, error: str, e: Exception, mode: str) -> LLMResult:
        detail = _status_detail(e)
        if self._fatal is None:
            self._fatal = (error, f"{detail} (client stopped calling)")
        return self._fail(req, error, detail, mode=mode)

    def _settle(self, req: LLMRequest, body: dict[str, Any], stage: str, prep: _Prepared) -> LLMResult:
        """A 2xx chat completion (as JSON): count its tokens, parse it, cache it if it parsed."""
        choices = body.get("choices")
        choice = choices[0] if isinstance(choices, list) and choices and isinstance(choices[0], dict) else {}
        msg = choice.get("message") if isinstance(choice.get("message"), dict) else {}
        content, refusal = _str_or_none(msg.get("content")), _str_or_none(msg.get("refusal"))
        if self._secret:  # a server echoing the key must not get it into records, rejects or the cache
            content = None if content is None else self._scrub(content)
            refusal = None if refusal is None else self._scrub(refusal)
        finish = _str_or_none(choice.get("finish_reason"))
        usage = body.get("usage") if isinstance(body.get("usage"), dict) else None
        if usage is not None:
            pt, ct = _int(usage.get("prompt_tokens")), _int(usage.get("completion_tokens"))
        else:  # servers that do not report usage: charge the estimate
            pt = prep.prompt_estimate
            ct = len((content or refusal or "").encode("utf-8")) // 3 + 1
        self.ledger.usage(stage, pt, ct)
        if not choice:
            res = self._fail(req, "bad_response", "no choices in the answer", raw=json.dumps(body)[:4000],
                             mode=prep.mode)
        else:
            res = self._read_answer(req, content, refusal, finish, prep.mode)
            self.ledger.answer(stage, self.cfg.model, req.prompt_version, res.error)
        res.prompt_tokens, res.completion_tokens = pt, ct
        if res.ok:
            self.cache.put(prep.key, {"content": content, "finish_reason": finish, "usage": [pt, ct],
                                      "model": str(body.get("model", ""))}, model=self.cfg.model, mode=prep.mode)
            self._cache_modes[prep.mode] = True
        return res

    def _read_answer(self, req: LLMRequest, content: str | None, refusal: str | None, finish: str | None,
                     mode: str) -> LLMResult:
        if refusal:
            return self._fail(req, "refusal", "message.refusal", raw=refusal, mode=mode)
        if finish == "content_filter":
            return self._fail(req, "refusal", "finish_reason content_filter", raw=content or "", mode=mode)
        parsed, error, detail = parse_answer(content, req.schema, finish_reason=finish)
        if error:
            return self._fail(req, error, detail, raw=content or "", mode=mode)
        if req.schema is None and looks_like_refusal(content or ""):
            return self._fail(req, "refusal", "refusal text", raw=content or "", mode=mode)
        return LLMResult(key=req.key, ok=True, parsed=parsed, raw=self._scrub(content), detail=detail,
                         model=self.cfg.model, mode=mode)


@dataclass(frozen=True)
class _Prepared:
    mode: str
    payload: dict[str, Any]
    body: bytes
    key: str
    prompt_estimate: int
    estimate: int
    wire: tuple[str, bool] = ("max_tokens", True)  # (token limit field, temperature sent)


class _LoopThread:
    """An event loop running in a daemon thread: the client's HTTP pool, limiter and budget live on it."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="llm-client-loop", daemon=True)
        self.thread.start()

    def submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def run(self, coro: Coroutine[Any, Any, Any]) -> Any:
        if threading.current_thread() is self.thread:
            coro.close()
            raise RuntimeError("LLMClient sync method called from its own event loop; await acomplete instead")
        return self.submit(coro).result()

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=30)
        if not self.thread.is_alive():
            self.loop.close()


@functools.lru_cache(maxsize=1)
def _tls_context() -> ssl.SSLContext:
    """The TLS context the openai client would build for itself (``httpx2.create_ssl_context()``, same
    verification), made once per process: loading the CA bundle costs ~20 ms per client otherwise."""
    import httpx2

    return httpx2.create_ssl_context()


def _error_code(e: Exception) -> str:
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        if isinstance(err, dict) and err.get("code"):
            return str(err["code"])
    return str(getattr(e, "code", "") or "")


_ADAPTABLE = ("max_tokens", "temperature", "max_completion_tokens")
_UNSUPPORTED_RE = re.compile(r"unsupported (?:parameter|value):?\s*'([a-z_]+)'", re.I)


def _unsupported_param(e: Exception) -> str | None:
    """The request parameter a 400 says is not supported, as OpenAI words it::

        {"error": {"message": "Unsupported parameter: 'max_tokens' is not supported with this model. Use
        'max_completion_tokens' instead.", "type": "invalid_request_error", "param": "max_tokens",
        "code": "unsupported_parameter"}}

    (``unsupported_value`` for a temperature other than 1). Only token-limit and temperature
    parameters are recognised; anything else is None (e.g. a response_format the server lacks)."""
    body = getattr(e, "body", None)
    err = body.get("error", body) if isinstance(body, dict) else None
    if not isinstance(err, dict):
        return None
    param, code, msg = err.get("param"), str(err.get("code") or ""), str(err.get("message") or "")
    if param in _ADAPTABLE and (code in ("unsupported_parameter", "unsupported_value") or "support" in msg.lower()):
        return str(param)
    m = _UNSUPPORTED_RE.search(msg)
    return m.group(1) if m and m.group(1) in _ADAPTABLE else None


def _status_detail(e: Exception) -> str:
    code = getattr(e, "status_code", "?")
    msg = ""
    body = getattr(e, "body", None)
    if isinstance(body, dict):
        err = body.get("error", body)
        msg = str(err.get("message", "")) if isinstance(err, dict) else str(err)
    return f"HTTP {code}: {msg or type(e).__name__}"[:500]


def _str_or_none(v: Any) -> str | None:
    if v is None or isinstance(v, str):
        return v
    return json.dumps(v, ensure_ascii=False)  # some servers send structured content; keep it as text


def _int(v: Any) -> int:
    try:
        return max(0, int(v or 0))
    except (TypeError, ValueError):
        return 0


def _body_text(http: Any) -> str:
    try:
        return str(http.text)[:4000]
    except (UnicodeDecodeError, ValueError) as e:
        return f"<unreadable body: {type(e).__name__}>"


def _chain(e: BaseException) -> list[BaseException]:
    out: list[BaseException] = []
    cur: BaseException | None = e
    while cur is not None and cur not in out and len(out) < 10:
        out.append(cur)
        cur = cur.__cause__ or cur.__context__
    return out


def _cause_chain(e: BaseException) -> str:
    return " <- ".join(type(x).__name__ for x in _chain(e)[1:]) or "-"


def _really_a_timeout(e: BaseException) -> bool:
    """False when the openai client's aiohttp transport mapped a dropped connection
    (``aiohttp.ServerDisconnectedError`` ...) to a timeout; True for real timeouts."""
    for x in _chain(e)[1:]:
        mod = type(x).__module__ or ""
        if mod.startswith("aiohttp"):
            return "Timeout" in type(x).__name__
    return True


def _cause(e: BaseException) -> str:
    c = e.__cause__ or e.__context__
    return type(c).__name__ if c is not None else "-"

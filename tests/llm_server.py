"""A scriptable OpenAI-compatible server on 127.0.0.1, for tests and benchmarks (no network, no keys).

    from tests.llm_server import LLMTestServer, ok, rate_limited, server_error, drop, refusal

    with LLMTestServer(latency=0.0) as srv:          # or the ``llm_server`` pytest fixture
        srv.script(rate_limited(retry_after=0.1), server_error(500), ok({"question": "Who?"}))
        srv.responder = lambda call: ok({"question": call.user_text[:20]})   # after the script runs out
        client = LLMClient(LLMConfig(base_url=srv.url, api_key=SecretStr("sk-test"), ...))
        ...
        srv.calls          # every request received: body (dict), headers (lower-case names), timing
        srv.max_in_flight  # most chat requests being answered at the same time

Each ``POST /v1/chat/completions`` takes the next scripted reply (FIFO, in arrival order), else asks
``responder(call)``, else answers the default: an instance of the requested JSON schema with stub
strings (or ``{"question": "stub question N?"}`` without a schema). ``GET /v1/models`` lists ``model``.

Replies: ``ok(content)`` (str, or a dict/list sent as JSON text), ``refusal(text)``,
``rate_limited(retry_after=, retry_after_ms=, code=)`` (429), ``server_error(status)`` (5xx),
``status(code, message)``, ``drop()`` (closes the connection without an answer), ``slow(seconds, then)``,
``raw(status, body_bytes)`` (e.g. a body that is not JSON). Any reply takes ``delay=`` seconds.
``GET /v1/_stats`` returns ``{"chat_calls", "max_in_flight", "cpu_s"}`` (for a server run in another
process; ``cpu_s`` is the server process's CPU time) and ``GET /v1/_calls`` the chat calls as
``[connection, started, finished, status]`` (``time.monotonic()``, comparable across processes on Linux).
Server-wide: ``latency`` (every chat request), ``supports_json_schema`` / ``supports_json_object``
(400 when a request asks for an unsupported ``response_format``), ``require_key`` (401 otherwise),
``reasoning_model`` (like OpenAI's o-series / gpt-5: 400 ``unsupported_parameter`` for ``max_tokens``,
400 ``unsupported_value`` for a temperature other than 1, with OpenAI's error bodies; also as replies
``unsupported_parameter(param)`` / ``unsupported_value(param, value)``).

The HTTP/1.1 server is hand-written on asyncio streams (keep-alive, Content-Length or chunked bodies)
so that a test controls everything, including dropping a connection mid-request. It runs its own
event loop in a daemon thread; run ``python tests/llm_server.py --latency 0.2`` for a standalone one.

Pytest fixtures (register in tests/conftest.py): ``llm_server`` (a started server, closed after the
test) and ``llm_config`` (an ``LLMConfig`` pointing at it with a test key and a tmp cache).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

REASONS = {200: "OK", 400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 408: "Request Timeout",
           422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error",
           502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout"}


# --- replies ------------------------------------------------------------------------------------
@dataclass
class Reply:
    """What the server does with one chat request."""

    kind: str = "ok"  # ok | error | drop | raw
    status: int = 200
    content: str | None = ""
    refusal: str | None = None
    finish_reason: str = "stop"
    usage: tuple[int, int] | None = None  # (prompt, completion); None = estimated from the text
    include_usage: bool = True
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    message: str = ""
    code: str | None = None
    param: str | None = None
    err_type: str = "error"
    delay: float = 0.0
    label: str = ""


def _text(content: Any) -> str:
    return content if isinstance(content, str) else json.dumps(content, ensure_ascii=False)


def ok(content: Any = None, *, delay: float = 0.0, finish_reason: str = "stop",
       usage: tuple[int, int] | None = None, include_usage: bool = True) -> Reply:
    """A 200 answer; ``content`` None means the default (schema stub) answer."""
    return Reply("ok", content=None if content is None else _text(content), delay=delay,
                 finish_reason=finish_reason, usage=usage, include_usage=include_usage,
                 label="ok" if content is not None else "default")


def refusal(text: str = "I'm sorry, I can't help with that.", *, delay: float = 0.0) -> Reply:
    """A structured-output refusal: ``message.refusal`` set, ``content`` null."""
    return Reply("ok", content=None, refusal=text, delay=delay, label="refusal")


def rate_limited(retry_after: float | None = 0.05, *, retry_after_ms: int | None = None,
                 code: str = "rate_limit_exceeded", delay: float = 0.0) -> Reply:
    h: dict[str, str] = {}
    if retry_after is not None:
        h["retry-after"] = f"{retry_after:g}"
    if retry_after_ms is not None:
        h["retry-after-ms"] = str(retry_after_ms)
    return Reply("error", status=429, headers=h, message="Rate limit reached", code=code, delay=delay,
                 label="429")


def server_error(status: int = 500, *, retry_after_ms: int | None = 10, delay: float = 0.0) -> Reply:
    """A 5xx; ``retry_after_ms`` (default 10 ms) keeps the client's own retry pause short in tests."""
    h = {"retry-after-ms": str(retry_after_ms)} if retry_after_ms is not None else {}
    return Reply("error", status=status, headers=h, message="The server had an error", code=None,
                 delay=delay, label=str(status))


def status(code: int, message: str = "error", *, err_code: str | None = None, param: str | None = None,
           err_type: str = "error", headers: dict[str, str] | None = None, delay: float = 0.0) -> Reply:
    return Reply("error", status=code, message=message, code=err_code, param=param, err_type=err_type,
                 headers=dict(headers or {}), delay=delay, label=str(code))


def unsupported_parameter(param: str = "max_tokens") -> Reply:
    """OpenAI's 400 for a parameter a model does not take (o-series / gpt-5 and ``max_tokens``)."""
    hint = " Use 'max_completion_tokens' instead." if param == "max_tokens" else ""
    return status(400, f"Unsupported parameter: '{param}' is not supported with this model.{hint}",
                  err_code="unsupported_parameter", param=param, err_type="invalid_request_error")


def unsupported_value(param: str = "temperature", value: Any = 0) -> Reply:
    """OpenAI's 400 for a value a model does not take (o-series / gpt-5 and a non-default temperature)."""
    return status(400, f"Unsupported value: '{param}' does not support {value} with this model. Only the default "
                       "(1) value is supported.", err_code="unsupported_value", param=param,
                  err_type="invalid_request_error")


def drop(*, delay: float = 0.0) -> Reply:
    """Close the connection without answering (the client sees a dropped connection)."""
    return Reply("drop", delay=delay, label="drop")


def slow(seconds: float, then: Reply | None = None) -> Reply:
    """``then`` (default: the default answer) after ``seconds``: a client timeout shorter than that fires."""
    r = then if then is not None else ok()
    return Reply(**{**r.__dict__, "delay": r.delay + seconds, "label": f"slow({r.label})"})


def raw(status_code: int = 200, body: bytes | str = b"{not json", *, content_type: str = "application/json",
        delay: float = 0.0) -> Reply:
    b = body.encode() if isinstance(body, str) else body
    return Reply("raw", status=status_code, body=b, headers={"content-type": content_type}, delay=delay,
                 label="raw")


def empty() -> Reply:
    return ok("")


def invalid_json(text: str = '{"question": "Who wrote') -> Reply:
    """A 200 whose message content is not valid JSON (nor repairable into the schema)."""
    return ok(text)


# --- the server ---------------------------------------------------------------------------------
@dataclass
class Call:
    """One request received."""

    index: int
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    started: float
    finished: float | None = None
    status: int | None = None
    reply: str = ""
    conn: int = 0  # which client connection (keep-alive) it came on

    @property
    def messages(self) -> list[dict]:
        return (self.body or {}).get("messages", []) if isinstance(self.body, dict) else []

    @property
    def user_text(self) -> str:
        return "\n".join(str(m.get("content", "")) for m in self.messages if m.get("role") == "user")

    @property
    def response_format(self) -> dict | None:
        return (self.body or {}).get("response_format") if isinstance(self.body, dict) else None


def schema_stub(schema: dict, name: str = "value", n: int = 0, defs: dict | None = None) -> Any:
    """A small instance of a JSON schema (strings are ``"stub <name> <n>"``)."""
    defs = defs if defs is not None else schema.get("$defs", {})
    if "$ref" in schema:
        return schema_stub(defs.get(schema["$ref"].rsplit("/", 1)[-1], {}), name, n, defs)
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return schema_stub(schema[key][0], name, n, defs)
    if "enum" in schema:
        return schema["enum"][0]
    if "const" in schema:
        return schema["const"]
    t = schema.get("type", "object")
    if isinstance(t, list):
        t = next((x for x in t if x != "null"), "null")
    if t == "object":
        props = schema.get("properties", {})
        return {k: schema_stub(v, k, n, defs) for k, v in props.items()}
    if t == "array":
        return [schema_stub(schema.get("items", {}), name, n, defs)] if schema.get("minItems") else []
    if t == "string":
        return f"stub {name} {n}?" if name == "question" else f"stub {name} {n}"
    if t == "integer":
        return 0
    if t == "number":
        return 0.0
    if t == "boolean":
        return False
    return None


_DATA_BLOCK = re.compile(r"^<<<DATA\n(.*?)\nDATA>>>$", re.S | re.M)


def data_of(message: str) -> dict:
    """The DATA block of a writer's user message, parsed; exactly one block, delimited by its own lines."""
    blocks = _DATA_BLOCK.findall(message)
    assert len(blocks) == 1, f"{len(blocks)} DATA blocks"
    return json.loads(blocks[0])


def proposal_reply(data: dict, question: str) -> dict:
    """A valid answer to a page-pair proposal prompt (``data`` = its DATA block): the fourth word of
    page B, quoting the first six words of each page verbatim."""
    a, b = data["page_a"]["text"].split(), data["page_b"]["text"].split()
    return {"question": question, "answer": b[3], "quotes_a": [" ".join(a[:6])], "quotes_b": [" ".join(b[:6])]}


def default_content(call: Call) -> str:
    rf = call.response_format or {}
    if rf.get("type") == "json_schema":
        return json.dumps(schema_stub(rf.get("json_schema", {}).get("schema", {}), n=call.index))
    return json.dumps({"question": f"stub question {call.index}?"})


class LLMTestServer:
    """See the module docstring."""

    def __init__(self, *, latency: float = 0.0, model: str = "test-model",
                 responder: Callable[[Call], Reply | str | dict | None] | None = None,
                 supports_json_schema: bool = True, supports_json_object: bool = True,
                 require_key: str | None = None, reasoning_model: bool = False) -> None:
        self.latency = latency
        self.model = model
        self.responder = responder
        self.supports_json_schema = supports_json_schema
        self.supports_json_object = supports_json_object
        self.require_key = require_key
        self.reasoning_model = reasoning_model
        self.calls: list[Call] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Reply] = deque()
        self._lock = threading.Lock()
        self._counter = itertools.count()
        self._conn_ids = itertools.count()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task] = set()
        self.port = 0

    # -- lifecycle
    def start(self) -> LLMTestServer:
        if self._thread is not None:
            return self
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="llm-test-server", daemon=True)
        self._thread.start()
        fut = asyncio.run_coroutine_threadsafe(
            asyncio.start_server(self._handle, "127.0.0.1", 0, backlog=1024, limit=2**20), self._loop)
        self._server = fut.result(timeout=10)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def close(self) -> None:
        if self._loop is None or self._thread is None:
            return

        async def _shutdown() -> None:
            if self._server is not None:
                self._server.close()
            for w in list(self._writers):
                w.transport.abort()
            tasks = [t for t in self._tasks if not t.done()]
            for t in tasks:
                t.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            if self._server is not None:
                await self._server.wait_closed()

        try:
            asyncio.run_coroutine_threadsafe(_shutdown(), self._loop).result(timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)
            self._loop.close()
            self._loop = self._thread = None

    def __enter__(self) -> LLMTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- scripting
    def script(self, *replies: Reply | str | dict) -> LLMTestServer:
        """Queue replies for the next chat requests, in arrival order."""
        with self._lock:
            for r in replies:
                self._script.append(r if isinstance(r, Reply) else ok(r))
        return self

    @property
    def pending(self) -> int:
        """Scripted replies not used yet."""
        with self._lock:
            return len(self._script)

    def reset(self) -> None:
        with self._lock:
            self._script.clear()
            self.calls.clear()
            self.max_in_flight = 0

    @property
    def chat_calls(self) -> list[Call]:
        return [c for c in list(self.calls) if c.path.endswith("/chat/completions")]

    def _next_reply(self, call: Call) -> Reply:
        with self._lock:
            if self._script:
                return self._script.popleft()
        if self.responder is not None:
            r = self.responder(call)
            if r is not None:
                return r if isinstance(r, Reply) else ok(r)
        return ok()

    # -- HTTP
    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        conn = next(self._conn_ids)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        try:
            while True:
                try:
                    head = await reader.readuntil(b"\r\n\r\n")
                except (asyncio.IncompleteReadError, ConnectionError):
                    return  # client closed the connection between requests
                lines = head.decode("latin-1").split("\r\n")
                method, target, _ = [*lines[0].split(" ", 2), "", ""][:3]
                headers: dict[str, str] = {}
                for line in lines[1:]:
                    if ":" in line:
                        k, v = line.split(":", 1)
                        headers[k.strip().lower()] = v.strip()
                body = await self._read_body(reader, headers)
                keep = await self._respond(writer, method, target, headers, body, conn)
                if not keep:
                    return
        except (asyncio.IncompleteReadError, ConnectionError):
            return  # the client went away mid-request (its own timeout): nothing to answer
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    @staticmethod
    async def _read_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> bytes:
        if "content-length" in headers:
            return await reader.readexactly(int(headers["content-length"]))
        if headers.get("transfer-encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int((await reader.readuntil(b"\r\n")).split(b";")[0].strip(), 16)
                data = await reader.readexactly(size + 2)
                if size == 0:
                    break
                chunks.append(data[:-2])
            return b"".join(chunks)
        return b""

    async def _respond(self, writer: asyncio.StreamWriter, method: str, target: str,
                       headers: dict[str, str], body: bytes, conn: int = 0) -> bool:
        path = target.split("?", 1)[0]
        try:
            parsed: Any = json.loads(body) if body else None
        except ValueError:
            parsed = None
        call = Call(next(self._counter), method, path, headers, parsed, time.monotonic(), conn=conn)
        with self._lock:
            self.calls.append(call)
        keep = headers.get("connection", "").lower() != "close"
        if path.endswith("/_stats") and method == "GET":  # for a server in another process (benchmarks)
            return await self._send(writer, call, 200, {"chat_calls": len(self.chat_calls),
                                                        "max_in_flight": self.max_in_flight,
                                                        "cpu_s": time.process_time()}, keep=keep)
        if path.endswith("/_calls") and method == "GET":  # timeline of the chat calls (benchmark diagnostics)
            return await self._send(writer, call, 200, [[c.conn, c.started, c.finished, c.status]
                                                        for c in self.chat_calls], keep=keep)
        if path.endswith("/models") and method == "GET":
            return await self._send(writer, call, 200, {"object": "list", "data": [
                {"id": self.model, "object": "model", "created": 0, "owned_by": "test"}]}, keep=keep)
        if not (path.endswith("/chat/completions") and method == "POST"):
            return await self._send(writer, call, 404, _err("not found", "invalid_request_error"), keep=keep)
        self.in_flight += 1
        self.max_in_flight = max(self.max_in_flight, self.in_flight)
        try:
            if self.require_key is not None and headers.get("authorization") != f"Bearer {self.require_key}":
                return await self._send(writer, call, 401, _err("Incorrect API key provided", "invalid_api_key"),
                                        keep=keep)
            rf = (parsed or {}).get("response_format") if isinstance(parsed, dict) else None
            rtype = (rf or {}).get("type")
            if (rtype == "json_schema" and not self.supports_json_schema) or (
                    rtype == "json_object" and not self.supports_json_object):
                call.reply = f"unsupported {rtype}"
                return await self._send(writer, call, 400, _err(f"response_format {rtype} is not supported",
                                                                "invalid_request_error"), keep=keep)
            rejected = self._reasoning_reject(parsed) if self.reasoning_model else None
            reply = rejected or self._next_reply(call)
            call.reply = reply.label
            wait = self.latency + reply.delay
            if wait > 0:
                await asyncio.sleep(wait)
            if reply.kind == "drop":
                call.finished = time.monotonic()
                writer.transport.abort()
                return False
            if reply.kind == "raw":
                return await self._send(writer, call, reply.status, reply.body, keep=keep, headers=reply.headers)
            if reply.kind == "error":
                return await self._send(writer, call, reply.status,
                                        _err(reply.message, reply.err_type, reply.code, reply.param),
                                        keep=keep, headers=reply.headers)
            return await self._send(writer, call, 200, self._completion(call, reply), keep=keep,
                                    headers=reply.headers)
        finally:
            self.in_flight -= 1

    @staticmethod
    def _reasoning_reject(body: Any) -> Reply | None:
        """Like OpenAI's o-series / gpt-5: 400 for ``max_tokens``, then for a temperature other than 1."""
        if not isinstance(body, dict):
            return None
        if "max_tokens" in body:
            return unsupported_parameter("max_tokens")
        if body.get("temperature", 1) != 1:
            return unsupported_value("temperature", body["temperature"])
        return None

    def _completion(self, call: Call, reply: Reply) -> dict:
        content = reply.content
        if content is None and reply.refusal is None:
            content = default_content(call)
        if reply.usage is not None:
            p, c = reply.usage
        else:
            p = max(1, len(json.dumps(call.messages, ensure_ascii=False)) // 4)
            c = max(1, len(content or reply.refusal or "") // 4)
        out: dict[str, Any] = {
            "id": f"chatcmpl-test-{call.index}", "object": "chat.completion", "created": int(time.time()),
            "model": (call.body or {}).get("model", self.model) if isinstance(call.body, dict) else self.model,
            "choices": [{"index": 0, "finish_reason": reply.finish_reason, "logprobs": None,
                         "message": {"role": "assistant", "content": content, "refusal": reply.refusal}}],
        }
        if reply.include_usage:
            out["usage"] = {"prompt_tokens": p, "completion_tokens": c, "total_tokens": p + c}
        return out

    async def _send(self, writer: asyncio.StreamWriter, call: Call, code: int, payload: Any, *, keep: bool,
                    headers: dict[str, str] | None = None) -> bool:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        h = {"content-type": "application/json", "content-length": str(len(data)),
             "connection": "keep-alive" if keep else "close", "x-request-id": f"req-{call.index}"}
        h.update(headers or {})
        head = f"HTTP/1.1 {code} {REASONS.get(code, 'Status')}\r\n" + "".join(
            f"{k}: {v}\r\n" for k, v in h.items()) + "\r\n"
        writer.write(head.encode("latin-1") + data)
        await writer.drain()
        call.status = code
        call.finished = time.monotonic()
        return keep


def _err(message: str, typ: str, code: str | None = None, param: str | None = None) -> dict:
    return {"error": {"message": message, "type": typ, "param": param, "code": code}}


# --- pytest fixtures ------------------------------------------------------------------------------
TEST_KEY = "sk-test-key"


def config_for(server: LLMTestServer, cache_path: Any = None, **over: Any) -> Any:
    """An ``LLMConfig`` pointing at ``server``: test key, short timeouts, small retry pauses."""
    from pydantic import SecretStr

    from synth.llm.config import LLMConfig

    base: dict[str, Any] = {"model": server.model, "base_url": server.url, "api_key": SecretStr(TEST_KEY),
                            "timeout": 5.0, "max_retries": 2, "concurrency": 4, "cache_path": cache_path,
                            "max_retry_after": 2.0}
    base.update(over)
    return LLMConfig(**base)


@pytest.fixture
def llm_server():
    """A started ``LLMTestServer`` (no latency, default answers), closed after the test."""
    with LLMTestServer() as srv:
        yield srv


@pytest.fixture
def llm_config(llm_server, tmp_path):
    """An ``LLMConfig`` for ``llm_server``: test key, short timeouts, a cache under tmp_path."""
    return config_for(llm_server, tmp_path / "llm-cache.sqlite")


def main() -> None:  # pragma: no cover - manual use
    import argparse

    ap = argparse.ArgumentParser(description="Standalone scriptable OpenAI-compatible test server")
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--model", default="test-model")
    args = ap.parse_args()
    srv = LLMTestServer(latency=args.latency, model=args.model).start()
    print(srv.url, flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        srv.close()


if __name__ == "__main__":  # pragma: no cover
    main()

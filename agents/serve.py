"""The environment over HTTP (FastAPI), so RL frameworks can roll out against a frozen run.

    crawlqa serve RUN_DIR [--host 127.0.0.1] [--port 8765] [--token T]

Endpoints (JSON; described at ``/openapi.json``, browsable at ``/docs``):

* ``POST /search`` ``{"query": str, "k": int = 5}`` → ``{"results": [{rank, url, title, snippet}]}``
  (also ``GET /search?query=...&k=5``);
* ``POST /visit`` ``{"url": str}`` → ``{url, title, content, links: [{n, url, text}], truncated}``
  (404 with ``{"detail": {"url", "error": "not_found"}}`` for a page the corpus does not hold);
* ``GET /tools`` → the OpenAI function-calling tool schemas;
* ``POST /call`` ``{"name": "search"|"visit", "arguments": str|object}`` → ``{"content": str}``, the
  tool result exactly as a model sees it (``BrowseEnv.call``), errors included;
* ``GET /health``.

Loopback by default; with ``token`` every endpoint but ``/health`` and the docs needs
``Authorization: Bearer <token>``. Requests are answered on the event loop thread, one at a time
(SQLite reads of a few milliseconds; see BENCHMARKS.md), by one :class:`BrowseEnv`.

:class:`HTTPTools` is the client side: ``call(name, arguments_json) -> str`` like ``BrowseEnv.call``,
so the solve agent rolls out against a served env as it does against a local one.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from fastapi import Request  # at module level: the endpoints' string annotations resolve here
from pydantic import BaseModel, Field

from agents.env import MAX_K, BrowseEnv, ToolError

LOOPBACK = ("127.0.0.1", "::1", "localhost")


class SearchRequest(BaseModel):
    query: str = Field(min_length=1)
    k: int = Field(5, ge=1, le=MAX_K)


class VisitRequest(BaseModel):
    url: str = Field(min_length=1)


class CallRequest(BaseModel):
    name: str
    arguments: str | dict[str, Any] = "{}"


def make_app(run_dir: Path | str, *, token: str | None = None, env: BrowseEnv | None = None):
    """The FastAPI app over a run folder's env (``token``: bearer token every tool endpoint needs)."""
    from fastapi import Depends, FastAPI, HTTPException

    own = env is None
    if own:
        BrowseEnv(run_dir).close()  # build the index and page store now: fail early, serve fast
    holder: dict[str, BrowseEnv] = {} if own else {"env": env}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if own:  # opened on the event loop's thread, the one that answers (SQLite connections)
            holder["env"] = BrowseEnv(run_dir)
        yield
        if own:
            holder.pop("env").close()

    app = FastAPI(title="crawlqa browsing environment", version="1",
                  description=f"search and visit over the frozen pages of {Path(run_dir).name}",
                  lifespan=lifespan)

    async def auth(request: Request) -> None:
        if token is None:
            return
        got = request.headers.get("authorization", "")
        if not (got.startswith("Bearer ") and secrets.compare_digest(got[7:].encode(), token.encode())):
            raise HTTPException(status_code=401, detail="missing or wrong bearer token",
                                headers={"WWW-Authenticate": "Bearer"})

    guarded = [Depends(auth)]

    @app.get("/health")
    async def health() -> dict:
        return {"ok": True, "run": holder["env"].run_path.name}

    @app.post("/search", dependencies=guarded)
    async def search(req: SearchRequest) -> dict:
        return {"results": holder["env"].search(req.query, req.k)}

    @app.get("/search", dependencies=guarded)
    async def search_get(query: str, k: int = 5) -> dict:
        if not query.strip() or not 1 <= k <= MAX_K:
            raise HTTPException(status_code=422, detail=f"query must be non-empty and 1 <= k <= {MAX_K}")
        return {"results": holder["env"].search(query, k)}

    @app.post("/visit", dependencies=guarded)
    async def visit(req: VisitRequest) -> dict:
        res = holder["env"].visit(req.url)
        if res.get("error"):
            raise HTTPException(status_code=404, detail=res)
        return res

    @app.get("/tools", dependencies=guarded)
    async def tools() -> list[dict]:
        return holder["env"].tool_schemas()

    @app.post("/call", dependencies=guarded)
    async def call(req: CallRequest) -> dict:
        return {"content": holder["env"].call(req.name, req.arguments)}

    return app


def serve(run_dir: Path | str, *, host: str = "127.0.0.1", port: int = 8765, token: str | None = None,
          log_level: str = "warning") -> None:
    """Serve until interrupted (``crawlqa serve``)."""
    import uvicorn

    uvicorn.run(make_app(run_dir, token=token), host=host, port=port, log_level=log_level)


@contextlib.contextmanager
def serve_in_thread(run_dir: Path | str, *, host: str = "127.0.0.1", port: int = 0,
                    token: str | None = None) -> Iterator[str]:
    """Serve in a background thread (tests, benchmarks); yields the base URL (port 0 = a free port)."""
    import uvicorn

    config = uvicorn.Config(make_app(run_dir, token=token), host=host, port=port, log_level="warning",
                            lifespan="on")
    server = uvicorn.Server(config)
    t = threading.Thread(target=server.run, daemon=True)
    t.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not t.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the env server did not start")
        time.sleep(0.02)
    bound = server.servers[0].sockets[0].getsockname()
    try:
        yield f"http://{host}:{bound[1]}"
    finally:
        server.should_exit = True
        t.join(10)


class HTTPTools:
    """A served env as a tool executor: ``call(name, arguments_json) -> str`` (like ``BrowseEnv.call``)."""

    def __init__(self, base_url: str, *, token: str | None = None, timeout: float = 30.0) -> None:
        import httpx

        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._http = httpx.Client(base_url=base_url.rstrip("/"), headers=headers, timeout=timeout)

    def call(self, name: str, arguments_json: str | dict) -> str:
        r = self._http.post("/call", json={"name": name, "arguments": arguments_json})
        if r.status_code != 200:
            raise ToolError(f"env server answered {r.status_code}: {r.text[:200]}")
        return r.json()["content"]

    @staticmethod
    def tool_schemas() -> list[dict]:
        return BrowseEnv.tool_schemas()

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> HTTPTools:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)

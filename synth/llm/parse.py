"""Structured output: the JSON schema sent to the server, and a tolerant parse of what comes back.

A parse never raises: it returns ``(parsed, error, detail)`` with ``error`` one of ``''``, ``'empty'``,
``'parse_error'``, ``'schema_violation'``, ``'refusal'``, ``'truncated'``.
"""

from __future__ import annotations

import functools
import json
import re
from typing import Any

from pydantic import BaseModel, ValidationError

_FENCE_RE = re.compile(r"^```[a-zA-Z0-9_-]*\s*\n?(.*?)\n?```\s*$", re.S)
_REFUSAL_RE = re.compile(
    r"^\W*(i'?m sorry|i am sorry|sorry,|i cannot|i can'?t|i can not|i won'?t|i will not|i'?m unable|"
    r"i am unable|i'?m not able|as an ai)\b", re.I)


def schema_name(model: type[BaseModel]) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", model.__name__)[:64] or "answer"


def _strictify(node: Any) -> Any:
    """OpenAI strict mode: every object closes (additionalProperties false) and requires all its keys."""
    if isinstance(node, dict):
        node.pop("default", None)
        if node.get("type") == "object" and isinstance(node.get("properties"), dict):
            node["additionalProperties"] = False
            node["required"] = list(node["properties"])
        for v in node.values():
            _strictify(v)
    elif isinstance(node, list):
        for v in node:
            _strictify(v)
    return node


@functools.lru_cache(maxsize=256)
def _json_schema_text(model: type[BaseModel]) -> str:
    return json.dumps(_strictify(model.model_json_schema()))


def json_schema_of(model: type[BaseModel]) -> dict[str, Any]:
    """The strict JSON schema of a pydantic model, as sent in ``response_format`` (a fresh copy)."""
    return json.loads(_json_schema_text(model))


def response_format(mode: str, model: type[BaseModel] | None) -> dict[str, Any] | None:
    """``response_format`` for a mode: json_schema (needs a model), json_object, or None (plain text)."""
    if mode == "json_schema" and model is not None:
        return {"type": "json_schema",
                "json_schema": {"name": schema_name(model), "schema": json_schema_of(model), "strict": True}}
    if mode == "json_object":
        return {"type": "json_object"}
    return None


def looks_like_refusal(text: str) -> bool:
    return bool(_REFUSAL_RE.match(text or ""))


def loads_tolerant(text: str) -> tuple[Any, bool]:
    """``(value, strict)``: JSON from text, tolerating code fences, prose around an object and small
    syntax damage (json-repair). ``strict`` is False when repair was needed; value None if hopeless."""
    t = text.strip()
    m = _FENCE_RE.match(t)
    if m:
        t = m.group(1).strip()
    try:
        return json.loads(t), True
    except ValueError:
        pass  # not plain JSON: try the embedded object, then repair
    i, j = t.find("{"), t.rfind("}")
    if 0 <= i < j:
        try:
            return json.loads(t[i:j + 1]), True
        except ValueError:
            pass  # damaged object: repair below
    if t.startswith("{") and "}" not in t:
        return None, False  # an object that never closes was cut off, not damaged: no repair
    import json_repair

    try:
        value = json_repair.loads(t)
    except Exception:  # json-repair gives up on some inputs; the caller counts a parse_error
        return None, False
    return (value if value not in ("", None) else None), False


def parse_answer(text: str | None, model: type[BaseModel] | None, *,
                 finish_reason: str | None = None) -> tuple[BaseModel | None, str, str]:
    """Parse an answer into ``model``: ``(parsed, error, detail)``; with ``model=None`` any text is ok."""
    t = (text or "").strip()
    if not t:
        return None, ("truncated" if finish_reason == "length" else "empty"), ""
    if model is None:
        return None, "", ""
    value, strict = loads_tolerant(t)
    if finish_reason == "length" and not strict:
        return None, "truncated", "answer cut at max_tokens"
    if not isinstance(value, dict):
        if looks_like_refusal(t):
            return None, "refusal", "refusal text"
        kind = type(value).__name__ if value is not None else "no JSON object"
        return None, "parse_error", f"not a JSON object ({kind})"
    try:
        return model.model_validate(value), "", ("" if strict else "repaired")
    except ValidationError as e:
        errs = "; ".join(f"{'.'.join(map(str, x['loc'])) or '<root>'}: {x['msg']}" for x in e.errors()[:5])
        return None, "schema_violation", errs

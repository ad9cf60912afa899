"""Arrow schemas derived from the pydantic records (never inferred from data).

A small converter rather than a dependency: the one on PyPI (pydantic-to-pyarrow 0.1) cannot map
timezone-aware datetimes, and every timestamp we write is UTC-aware.
"""

from __future__ import annotations

import types
from datetime import date, datetime
from functools import cache
from typing import Any, Literal, Union, get_args, get_origin

import pyarrow as pa
from pydantic import AwareDatetime, BaseModel

# Columns that hold large raw payloads get dictionary encoding off and a high zstd level.
LARGE_COLUMNS = frozenset({"html", "text", "payload_json"})


def _arrow_type(annotation: Any) -> tuple[pa.DataType, bool]:
    """Arrow type for a python annotation, and whether it is nullable."""
    origin = get_origin(annotation)
    if origin in (Union, types.UnionType):
        args = [a for a in get_args(annotation) if a is not type(None)]
        if len(args) != 1:
            raise TypeError(f"unsupported union {annotation!r}")
        inner, _ = _arrow_type(args[0])
        return inner, True
    if origin is Literal:
        return pa.string(), False
    if origin in (list, tuple, set, frozenset):
        (item,) = get_args(annotation)[:1]
        inner, nullable = _arrow_type(item)
        return pa.list_(pa.field("item", inner, nullable=nullable)), False
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return pa.struct(list(_fields(annotation))), False
    if annotation is AwareDatetime or annotation is datetime:
        return pa.timestamp("us", tz="UTC"), False
    scalar = {str: pa.string(), int: pa.int64(), float: pa.float64(), bool: pa.bool_(),
              bytes: pa.binary(), date: pa.date32()}
    if annotation in scalar:
        return scalar[annotation], False
    raise TypeError(f"no Arrow type for {annotation!r}")


def _fields(model: type[BaseModel]):
    for name, info in model.model_fields.items():
        typ, nullable = _arrow_type(info.annotation)
        yield pa.field(name, typ, nullable=nullable)


@cache
def arrow_schema(model: type[BaseModel]) -> pa.Schema:
    """The Arrow schema of a record model, with the model name in the schema metadata."""
    return pa.schema(list(_fields(model)), metadata={b"crawlqa.record": model.__name__.encode()})


def to_table(records: list[BaseModel], model: type[BaseModel]) -> pa.Table:
    """Build a table from records, validated against the model's schema."""
    rows = [r.model_dump(mode="python") for r in records]
    return pa.Table.from_pylist(rows, schema=arrow_schema(model))


def from_table(table: pa.Table, model: type[BaseModel]) -> list[BaseModel]:
    """Rebuild records from a table (drops the schema metadata columns it does not know)."""
    return [model.model_validate(row) for row in table.to_pylist()]

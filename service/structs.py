"""Building response Structs from table rows: only the Struct's declared fields leave the service."""

from __future__ import annotations

from typing import Any, TypeVar

import msgspec

S = TypeVar("S", bound=msgspec.Struct)


def from_row(struct: type[S], row: Any, **extra: Any) -> S:
    values = {name: extra[name] if name in extra else getattr(row, name) for name in struct.__struct_fields__}
    return struct(**values)

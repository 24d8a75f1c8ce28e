"""The parts of a compound segment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.segments.domain._types import CombineOp


@dataclass(frozen=True)
class Part:
    """One part of a compound segment: a live segment and how it combines."""

    segment_id: int
    op: CombineOp


def parse_parts(raw: Any, where: str = "parts") -> tuple[Part, ...]:
    if not isinstance(raw, list) or not raw:
        raise ValidationFailed(
            "a compound segment needs at least one part",
            field=where,
            code=ErrorCode.SEGMENT_DEFINITION_INVALID,
        )
    parts = []
    for index, item in enumerate(raw):
        at = f"{where}[{index}]"
        if not isinstance(item, dict):
            raise ValidationFailed(
                "a part is {segment_id, op}", field=at, code=ErrorCode.SEGMENT_DEFINITION_INVALID
            )
        try:
            segment_id = int(item.get("segment_id"))  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise ValidationFailed(
                "a part names a segment",
                field=f"{at}.segment_id",
                code=ErrorCode.SEGMENT_DEFINITION_INVALID,
            ) from None
        try:
            op = CombineOp(item.get("op") or "union")
        except ValueError:
            raise ValidationFailed(
                "op is union, intersect or exclude",
                field=f"{at}.op",
                code=ErrorCode.SEGMENT_DEFINITION_INVALID,
            ) from None
        parts.append(Part(segment_id, op if index else CombineOp.UNION))
    return tuple(parts)

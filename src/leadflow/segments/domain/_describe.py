"""Sentences for nodes, as the builder and the explanation show them."""

from __future__ import annotations

from leadflow.registry.domain import FieldType, Registry
from leadflow.segments.domain._links import query_registry
from leadflow.segments.domain._tree import FieldRow, Group, Node, Related
from leadflow.segments.domain._types import DAY_OPS, NO_VALUE_OPS, OP_LABELS, CountOp, GroupOp, Op


def describe(node: Node, registry: Registry) -> str:
    """A sentence for one node, as the builder and the explanation show it."""
    registry = query_registry(registry)
    if isinstance(node, Group):
        return "all of" if node.op is GroupOp.AND else "any of"
    if isinstance(node, FieldRow):
        definition = registry.fields[node.entity][node.field]
        label = OP_LABELS[node.op.value]
        if node.op in NO_VALUE_OPS:
            return f"{definition.label} {label}"
        if node.op in DAY_OPS:
            days = node.values[0] if node.values else "?"
            if node.op is Op.WITHIN_LAST_DAYS:
                return f"{definition.label} in the last {days} days"
            return f"{definition.label} more than {days} days ago"
        shown = [
            str(value).replace("_", " ") if node.type is FieldType.CHOICE else str(value)
            for value in node.values
        ]
        joiner = " and " if node.op is Op.BETWEEN else " or "
        return f"{definition.label} {label} {joiner.join(shown)}"
    if isinstance(node, Related):
        entity = registry.entities[node.link.entity]
        rel = registry.relationships[node.link.relationship]
        if node.count is CountOp.NONE:
            how = "no"
        elif node.count is CountOp.AT_LEAST:
            how = f"at least {node.minimum}"
        else:
            how = "a"
        plural = entity.plural if node.count is CountOp.AT_LEAST else entity.label.lower()
        return f"has {how} {plural} ({rel.label}) where"
    kind = node.kind.replace("_", " ")
    parts = [kind]
    if node.count is CountOp.NONE:
        parts = [f"never {kind}"]
    else:
        parts.append(f"at least {node.minimum} time{'s' if node.minimum != 1 else ''}")
    if node.target_id:
        parts.append(f"on {node.target_id}")
    for key, value in node.data:
        parts.append(f"with {key}={value}")
    if node.window_days:
        parts.append(f"in the last {node.window_days} days")
    return " ".join(parts)

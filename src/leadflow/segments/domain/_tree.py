"""The parsed query tree, the problems found in it, and what it reads and when it can
change with time alone."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from leadflow.errors import ErrorCode, ValidationFailed
from leadflow.registry.domain import FieldType
from leadflow.segments.domain._links import Link
from leadflow.segments.domain._types import DAY_OPS, CountOp, GroupOp, Op


@dataclass(frozen=True)
class FieldRow:
    entity: str
    field: str
    op: Op
    values: tuple[Any, ...] = ()
    type: FieldType = FieldType.TEXT


@dataclass(frozen=True)
class Group:
    op: GroupOp
    children: tuple[Node, ...] = ()


@dataclass(frozen=True)
class Related:
    link: Link
    count: CountOp
    minimum: int
    where: Group


@dataclass(frozen=True)
class Behaviour:
    kind: str
    count: CountOp = CountOp.AT_LEAST
    minimum: int = 1
    target_id: str | None = None
    data: tuple[tuple[str, str], ...] = ()
    window_days: int | None = None


Node = FieldRow | Group | Related | Behaviour


@dataclass
class Problems:
    """Every error in a tree, each with the path of the node at fault."""

    items: list[tuple[str, str]] = field(default_factory=list)

    def add(self, where: str, message: str) -> None:
        self.items.append((where, message))

    def __bool__(self) -> bool:
        return bool(self.items)

    def raise_first(self) -> None:
        if self.items:
            where, message = self.items[0]
            code = ErrorCode.UNKNOWN_FIELD if "unknown" in message else ErrorCode.INVALID_VALUE
            raise ValidationFailed(
                f"{where}: {message}",
                code=code,
                field=where,
                extra={"problems": [{"path": p, "message": m} for p, m in self.items]},
            )

    def public(self) -> list[dict[str, str]]:
        return [{"path": path, "message": message} for path, message in self.items]


def empty_tree() -> dict[str, Any]:
    return {"type": "group", "op": "and", "children": []}


def walk(node: Node) -> list[Node]:
    """The node and every node under it, depth first."""
    found: list[Node] = [node]
    if isinstance(node, Group):
        for child in node.children:
            found.extend(walk(child))
    elif isinstance(node, Related):
        found.extend(walk(node.where))
    return found


def is_time_relative(tree: Group) -> bool:
    """Whether membership can change with time alone (a moving window): these
    segments are re-checked on a schedule."""
    for node in walk(tree):
        if isinstance(node, FieldRow) and node.op in DAY_OPS:
            return True
        if isinstance(node, Behaviour) and node.window_days is not None:
            return True
    return False


def fields_read(tree: Group) -> dict[str, set[str]]:
    """Per entity the tree reaches, the fields its conditions and links read: a change to
    another field cannot change membership. Contact is always there (a new contact is
    evaluated by every segment), and so is each related entity (a new record counts)."""
    found: dict[str, set[str]] = {"contact": set()}

    def visit(node: Node, entity: str) -> None:
        if isinstance(node, Group):
            for child in node.children:
                visit(child, entity)
        elif isinstance(node, FieldRow):
            found.setdefault(node.entity, set()).add(node.field)
        elif isinstance(node, Related):
            related = node.link.entity
            found.setdefault(related, set())
            if node.link.many:
                found[related].add(node.link.key)
            else:
                found.setdefault(entity, set()).add(node.link.key)
            visit(node.where, related)
        else:
            found.setdefault("interaction", set()).add(node.kind)

    visit(tree, "contact")
    return found


def top_blocks(tree: Group) -> tuple[Node, ...]:
    """The top-level blocks a membership's reason names: each child of an OR root;
    an AND root is one block."""
    if tree.op is GroupOp.OR and len(tree.children) > 1:
        return tree.children
    return (tree,)


def with_children(group: Group, children: tuple[Node, ...]) -> Group:
    return replace(group, children=children)

"""Pure rules of segments: the query tree, its validation against the registry, the
segment types and statuses, and the operators each field type allows.

A query is a tree rooted at Contact:

- ``group``: ``{"type": "group", "op": "and"|"or", "children": [...]}``
- ``field``: ``{"type": "field", "field": "role", "op": "eq", "value": ["decision_maker"]}``;
  a field of the entity the row sits under; several values are ORed.
- ``related``: ``{"type": "related", "relationship": "lead_parent_contact",
  "count": "any"|"at_least"|"none", "min": 2, "where": {group}}``; rows under it hold
  for the SAME related record, and the count says how many such records there must be.
- ``behaviour``: ``{"type": "behaviour", "kind": "email_clicked", "target_id": None,
  "data": {}, "count": "at_least"|"none", "min": 2, "window_days": 30}``: the contact's
  interactions (only directly under Contact).

`parse_tree` returns the parsed tree and every problem, each with the path of the
node at fault (``root.children[0].where.children[1].field``)."""

from leadflow.segments.domain._describe import describe
from leadflow.segments.domain._links import Link, link_for, query_registry, relationships_from
from leadflow.segments.domain._parse import count_nodes, go_live_problems, parse_tree, validate_tree
from leadflow.segments.domain._parts import Part, parse_parts
from leadflow.segments.domain._tree import (
    Behaviour,
    FieldRow,
    Group,
    Node,
    Problems,
    Related,
    empty_tree,
    fields_read,
    is_time_relative,
    top_blocks,
    walk,
    with_children,
)
from leadflow.segments.domain._types import (
    DATE_TYPES,
    DAY_OPS,
    EVENT_REGISTRATION,
    MAX_DEPTH,
    MAX_NODES,
    NO_VALUE_OPS,
    NUMBER_TYPES,
    OP_LABELS,
    OPS_BY_TYPE,
    QUERY_ENTITIES,
    SINGLE_VALUE_OPS,
    TEXT_MATCH_OPS,
    TEXT_TYPES,
    CombineOp,
    CountOp,
    GroupOp,
    Op,
    SegmentKind,
    SegmentStatus,
)

__all__ = [
    "DATE_TYPES",
    "DAY_OPS",
    "EVENT_REGISTRATION",
    "MAX_DEPTH",
    "MAX_NODES",
    "NO_VALUE_OPS",
    "NUMBER_TYPES",
    "OPS_BY_TYPE",
    "OP_LABELS",
    "QUERY_ENTITIES",
    "SINGLE_VALUE_OPS",
    "TEXT_MATCH_OPS",
    "TEXT_TYPES",
    "Behaviour",
    "CombineOp",
    "CountOp",
    "FieldRow",
    "Group",
    "GroupOp",
    "Link",
    "Node",
    "Op",
    "Part",
    "Problems",
    "Related",
    "SegmentKind",
    "SegmentStatus",
    "count_nodes",
    "describe",
    "empty_tree",
    "fields_read",
    "go_live_problems",
    "is_time_relative",
    "link_for",
    "parse_parts",
    "parse_tree",
    "query_registry",
    "relationships_from",
    "top_blocks",
    "validate_tree",
    "walk",
    "with_children",
]

"""Keeps memberships current: evaluate a segment for some contacts (or all of them),
compare with the open stays, write who entered and who left, publish the events.

The compare is per segment and per scope: the incremental path scopes to the
contacts a batch of events touched (`contact.id IN (:contact_ids)`), the full
build to every contact. Writes are bulk statements; events follow the rows."""

from leadflow.segments.engine._compiled import (
    IN_CHUNK,
    MEMBERS,
    NO_LONGER_MATCHES,
    TOGETHER_CACHE,
    WRITE_CHUNK,
    Compiled,
    LiveSegments,
    Together,
    compile_live,
    compound_statement,
    open_members_of,
    published,
    together,
    with_stays,
)
from leadflow.segments.engine._stays import (
    Changes,
    evaluate,
    open_stays,
    rebuild,
    reconcile,
    write_changes,
)
from leadflow.segments.engine._together import (
    CHECK_CHUNK,
    CONTACT_DELETED,
    StayChanges,
    changes_together,
    forget_contacts,
    reconcile_together,
    segments_with_parts,
    write_stays,
)

__all__ = [
    "CHECK_CHUNK",
    "CONTACT_DELETED",
    "IN_CHUNK",
    "MEMBERS",
    "NO_LONGER_MATCHES",
    "TOGETHER_CACHE",
    "WRITE_CHUNK",
    "Changes",
    "Compiled",
    "LiveSegments",
    "StayChanges",
    "Together",
    "changes_together",
    "compile_live",
    "compound_statement",
    "evaluate",
    "forget_contacts",
    "open_members_of",
    "open_stays",
    "published",
    "rebuild",
    "reconcile",
    "reconcile_together",
    "segments_with_parts",
    "together",
    "with_stays",
    "write_changes",
    "write_stays",
]

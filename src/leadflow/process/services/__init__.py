"""Process use cases: the only code that writes definitions, instances and transitions.

Each use case loads the instance and its definition, asks the pure engine
(`domain.decide`) what happens, and carries the commands out in the caller's
unit of work.

Private modules by topic: `_definitions`, `_instances` (starting and moving one
lead), `_transitions` (the automatic moves of a batch) and `_reading`; this
face hands their names on.
"""

from leadflow.process.services._definitions import (
    default_process_key,
    definitions_in_force,
    do_save_definition,
    do_set_transition_enabled,
    export_definition,
    list_definitions,
    load_definition,
    save_definition,
    seed_default_process,
    set_transition_enabled,
)
from leadflow.process.services._instances import (
    INSTANCES,
    TRANSITIONS,
    RunningInstance,
    abandon_process,
    active_stages,
    apply_trigger,
    current_instance,
    do_abandon_process,
    do_finish_process,
    do_next_stage,
    do_save_steps,
    do_set_active_stage,
    do_switch_process,
    finish_process,
    lead_values,
    move_to_stage,
    next_stage,
    set_active_stage,
    start_instance,
    switch_process,
)
from leadflow.process.services._reading import (
    StageView,
    TimelineEntry,
    TransitionView,
    instance_view,
    require_stage,
    stage_counts,
    stages_view,
    timeline,
    timeline_public,
    transitions_view,
)
from leadflow.process.services._transitions import (
    LazyValues,
    run_transitions,
)

__all__ = [
    "INSTANCES",
    "TRANSITIONS",
    "LazyValues",
    "RunningInstance",
    "StageView",
    "TimelineEntry",
    "TransitionView",
    "abandon_process",
    "active_stages",
    "apply_trigger",
    "current_instance",
    "default_process_key",
    "definitions_in_force",
    "do_abandon_process",
    "do_finish_process",
    "do_next_stage",
    "do_save_definition",
    "do_save_steps",
    "do_set_active_stage",
    "do_set_transition_enabled",
    "do_switch_process",
    "export_definition",
    "finish_process",
    "instance_view",
    "lead_values",
    "list_definitions",
    "load_definition",
    "move_to_stage",
    "next_stage",
    "require_stage",
    "run_transitions",
    "save_definition",
    "seed_default_process",
    "set_active_stage",
    "set_transition_enabled",
    "stage_counts",
    "stages_view",
    "start_instance",
    "switch_process",
    "timeline",
    "timeline_public",
    "transitions_view",
]

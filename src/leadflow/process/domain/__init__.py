"""The business process, pure: definitions as data and (definition, state, trigger) -> decision.

Nothing here touches a database. A definition is parsed and validated from a
mapping (JSON or YAML), errors naming the path at fault; `decide` turns a
trigger into a new instance state and the commands the services carry out.

Private modules by part: `_model` (the types), `_engine` (decisions and
automatic moves), `_parser` (data in and out), `_words` (definitions in words)
and `_defaults` (the shipped process); this face hands their names on.
"""

from leadflow.process.domain._defaults import (
    DEFAULT_PROCESS,
    INQUIRY,
    MARKETING_QUALIFICATION,
    SALES_ACCEPTANCE,
    SALES_ACCEPTANCE_QUEUE,
    TELEMARKETING_ACCEPTANCE,
    TELEMARKETING_QUALIFICATION,
    TELEMARKETING_QUEUE,
)
from leadflow.process.domain._engine import (
    automatic_moves,
    branch_target,
    condition_holds,
    decide,
    initial_state,
    is_empty,
    may_fire,
    missing_steps,
    transition_fires,
)
from leadflow.process.domain._model import (
    CONDITION_OPS,
    DEFAULT_PROCESS_KEY,
    MAX_STAGES,
    MAX_STEPS,
    Abandon,
    BranchRule,
    Command,
    Condition,
    Decision,
    EnterQueue,
    Finish,
    InstanceState,
    InstanceStatus,
    LeadEvent,
    LeadNews,
    LeaveStage,
    NextStage,
    ProcessDefinition,
    RecordTransition,
    Restart,
    SetActive,
    Stage,
    Step,
    Transition,
    Trigger,
)
from leadflow.process.domain._parser import (
    LEGACY_FLAG_EVENTS,
    definition_to_data,
    parse_definition,
)
from leadflow.process.domain._words import (
    EVENT_WORDS,
    describe_branch,
    describe_transition,
)

__all__ = [
    "CONDITION_OPS",
    "DEFAULT_PROCESS",
    "DEFAULT_PROCESS_KEY",
    "EVENT_WORDS",
    "INQUIRY",
    "LEGACY_FLAG_EVENTS",
    "MARKETING_QUALIFICATION",
    "MAX_STAGES",
    "MAX_STEPS",
    "SALES_ACCEPTANCE",
    "SALES_ACCEPTANCE_QUEUE",
    "TELEMARKETING_ACCEPTANCE",
    "TELEMARKETING_QUALIFICATION",
    "TELEMARKETING_QUEUE",
    "Abandon",
    "BranchRule",
    "Command",
    "Condition",
    "Decision",
    "EnterQueue",
    "Finish",
    "InstanceState",
    "InstanceStatus",
    "LeadEvent",
    "LeadNews",
    "LeaveStage",
    "NextStage",
    "ProcessDefinition",
    "RecordTransition",
    "Restart",
    "SetActive",
    "Stage",
    "Step",
    "Transition",
    "Trigger",
    "automatic_moves",
    "branch_target",
    "condition_holds",
    "decide",
    "definition_to_data",
    "describe_branch",
    "describe_transition",
    "initial_state",
    "is_empty",
    "may_fire",
    "missing_steps",
    "parse_definition",
    "transition_fires",
]

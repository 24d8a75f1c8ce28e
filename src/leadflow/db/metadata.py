"""Imports every table so `Base.metadata` is complete (Alembic and tests use it)."""

# Each capability's tables, imported for their declarations.
from leadflow.accounts.models import Account
from leadflow.contacts.models import Contact
from leadflow.db.base import Base
from leadflow.interactions.models import Interaction
from leadflow.leads.models import Lead
from leadflow.opportunities.models import Opportunity
from leadflow.outbox import OutboxMessage
from leadflow.registry.models import CustomField
from leadflow.switches.models import OrgSetting, OrgSwitch
from leadflow.users.models import ApiToken, User

metadata = Base.metadata

__all__ = [
    "Account",
    "ApiToken",
    "Contact",
    "CustomField",
    "Interaction",
    "Lead",
    "Opportunity",
    "OrgSetting",
    "OrgSwitch",
    "OutboxMessage",
    "User",
    "metadata",
]

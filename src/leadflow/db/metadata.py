"""Imports every table so `Base.metadata` is complete (Alembic and tests use it)."""

# Each capability's tables, imported for their declarations.
import leadflow.activities.models
import leadflow.automation.models
import leadflow.capture.models
import leadflow.emails.models
import leadflow.imports.models
import leadflow.jobs.models
import leadflow.journeys.models
import leadflow.linkedin.models
import leadflow.matching.models
import leadflow.process.models
import leadflow.sales.models
import leadflow.scoring.models
import leadflow.segments.models
import leadflow.views.models  # noqa: F401
from leadflow.accounts.models import Account
from leadflow.contacts.models import Contact
from leadflow.db.base import Base
from leadflow.interactions.models import Interaction
from leadflow.leads.models import Lead
from leadflow.opportunities.models import Opportunity
from leadflow.org.models import OrgSetting, OrgSwitch
from leadflow.outbox import OutboxMessage
from leadflow.registry.models import CustomField
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

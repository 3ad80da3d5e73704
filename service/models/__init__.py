"""All tables; importing this module registers them on SQLModel.metadata (Alembic reads it)."""

from sqlmodel import SQLModel

# Deterministic constraint names, so migrations name what the models name on both databases.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

from service.models.alerts import Alert
from service.models.audit import AuditEvent
from service.models.banks import ApiKey, Bank, PledgeProduct
from service.models.enterprises import CreditLoan, Enterprise
from service.models.jobs import JobRun
from service.models.matching import MatchProposal, MatchRun, ReviewDecision
from service.models.patents import Patent
from service.models.pledges import PledgedIpItem, PledgedPatent, PledgeRegistration
from service.models.subsidies import SubsidyEvent, SubsidyLine
from service.models.targets import Target, TargetSnapshot
from service.models.users import StaffSession, StaffUser
from service.models.valuations import SurvivalFit, Valuation, ValuationRun
from service.models.webhooks import WebhookEndpoint, WebhookMessage
from service.models.whitelist import FeedCounter, FeedDelivery, IdempotencyKey, WhitelistEntry, WhitelistOutcome

__all__ = [
    "Alert",
    "ApiKey",
    "AuditEvent",
    "Bank",
    "CreditLoan",
    "Enterprise",
    "FeedCounter",
    "FeedDelivery",
    "IdempotencyKey",
    "JobRun",
    "MatchProposal",
    "MatchRun",
    "Patent",
    "PledgeProduct",
    "PledgeRegistration",
    "PledgedIpItem",
    "PledgedPatent",
    "ReviewDecision",
    "StaffSession",
    "StaffUser",
    "SubsidyEvent",
    "SubsidyLine",
    "SurvivalFit",
    "Target",
    "TargetSnapshot",
    "Valuation",
    "ValuationRun",
    "WebhookEndpoint",
    "WebhookMessage",
    "WhitelistEntry",
    "WhitelistOutcome",
]

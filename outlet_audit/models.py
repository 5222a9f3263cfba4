"""Every model, imported in one place so Alembic and the shell see the whole schema."""

from outlet_audit.accounts.models import Invitation, ManagerHandover, RecoveryCode, RegistrationRefusal, User
from outlet_audit.accounts.organisations import Organisation
from outlet_audit.api.models import ApiToken
from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate, CertificateDocument, RevocationProposal
from outlet_audit.checklist.models import Answer, Assessment
from outlet_audit.criteria.stored import EditionChoice, StoredEdition
from outlet_audit.dashboards.models import (
    ActiveCertificateCount,
    AnswerScore,
    ApplicationCount,
    CertificateCount,
    ClosedFindingCount,
    CoverageCount,
    DashboardSnapshot,
    FindingCount,
    ItemCount,
    NoticeCount,
    OutletCount,
    WaitingFindingCount,
)
from outlet_audit.evidence.models import Evidence
from outlet_audit.jobs.models import ExportFile
from outlet_audit.notifications.models import Notification
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.supervision.models import (
    Campaign,
    Complaint,
    RevocationCase,
    SupervisionCheck,
    YearlySelfCheck,
)
from outlet_audit.webhooks.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint, WebhookEventRecord
from outlet_audit.workflow.models import Application, ApprovalRecord, inspection_assignments

__all__ = [
    "ApiToken",
    "Answer",
    "Application",
    "Campaign",
    "ApprovalRecord",
    "Assessment",
    "AuditEvent",
    "Certificate",
    "CertificateDocument",
    "Complaint",
    "ActiveCertificateCount",
    "AnswerScore",
    "ApplicationCount",
    "CertificateCount",
    "ClosedFindingCount",
    "CoverageCount",
    "DashboardSnapshot",
    "FindingCount",
    "ItemCount",
    "NoticeCount",
    "OutletCount",
    "WaitingFindingCount",
    "District",
    "EditionChoice",
    "Evidence",
    "ExportFile",
    "Invitation",
    "ManagerHandover",
    "Notification",
    "Organisation",
    "Outlet",
    "RecoveryCode",
    "RegistrationRefusal",
    "RevocationCase",
    "RevocationProposal",
    "StoredEdition",
    "SupervisionCheck",
    "User",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEventRecord",
    "YearlySelfCheck",
    "inspection_assignments",
]

# Not a model: the flush hooks that keep the dashboard's counts (they listen on every Session).
from outlet_audit.dashboards import upkeep  # noqa: E402, F401

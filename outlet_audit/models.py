"""Every model, imported in one place so Alembic and the shell see the whole schema."""

from outlet_audit.accounts.models import Invitation, ManagerHandover, RecoveryCode, RegistrationRefusal, User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.certificates.models import Certificate
from outlet_audit.checklist.models import Answer, Assessment
from outlet_audit.criteria.stored import EditionChoice, StoredEdition
from outlet_audit.dashboards.models import DashboardSnapshot
from outlet_audit.evidence.models import Evidence
from outlet_audit.notifications.models import Notification
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.workflow.models import Application, inspection_assignments

__all__ = [
    "Answer",
    "Application",
    "Assessment",
    "AuditEvent",
    "Certificate",
    "DashboardSnapshot",
    "District",
    "EditionChoice",
    "Evidence",
    "Invitation",
    "ManagerHandover",
    "Notification",
    "Outlet",
    "RecoveryCode",
    "RegistrationRefusal",
    "StoredEdition",
    "User",
    "inspection_assignments",
]

"""Where assessments, evidence and applications sit, for the deny-by-default scope check.

Imported by the checklist and evidence views, so each URL argument has its loader whichever
blueprint is registered first.
"""

from outlet_audit.access import RecordFacts, record_loader, registered_record_arguments
from outlet_audit.checklist.models import Assessment
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.workflow.models import Application


def application_record_facts(application: Application) -> RecordFacts:
    return RecordFacts(
        district_id=application.district_id,
        outlet_id=application.outlet_id,
        inspector_ids=frozenset(user.id for user in application.inspectors),
    )


@record_loader("assessment_id")
def assessment_facts(assessment_id: int) -> RecordFacts | None:
    assessment = db.session.get(Assessment, assessment_id)
    if assessment is None:
        return None
    return application_record_facts(db.session.get(Application, assessment.application_id))


@record_loader("evidence_id")
def evidence_facts(evidence_id: int) -> RecordFacts | None:
    evidence = db.session.get(Evidence, evidence_id)
    if evidence is None:
        return None
    if evidence.application_id is not None:
        return application_record_facts(db.session.get(Application, evidence.application_id))
    outlet = db.session.get(Outlet, evidence.outlet_id)
    return RecordFacts(district_id=outlet.district_id, outlet_id=outlet.id)


def application_facts_for_access(application_id: int) -> RecordFacts | None:
    application = db.session.get(Application, application_id)
    return application_record_facts(application) if application else None


# The workflow pages register the same loader for their application_id routes; whichever
# module is imported first registers it, and both answer the same facts.
if "application_id" not in registered_record_arguments():
    record_loader("application_id")(application_facts_for_access)

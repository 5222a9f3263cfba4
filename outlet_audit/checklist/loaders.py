"""Where assessments, evidence and applications sit, for the deny-by-default scope check.

Imported by the checklist and evidence views; `application_id` has its one loader in
workflow/record_facts.py.
"""

from outlet_audit.access import RecordFacts, record_loader
from outlet_audit.checklist.models import Assessment
from outlet_audit.evidence.models import Evidence
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.record_facts import application_record_facts


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

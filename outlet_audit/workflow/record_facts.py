"""Where an application sits, for the deny-by-default scope check of every `application_id` route.

The workflow, checklist and certificate pages all name applications in their URLs; this one
loader serves them all (importing this module registers it).
"""

from sqlalchemy import select

from outlet_audit.access import RecordFacts, record_loader
from outlet_audit.extensions import db
from outlet_audit.workflow.models import Application, inspection_assignments


def application_record_facts(application: Application) -> RecordFacts:
    """The facts of an application already loaded (for records that hang off one)."""
    return RecordFacts(
        district_id=application.district_id,
        outlet_id=application.outlet_id,
        inspector_ids=frozenset(user.id for user in application.inspectors),
    )


@record_loader("application_id")
def application_record_facts_by_id(application_id: int) -> RecordFacts | None:
    """District, outlet and assigned inspectors, in one statement (one row per inspector)."""
    rows = db.session.execute(
        select(Application.district_id, Application.outlet_id, inspection_assignments.c.inspector_id)
        .outerjoin(inspection_assignments, inspection_assignments.c.application_id == Application.id)
        .where(Application.id == application_id)
    ).all()
    if not rows:
        return None
    return RecordFacts(
        district_id=rows[0].district_id,
        outlet_id=rows[0].outlet_id,
        inspector_ids=frozenset(row.inspector_id for row in rows if row.inspector_id is not None),
    )

"""A city-level visit by a joint team (issue #16): one inspector of the district postal bureau
and one of its ecology and environment bureau, for the web and browser tests of their signatures."""

from sqlalchemy import select

from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Assessment, visit_inspectors
from outlet_audit.checklist.service import assessment_of
from outlet_audit.extensions import db
from outlet_audit.roles import Agency, Role
from outlet_audit.workflow.seeding import answer_checklist
from outlet_audit.workflow.states import Status
from tests.factories import cast_for, evidence_row, login, make_application, make_outlet, make_user
from tests.workflow_helpers import give_certificate

POSTAL_NAME, ECOLOGY_NAME = "邮政检查员甲", "生态检查员乙"
ECOLOGY_ORGANISATION = "Fengxian District Bureau of Ecology and Environment, Shanghai"
POSTAL_ORGANISATION = "Fengxian District Postal Administration, Shanghai"


class Team:
    """A city-level application of a district-certified outlet, with one inspector of each agency."""

    def __init__(self, status: Status = Status.INSPECTION_SCHEDULED):
        self.outlet = make_outlet("FX")
        give_certificate(self.outlet)  # city level is for outlets that hold a district certificate
        self.postal = make_user(Role.INSPECTOR, district_code="FX", display_name=POSTAL_NAME)
        self.ecology = make_user(
            Role.INSPECTOR, district_code="FX", agency=Agency.DISTRICT_ECOLOGY, display_name=ECOLOGY_NAME
        )
        self.cast = cast_for(self.outlet, [self.postal], ecology_inspector=self.ecology)
        self.bureau, self.outlet_user = self.cast.bureau, self.cast.outlet_user
        self.application = make_application(self.outlet, status=status, target_level="city", cast=self.cast)

    @property
    def record(self) -> Assessment:
        return assessment_of(self.application, AssessmentKind.INSPECTION)

    def fill_in(self, short_of=("1.2",)):
        answer_checklist(
            self.application, AssessmentKind.INSPECTION, self.postal, attach=evidence_row, short_of=short_of
        )

    @property
    def sign_off_url(self) -> str:
        return f"/checklist/{self.record.id}/sign-off"

    @property
    def result_url(self) -> str:
        return f"/checklist/applications/{self.application.id}/result"

    def sign(self, client, user, **data):
        login(client, user)
        return client.post(self.sign_off_url, data={"confirm": "y", **data})

    def signed_at(self) -> dict[int, object]:
        rows = db.session.execute(
            select(visit_inspectors.c.inspector_id, visit_inspectors.c.signed_at).where(
                visit_inspectors.c.assessment_id == self.record.id
            )
        )
        return dict(rows.all())

    def reload(self):
        db.session.expire_all()
        self.application = db.session.get(type(self.application), self.application.id)

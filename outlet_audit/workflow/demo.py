"""Demo applications in several states, made the way users make them: through `workflow.seeding`,
which takes every step by the real operations (`apply_transition`, the checklist service, the
evidence store), as the tests' data is made.

Called by `flask demo load` (demo/cli.py). Never in production: the demo command refuses there.
"""

from datetime import timedelta

from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.outlets.models import Outlet
from outlet_audit.outlets.operations import update_profile
from outlet_audit.workflow.drafting import save_draft
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.seeding import Cast, advance_to, answer_checklist, best_value, open_draft
from outlet_audit.workflow.states import Action, Level, Status


def load_demo_applications() -> int:
    """Add the demo applications to outlets that have none yet; return how many were made."""
    users = {user.username: user for user in db.session.scalars(select(User))}
    outlets = {outlet.permit_number: outlet for outlet in db.session.scalars(select(Outlet))}
    bureau, inspectors, city = users["fengxian"], (users["inspector1"], users["inspector2"]), users["city"]
    today = today_in_shanghai()
    made = 0

    def untouched(permit: str) -> bool:
        count = (
            select(func.count()).select_from(Application).where(Application.outlet_id == outlets[permit].id)
        )
        return db.session.scalar(count) == 0

    def cast(outlet_user, assigned=inspectors) -> Cast:
        # Fengxian's ecology and environment bureau co-signs approvals (and joins joint teams)
        return Cast(outlet_user, bureau, tuple(assigned), city, users["fengxian-eco"], users["inspector-eco"])

    # 南桥顺丰: certified at district level, now drafting its city-level application.
    if untouched("SH-KD-2021-0158"):
        outlet, user = outlets["SH-KD-2021-0158"], users["outlet"]
        decision = {
            "granted_level": Level.DISTRICT,
            "opinion": "现场评估符合区级无废快递网点要求，同意认定。",
        }
        advance_to(open_draft(outlet, user), Status.APPROVED, cast(user), {Action.APPROVE: decision})
        city = open_draft(outlet, user, Level.CITY, affirm=False)
        save_draft(
            city, target_level=Level.CITY, eligibility={"E1": True, "E2": True, "E3": True}, actor=user
        )
        started = [
            item for item in pinned_edition(city.edition).items() if item.code in {"1.1", "1.2", "1.3"}
        ]
        answer_checklist(
            city, AssessmentKind.SELF, user, {item.code: best_value(item) for item in started}, complete=False
        )
        made += 2

    # 西渡中通: inspection booked for both Fengxian inspectors; a manager change awaits verification.
    if untouched("SH-KD-2020-3321"):
        outlet, user = outlets["SH-KD-2020-3321"], users["outlet2"]
        in_three_days = {Action.SCHEDULE_INSPECTION: {"scheduled_on": today + timedelta(days=3)}}
        advance_to(open_draft(outlet, user), Status.INSPECTION_SCHEDULED, cast(user), in_three_days)
        update_profile(outlet, {"manager": "李敏、周强"}, actor=user)
        made += 1

    # 金汇邮政: just submitted, waiting for the bureau.
    if untouched("SH-YZ-2019-0007"):
        user = users["outlet3"]
        advance_to(open_draft(outlets["SH-YZ-2019-0007"], user), Status.SUBMITTED, cast(user))
        made += 1

    # 庄行京东: inspected, reusable packaging short of full marks: rectification requested.
    if untouched("SH-KD-2022-7710"):
        user = users["outlet4"]
        application = open_draft(outlets["SH-KD-2022-7710"], user)
        advance_to(application, Status.INSPECTION_SCHEDULED, cast(user, inspectors[1:]))
        answer_checklist(application, AssessmentKind.INSPECTION, inspectors[1], short_of={"3.1"})
        rectification = {
            "rectification_item_codes": frozenset({"3.1"}),
            "rectification_deadline": today + timedelta(days=21),
            "reasons": "可循环快递箱仅试点使用，请常态化使用并建立使用台账。",
        }
        advance_to(
            application,
            Status.RECTIFICATION_REQUESTED,
            cast(user, inspectors[1:]),
            {Action.REQUEST_RECTIFICATION: rectification},
        )
        made += 1

    # 青浦徐泾圆通: a draft the outlet has started.
    if untouched("SH-KD-2018-4402"):
        open_draft(outlets["SH-KD-2018-4402"], users["outlet5"])
        made += 1

    db.session.flush()
    return made

"""The approval steps signed on the applications, as `workflow.approvals.record_step` writes them.
Part of the world builder (bench/world.py), kept apart for size.

Each level's steps are the edition's (`LevelRules.approvals`): the district postal bureau's proposal
opens a round at position 0 (the action "approve"), each later step's agency agrees in turn
("agree"), and the last agreement approves. An application in approval waits at one of the later
steps: `awaiting_agency` is that step's agency. Some applications had an earlier round that a later
step stopped ("disagree" or "return_step") before the district postal bureau proposed again.
"""

from dataclasses import dataclass
from datetime import datetime

from outlet_audit.roles import Act, Agency, Outcome

# Applications in approval or approved whose first round a later step stopped.
STOPPED_ROUND_SHARE = 0.08
# A city-level applicant the district postal bureau proposes for district level only.
PROPOSED_LOWER_SHARE = 0.1
OPINIONS = {
    Act.OPINION: "现场评估符合区级认定要求，拟同意认定。",
    Act.RECOMMENDATION: "现场评估达到市级标准，推荐申报市级无废快递网点。",
    Act.COSIGN: "经会签，同意。",
    Act.DECISION: "材料齐全，现场评估符合要求，同意认定。",
    Act.CONFIRMATION: "经复核，同意。",
}
STOP_OPINIONS = {
    Outcome.DISAGREE: "包装废弃物回收台账不完整，暂不同意。",
    Outcome.RETURN: "现场照片不全，请补充后重新提请。",
}
ACTIONS = {Outcome.AGREE: "agree", Outcome.DISAGREE: "disagree", Outcome.RETURN: "return_step"}
APPROVAL_COLUMNS = (
    "id",
    "application_id",
    "round",
    "position",
    "level",
    "agency",
    "act",
    "outcome",
    "opinion",
    "organisation_id",
    "user_id",
    "created_at",
)


@dataclass
class Step:
    """One approval step signed: what the record holds, and the transition it was."""

    round: int
    position: int
    level: str
    agency: Agency
    act: Act
    outcome: Outcome
    new_status: str  # the application's status after it
    signer: int = 0
    moment: datetime | None = None

    @property
    def action(self) -> str:
        return "approve" if self.position == 0 else ACTIONS[self.outcome]

    @property
    def opinion(self) -> str:
        return OPINIONS[self.act] if self.outcome == Outcome.AGREE else STOP_OPINIONS[self.outcome]


class ApprovalRows:
    """Approval steps and their rows; the builder supplies rng, the edition and the people."""

    def _round(self, number: int, level: str, signed: int, stop: Outcome | None = None) -> list[Step]:
        """The first `signed` steps of a round at `level`, all agreeing, then a stop if one is given."""
        chain = self.edition.level(level).approvals
        steps = []
        for position in range(signed + (stop is not None)):
            outcome = stop if position == signed else Outcome.AGREE
            if outcome != Outcome.AGREE:
                after = "inspected"
            else:
                after = "approved" if position == len(chain) - 1 else "in_approval"
            step = chain[position]
            steps.append(Step(number, position, level, step.agency, step.act, outcome, after))
        return steps

    def _approval_steps(self, status: str, level: str, waiting_after: int | None = None) -> list[Step]:
        """The steps signed on an application that is `status` (approved or in approval) at `level`;
        one in approval waits after `waiting_after` steps of its round (drawn when not given)."""
        chain = self.edition.level(level).approvals
        steps = []
        if self.rng.random() < STOPPED_ROUND_SHARE and len(chain) > 1:
            stop = self.rng.choice((Outcome.DISAGREE, Outcome.RETURN))
            steps += self._round(1, level, self.rng.randint(1, len(chain) - 1), stop)
        number = 2 if steps else 1
        signed = len(chain) if status == "approved" else waiting_after or self.rng.randint(1, len(chain) - 1)
        return steps + self._round(number, level, signed)

    def _sign_steps(self, plan) -> None:
        """Give each step its moment (the timeline's last steps are the approval's) and its signer."""
        steps = plan.timeline.steps
        moments = [moment for _action, moment in steps[len(steps) - len(plan.approval) :]]
        for step, moment in zip(plan.approval, moments, strict=True):
            step.moment = moment
            step.signer = self._signer(step.agency, plan.outlet[3], plan.id)

    def _signer(self, agency: Agency, district_id: int, plan_id: int) -> int:
        """An approver of the step's organisation: the district's postal or ecology bureau, or the city's."""
        people = {
            Agency.DISTRICT_POSTAL: self.bureau[district_id],
            Agency.DISTRICT_ECOLOGY: self.ecology_bureau[district_id],
            Agency.CITY_POSTAL: self.city,
        }[agency]
        return people[plan_id % len(people)]

    def _awaiting_agency(self, plan) -> str | None:
        """The agency of the step that waits, while the application is in approval."""
        if plan.status != "in_approval":
            return None
        last = plan.approval[-1]
        return self.edition.level(last.level).approvals[last.position + 1].agency.value

    def _approval_rows(self, plans) -> list[tuple]:
        rows = []
        for plan in plans:
            for step in plan.approval:
                organisation = self.organisation(step.agency, plan.outlet[3])
                rows.append(
                    (
                        len(rows) + 1, plan.id, step.round, step.position, step.level, step.agency.value,
                        step.act.value, step.outcome.value, step.opinion, organisation[0], step.signer,
                        step.moment,
                    )
                )  # fmt: skip
        return rows

"""What the inspection records found and what became of it: findings (整改项), rectification notices
(整改通知书) and the re-inspection's verifications, as `checklist.findings` writes them. Part of the
world builder (bench/world.py), kept apart for size.

A signed record has one finding per item short of full marks (`Profile.shortfalls`). Where the
timeline holds a rectification, the bureau ordered one to three findings of the first visit
rectified by a date between 10 and 30 days on (the others not required); once the outlet sent its
answers they are answered, and once the re-inspection is signed each is verified closed (the item
earns full marks there) or not closed, and the re-inspection's own shortfalls are findings too.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from outlet_audit.checklist.findings import notice_number
from outlet_audit.roles import Agency

INSTRUCTIONS = "请于期限内按评估意见整改，并逐项上传整改照片。"
RESPONSE = "已按要求整改，现场已更换为合规物料并张贴操作规范。"


@dataclass
class Checklist:
    """One assessment of the world and what its answers come from."""

    assessment_id: int
    plan: object  # world.Plan
    kind: str
    profile: object  # synthetic.Profile
    codes: list  # the items answered (fewer when partly answered, or trimmed to the answer budget)
    moment: datetime  # when its answers were saved
    open: bool = False  # an inspection record not signed yet: the one being filled in
    partial: bool = False  # an inspection not finished yet: no score, no item files


class FindingRows:
    """Findings, notices and verifications; the builder supplies rng, people and district names."""

    def _findings(self, plan, inspections: list[Checklist], records: list[tuple]) -> None:
        """The rows the sign-offs, the notice, the answers and the verification of one application
        wrote. `records`: (visit type, profile, created, signed) of its inspection records, in order."""
        first_signed = records[0][3]
        if first_signed is None:
            return
        steps = dict(plan.timeline.steps)  # a rectification is requested and answered once at most
        requested, submitted = steps.get("request_rectification"), steps.get("submit_rectification")
        reinspected = records[1][3] if len(records) > 1 else None
        found = list(inspections[0].profile.shortfalls)
        ordered, notice_id = set(), None
        if requested is not None:
            ordered = set(self.rng.sample(found, min(len(found), self.rng.randint(1, 3))))
            notice_id = self._notice(plan, inspections[0].assessment_id, requested, submitted)
        still_short = set(records[-1][1].shortfalls)
        staff, inspector = self.staff[plan.outlet[0]], plan.inspectors[0]
        for code in found:
            status, answer, closed_at = "open", (None, None, None, None), None
            if notice_id is not None:
                status = "ordered" if code in ordered else "not_required"
            if code in ordered and submitted is not None:
                status, answer = (
                    "answered",
                    (f"{plan.outlet[6]} 负责人", RESPONSE, submitted - timedelta(hours=1), staff),
                )
            if code in ordered and reinspected is not None:
                status = "not_closed" if code in still_short else "closed"
                closed_at = reinspected if status == "closed" else None
            finding_id = len(self.finding_rows) + 1
            self.finding_rows.append(
                (
                    finding_id, plan.id, inspections[0].assessment_id, code, status,
                    notice_id if code in ordered else None, *answer, closed_at, first_signed,
                )
            )  # fmt: skip
            if answer[0] is not None:
                self.finding_events.append(
                    (answer[2], staff, plan.id, None, "finding", finding_id, "finding_answered", code, None,
                     RESPONSE)
                )  # fmt: skip
            if closed_at is not None or status == "not_closed":
                checked_at = reinspected - timedelta(hours=1)
                method = "on_site" if finding_id % 3 == 0 else "desk"
                self.check_rows.append(
                    (len(self.check_rows) + 1, finding_id, inspections[1].assessment_id, status, method, None,
                     checked_at, inspector)
                )  # fmt: skip
                self.finding_events.append(
                    (checked_at, inspector, plan.id, None, "finding", finding_id, "finding_checked",
                     f"inspection:{code}", None, status)
                )  # fmt: skip
        if reinspected is not None:
            for code in records[1][1].shortfalls:
                self.finding_rows.append(
                    (len(self.finding_rows) + 1, plan.id, inspections[1].assessment_id, code, "open", None,
                     None, None, None, None, None, reinspected)
                )  # fmt: skip

    def _notice(self, plan, assessment_id: int, requested: datetime, submitted: datetime | None) -> int:
        district_id = plan.outlet[3]
        notice_id = len(self.notice_rows) + 1
        due_on = (requested + timedelta(hours=8)).date() + timedelta(days=self.rng.randint(10, 30))
        self.notice_rows.append(
            (
                notice_id,
                notice_number(requested.year, self.district_codes[district_id], notice_id),
                plan.id,
                assessment_id,
                self.organisation(Agency.DISTRICT_POSTAL, district_id)[1],
                due_on,
                INSTRUCTIONS,
                requested,
                self.bureau[district_id][plan.id % len(self.bureau[district_id])],
                submitted,
            )
        )
        return notice_id

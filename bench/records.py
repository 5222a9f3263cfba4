"""The rows that record what happened to the applications: evidence, certificates, the audit
trail and notifications. Part of the world builder (bench/world.py), kept apart for size."""

from collections import defaultdict
from datetime import timedelta

from bench import synthetic as syn
from outlet_audit.roles import Agency

SPREAD = 2_000  # records the PDF pages cycle through
RESULT_STATUS = {
    "submit": "submitted",
    "return": "returned",
    "accept": "accepted",
    "schedule_inspection": "inspection_scheduled",
    "sign_off": "inspected",
    "request_rectification": "rectification_requested",
    "submit_rectification": "rectification_submitted",
    "reject": "rejected",
    "withdraw": "withdrawn",
}
OUTLET_ACTIONS = {"submit", "withdraw", "submit_rectification"}


class RecordRows:
    """Row generators over the builder's plans; the builder supplies rng, sample, people and files."""

    def _evidence(self, plans, answer_plan):
        evidence_id = 0
        for entry in answer_plan:
            plan = entry.plan
            if plan.showcase:
                continue  # the seeder uploads real files for these
            steps = dict(plan.timeline.steps)
            if entry.kind == "self" and "submit" in steps:
                evidence_id += 1
                yield self._evidence_row(
                    evidence_id, plan, None, None, "commitment", steps["submit"], self.staff[plan.outlet[0]]
                )
            if entry.kind == "inspection" and not entry.partial:
                kept = set(entry.codes)
                for code in entry.profile.evidence_items:
                    if code in kept:
                        evidence_id += 1
                        yield self._evidence_row(
                            evidence_id,
                            plan,
                            entry.assessment_id,
                            code,
                            "item",
                            entry.moment,
                            plan.inspectors[0],
                        )

    def _evidence_row(self, evidence_id, plan, assessment_id, code, purpose, moment, uploader) -> tuple:
        """An upload; its original hash is unique (no false "photo reused" alarm), its stored
        bytes are one of the real files when there are some."""
        photo = purpose == "item"
        if self.files and photo:
            stored, thumbnail, size, width, height = self.files.photos[evidence_id % len(self.files.photos)]
        elif self.files:
            (stored, size), thumbnail, width, height = self.files.letter, None, None, None
        else:
            stored, thumbnail = syn.fake_sha("stored", evidence_id), syn.fake_sha("thumb", evidence_id)
            size, width, height = self.rng.randint(180_000, 2_400_000), 1600, 1200
        return (
            evidence_id, plan.outlet[0], plan.id, assessment_id, code, purpose,
            "photo" if photo else "document", "image/jpeg" if photo else "application/pdf",
            f"IMG_{evidence_id:06d}.jpg" if photo else "承诺书.pdf", size,
            syn.fake_sha("original", evidence_id), stored, thumbnail if photo else None,
            width if photo else None, height if photo else None, moment if photo else None,
            31.2 if photo else None, 121.5 if photo else None, moment, uploader,
        )  # fmt: skip

    # --- certificates, trail, notifications ---------------------------------------------------

    def _certificates(self, plans) -> list[tuple]:
        certs = []
        for plan in plans:
            if plan.status != "approved":
                continue
            issued = (plan.timeline.decided_at + timedelta(hours=8)).date()
            level = plan.granted_level
            issuer = self.edition.level(level).issuer
            certs.append(
                {
                    "id": len(certs) + 1,
                    "application_id": plan.id,
                    "outlet_id": plan.outlet[0],
                    "district_id": plan.outlet[3],
                    "level": level,
                    "score": plan.profile.final,
                    "issued_on": issued,
                    "valid_until": syn.certificate_validity(self.edition, level, issued),
                    "showcase": bool(plan.showcase),
                    "decided_at": plan.timeline.decided_at,
                    "issuer": self.organisation(issuer, plan.outlet[3]),
                    # the settling step's signer issued it; a member of the issuer would revoke it
                    "issued_by": plan.approval[-1].signer,
                    "revoker": self._signer(issuer, plan.outlet[3], 0),
                }
            )
        syn.issue_numbers(certs, self.district_codes)
        self.certificate_issuers = {cert["id"]: cert["issued_by"] for cert in certs}
        by_outlet = defaultdict(list)
        for cert in certs:
            by_outlet[cert["outlet_id"]].append(cert)
        for outlet_certs in by_outlet.values():
            outlet_certs.sort(key=lambda c: (c["showcase"], c["issued_on"], c["id"]))
            for older, newer in zip(outlet_certs, outlet_certs[1:], strict=False):
                older["superseded_by_id"] = newer["id"]
            latest = outlet_certs[-1]
            if not latest["showcase"] and self.rng.random() < 0.03:
                latest["revoked"] = latest["decided_at"] + timedelta(days=self.rng.randint(30, 300))
        rows = []
        for c in sorted(certs, key=lambda c: (c["issued_on"], c["id"]), reverse=True):  # replacements first
            revoked = c.get("revoked")
            if revoked and revoked > self.now:
                revoked = self.now - timedelta(days=1)
            state = "revoked" if revoked else ("superseded" if c.get("superseded_by_id") else "active")
            rows.append(
                (
                    c["id"],
                    c["number"],
                    c["application_id"],
                    c["outlet_id"],
                    c["district_id"],
                    c["level"],
                    c["score"],
                    self.edition.id,
                    self.edition.content_hash,
                    c["issuer"][1],
                    c["issuer"][0],
                    c["issued_on"],
                    c["valid_until"],
                    state,
                    revoked,
                    "复查发现使用不可降解包装袋。" if revoked else None,
                    c["revoker"] if revoked else None,
                    c.get("superseded_by_id"),
                    None,
                    c["decided_at"],
                )
            )
            if c["showcase"]:
                self.sample.certificate_id, self.sample.certificate_number = c["id"], c["number"]
        in_district = [row[0] for row in rows if row[4] == self.sample.district_id]
        self.sample.certificate_ids = self.rng.sample(in_district, min(len(in_district), SPREAD))
        return rows

    def _audit(self, plans, certificates, answer_plan):
        """The audit rows the operations would have written for every row of the world."""
        event_id = 0

        def event(moment, actor, application_id, outlet_id, subject_type, subject_id, action, *change):
            nonlocal event_id
            event_id += 1
            field, old, new, reason = (*change, None, None, None, None)[:4]
            return (event_id, moment, actor, application_id, outlet_id, subject_type, subject_id, action,
                    field, old, new, reason)  # fmt: skip

        for plan in plans:
            status, staff = "draft", self.staff[plan.outlet[0]]
            created = plan.timeline.created_at
            about = (plan.id, plan.outlet[0], "application", plan.id)
            yield event(
                created, staff, *about, "application_created", "target_level", None, plan.target_level
            )
            bureau = self._signer(Agency.DISTRICT_POSTAL, plan.outlet[3], plan.id)
            before_approval = plan.timeline.steps[: len(plan.timeline.steps) - len(plan.approval)]
            for action, moment in before_approval:
                new = RESULT_STATUS[action]
                actor = staff if action in OUTLET_ACTIONS else bureau
                if action == "sign_off":
                    actor = plan.inspectors[0]
                yield event(moment, actor, *about, "transition", action, status, new)
                status = new
            for step in plan.approval:  # each step signed is a transition, its opinion the reason
                change = (step.action, status, step.new_status, step.opinion)
                yield event(step.moment, step.signer, *about, "transition", *change)
                status = step.new_status
        for row, plan, kind in self._answer_rows(answer_plan):
            answer_id, _assessment, code, value, not_applicable, note, _version, moment, author = row
            said = ("N/A" if not_applicable else value) + (f" ({note})" if note else "")
            yield event(
                moment,
                author,
                plan.id,
                None,
                "answer",
                answer_id,
                "answer_saved",
                f"{kind}:{code}",
                None,
                said,
            )
        for finding_event in self.finding_events:
            yield event(*finding_event)
        for row in self._evidence(plans, answer_plan):
            evidence_id, outlet_id, application_id, _assessment, code, purpose = row[:6]
            field = f"inspection:{code}" if purpose == "item" else purpose
            upload = (evidence_id, "evidence_uploaded", field, None, row[8])
            yield event(row[18], row[19], application_id, outlet_id, "evidence", *upload)
        rows = [dict(zip(syn.CERTIFICATE_COLUMNS, cert, strict=True)) for cert in certificates]
        by_id = {cert["id"]: cert for cert in rows}
        for cert in rows:
            about = (cert["application_id"], cert["outlet_id"], "certificate", cert["id"])
            issued_by = self.certificate_issuers[cert["id"]]
            yield event(
                cert["created_at"], issued_by, *about, "certificate_issued", None, None, cert["number"]
            )
            if cert["state"] == "revoked":
                revocation = ("state", "active", "revoked", cert["revoked_reason"])
                yield event(
                    cert["revoked_at"], cert["revoked_by_id"], *about, "certificate_revoked", *revocation
                )
            elif cert["state"] == "superseded":
                newer = by_id[cert["superseded_by_id"]]
                by = (None, cert["outlet_id"], "certificate", cert["id"], "certificate_superseded", None)
                yield event(newer["created_at"], None, *by, cert["number"], newer["number"])

    def _notifications(self, plans) -> list[tuple]:
        rows, recent = [], [p for p in plans if p.status != "draft"][-2000:]
        template = "%(outlet)s submitted application %(ref)s."
        readers = [
            self.admin,
            *self.city,
            *[u for users in self.bureau.values() for u in users],
            *[u for users in self.inspectors.values() for u in users],
        ]
        for user_id in readers:
            for n in range(20):
                plan = self.rng.choice(recent)
                moment = self.now - timedelta(hours=n * 7 + 1)
                rows.append(
                    (
                        len(rows) + 1,
                        user_id,
                        "application_submitted",
                        template,
                        {"outlet": plan.outlet[1], "ref": f"SQ{plan.timeline.created_at:%Y}-{plan.id:06d}"},
                        f"/applications/{plan.id}",
                        moment,
                        None if n < 5 else moment + timedelta(hours=1),
                    )
                )
        return rows

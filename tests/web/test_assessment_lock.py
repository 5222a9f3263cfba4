"""The assessment lock (checklist.locking): whatever writes answers, files or figures holds it.

The races themselves run in tests/test_concurrency.py (PostgreSQL, real threads). Here, on both
databases: the guard that refuses, inside a writing request, a write made without the lock (so a
new writer that forgets it fails its first test); every writer taking the lock by itself and
looking at the sign-off only once it holds it; the lock reading the application again when a
transition changed it meanwhile; and random walks through the pages after each step of which the
stored figures still score the stored answers.
"""

import io
import random
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from outlet_audit.checklist import service
from outlet_audit.checklist.attachments import attach_item_evidence, attach_signature, remove_evidence
from outlet_audit.checklist.locking import AssessmentNotLocked, holds_lock, lock_assessment
from outlet_audit.checklist.models import Answer, Assessment
from outlet_audit.checklist.permissions import Mode, checklist_mode
from outlet_audit.checklist.service import (
    AnswerRefused,
    answer_rows,
    answer_rows_by_code,
    get_or_create_assessment,
    holds_valid_district_certificate,
    score_assessment,
    scoring_answers,
)
from outlet_audit.core.time import utcnow
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.evidence.files import UploadRefused
from outlet_audit.evidence.models import Evidence
from outlet_audit.evidence.operations import store_upload
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.scoring import score
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.seeding import affirm_declarations
from outlet_audit.workflow.states import Action
from tests.checklist_helpers import (
    Inspection,
    attach,
    complete,
    form_text,
    full_form,
    pdf,
    photo,
    signature_png_data_url,
)
from tests.factories import login, make_application, make_outlet, make_user
from tests.workflow_helpers import answer_all, best_value, worst_value
from tests.workflow_helpers import attach as attach_letter

JSON = {"Accept": "application/json"}
SIGNED_OFF = "This checklist is signed off and locked."


@pytest.fixture
def inspection(ctx, db_session):
    """An inspection with 1.1 answered and a photo on it, committed: no lock is held after it."""
    inspection = Inspection()
    inspection.save("1.1", True)
    attach(inspection, "1.1")
    db_session.commit()
    return inspection


@pytest.fixture
def writing(app):
    """Run the test's own calls as inside a POST request, where the guard is on."""
    with app.test_request_context(method="POST"):
        yield


def ready_to_submit():
    """A draft of an outlet of its own, complete (declarations, self-assessment, letter), scored."""
    outlet = make_outlet("FX")
    user = make_user(Role.OUTLET, outlet=outlet)
    application = make_application(outlet)
    affirm_declarations(application, user)
    own = answer_all(application, "self", user)
    attach_letter(application, user)
    score_assessment(own, pinned_edition(application.edition), outlet.id)
    return application, own, user


def the_photo(inspection) -> Evidence:
    return db.session.scalar(select(Evidence).where(Evidence.assessment_id == inspection.assessment.id))


# --- the guard ------------------------------------------------------------------------------------


def new_answer(inspection):
    db.session.add(Answer(assessment_id=inspection.assessment.id, item_code="1.2", value="true"))


def changed_note(inspection):
    db.session.scalar(select(Answer).where(Answer.assessment_id == inspection.assessment.id)).note = "x"


def stored_file(inspection):
    store_upload(
        photo((64, 48)),
        "p.jpg",
        outlet_id=inspection.outlet.id,
        actor=inspection.inspector,
        application_id=inspection.application.id,
        assessment_id=inspection.assessment.id,
        item_code="1.2",
    )


def deleted_file(inspection):
    db.session.delete(the_photo(inspection))


def changed_figures(inspection):
    db.session.get(Assessment, inspection.assessment.id).total = Decimal(1)


def bulk_update(inspection):
    db.session.execute(
        update(Answer).where(Answer.assessment_id == inspection.assessment.id).values(note="x")
    )


UNLOCKED_WRITES = [new_answer, changed_note, stored_file, deleted_file, changed_figures, bulk_update]


@pytest.mark.parametrize("write", UNLOCKED_WRITES)
def test_a_write_without_the_lock_is_refused_inside_a_writing_request(inspection, writing, db_session, write):
    with pytest.raises(AssessmentNotLocked):
        write(inspection)
        db_session.flush()
    db_session.rollback()


@pytest.mark.parametrize("write", UNLOCKED_WRITES)
def test_the_same_write_holding_the_lock_goes_through(inspection, writing, db_session, write):
    lock_assessment(inspection.assessment.id)
    write(inspection)
    db_session.flush()


def test_outside_requests_the_guard_stays_out_of_the_way(inspection, db_session):
    """Test builders and the command line (one writer at a time) may write rows directly."""
    changed_figures(inspection)
    db_session.flush()


def test_an_assessment_made_in_this_transaction_needs_no_lock(ctx, db_session, writing):
    application = make_application(make_outlet("FX"))
    own = get_or_create_assessment(application, "self")
    db.session.add(Answer(assessment_id=own.id, item_code="1.1", value="true"))
    db_session.flush()


def test_the_lock_ends_with_the_transaction(inspection, writing, db_session):
    lock_assessment(inspection.assessment.id)
    assert holds_lock(inspection.assessment.id)
    db_session.commit()
    assert not holds_lock(inspection.assessment.id)
    with pytest.raises(AssessmentNotLocked):
        changed_figures(inspection)
        db_session.flush()
    db_session.rollback()


def test_a_lock_taken_inside_a_savepoint_is_not_counted_as_held(inspection, writing, db_session):
    """Rolling the savepoint back would release the row lock: the next writer must take it again."""
    with db_session.begin_nested():
        lock_assessment(inspection.assessment.id)
    assert not holds_lock(inspection.assessment.id)


def test_figures_from_answers_read_without_the_lock_are_refused(inspection, writing, db_session):
    rows = answer_rows_by_code(inspection.assessment)  # read before any lock: maybe changed since
    with pytest.raises(AssessmentNotLocked):
        score_assessment(inspection.assessment, inspection.edition, inspection.outlet.id, rows.values())
    db_session.rollback()


# --- the writers ----------------------------------------------------------------------------------


def saved(inspection):
    inspection.save("1.1", False, actor=inspection.second_inspector, version=1)


def attached(inspection):
    attach_item_evidence(
        inspection.assessment,
        inspection.application,
        inspection.edition,
        "1.2",
        photo((64, 48)),
        "p.jpg",
        inspection.inspector,
    )


def signed(inspection):
    attach_signature(
        inspection.assessment,
        inspection.application,
        "inspector",
        signature_png_data_url(),
        inspection.inspector,
    )


def removed(inspection):
    remove_evidence(the_photo(inspection), inspection.inspector, "inspection")


def scored(inspection):
    score_assessment(inspection.assessment, inspection.edition, inspection.outlet.id)


@pytest.mark.parametrize("writer", [saved, attached, signed, removed, scored])
def test_every_writer_takes_the_lock_itself(inspection, writing, db_session, writer):
    assert not holds_lock(inspection.assessment.id)
    writer(inspection)
    db_session.flush()
    assert holds_lock(inspection.assessment.id)


@pytest.mark.parametrize("writer", [saved, attached, signed, removed])
def test_a_writer_sees_a_sign_off_its_session_has_not_seen(inspection, db_session, writer):
    """Each looks at the sign-off once it holds the lock: the session's older copy says open."""
    assert inspection.assessment.signed_off_at is None  # the copy this session holds
    db_session.connection().execute(  # what a sign-off committed meanwhile leaves
        update(Assessment.__table__)
        .where(Assessment.__table__.c.id == inspection.assessment.id)
        .values(signed_off_at=utcnow(), signed_off_by_id=inspection.inspector.id)
    )
    with pytest.raises((AnswerRefused, UploadRefused)) as refused:
        writer(inspection)
    assert refused.value.message.template == SIGNED_OFF
    assert the_photo(inspection) is not None


@pytest.mark.parametrize("action", [Action.SIGN_OFF, Action.SUBMIT])
def test_sign_off_and_submission_score_under_the_lock(ctx, db_session, writing, monkeypatch, action):
    """The completeness check and the scoring both read the answers the lock keeps as they are."""
    if action == Action.SIGN_OFF:
        inspection = Inspection()
        complete(inspection)
        application, assessment, user = inspection.application, inspection.assessment, inspection.inspector
    else:
        application, assessment, user = ready_to_submit()
    db_session.commit()
    reads = []

    def answer_rows_watched(of):
        reads.append((of.id, holds_lock(of.id)))
        return answer_rows(of)

    monkeypatch.setattr(service, "answer_rows", answer_rows_watched)
    apply_transition(application, action, user, make_payload(confirmed=action == Action.SIGN_OFF))
    assert (assessment.id, True) in reads and all(locked for _, locked in reads), reads
    db_session.commit()


def test_the_lock_reads_again_an_application_a_transition_changed_meanwhile(client, ctx, db_session, writing):
    """A save whose request read the draft before the outlet's colleague submitted it sees it
    submitted once it holds the lock, and may no longer change the self-assessment."""
    application, own, outlet_user = ready_to_submit()
    db_session.commit()
    assert application.status == "draft"  # read by this "request" before the submission
    login(client, outlet_user)
    assert (
        client.post(f"/applications/{application.id}/transition", data={"action": "submit"}).status_code
        == 302
    )

    lock_assessment(own.id)

    assert application.status == "submitted"
    assert checklist_mode("self", application.status, Role.OUTLET, False) is Mode.READ


# --- random walks through the pages --------------------------------------------------------------


def assert_figures_score_the_answers(assessment_id: int, step: str) -> None:
    db.session.expire_all()
    assessment = db.session.get(Assessment, assessment_id)
    application = db.session.get(Application, assessment.application_id)
    edition = pinned_edition(application.edition)
    rows = answer_rows(assessment)
    rescored = score(
        edition,
        scoring_answers(edition, rows),
        holds_valid_district_certificate=holds_valid_district_certificate(application.outlet_id),
    )
    assert assessment.result == rescored.to_dict(), f"after {step}: the stored figures score other answers"
    if assessment.signed_off_at is not None:
        assert all(row.updated_at <= assessment.signed_off_at for row in rows), f"after {step}"


def current(assessment_id: int) -> dict[str, Answer]:
    db.session.expire_all()
    return {
        row.item_code: row
        for row in db.session.scalars(select(Answer).where(Answer.assessment_id == assessment_id))
    }


class Walker:
    """One random step at a time, through the pages, by the people who may take it."""

    def __init__(self, client, rng, assessment_id, edition, editors, *, closing, reopening):
        self.client, self.rng, self.assessment_id, self.edition = client, rng, assessment_id, edition
        self.editors, self.closing, self.reopening = editors, closing, reopening

    def step(self) -> str:
        name = self.rng.choice(("save", "save", "save", "form", "upload", "delete", "close", "reopen"))
        getattr(self, name)()
        return name

    def as_editor(self):
        user = self.rng.choice(self.editors)
        login(self.client, user)
        return user

    def item_and_text(self):
        item = self.rng.choice(self.edition.items())
        return item, form_text(item, self.rng.choice((best_value(item), worst_value(item))))

    def save(self):
        self.as_editor()
        item, text = self.item_and_text()
        row = current(self.assessment_id).get(item.code)
        version = row.version if row else 0
        if version and self.rng.random() < 0.25:
            version -= 1  # a page that missed the latest save: a conflict
        body = {"value": text, "not_applicable": False, "note": "", "expected_version": version}
        assert self.client.post(
            f"/checklist/{self.assessment_id}/items/{item.code}", json=body
        ).status_code in (
            200,
            409,
            422,
        )

    def form(self):
        """The page without JavaScript: every item as stored, two of them changed."""
        self.as_editor()
        rows = current(self.assessment_id)
        stored = scoring_answers(self.edition, rows.values())
        answers = {
            item.code: form_text(item, stored[item.code].value)
            for item in self.edition.items()
            if item.code in stored and stored[item.code].value is not None
        }
        for _ in range(2):
            item, text = self.item_and_text()
            answers[item.code] = text
        versions = {code: row.version for code, row in rows.items()}
        self.client.post(f"/checklist/{self.assessment_id}", data=full_form(self.edition, answers, versions))

    def upload(self):
        self.as_editor()
        item = self.rng.choice(self.edition.items())
        data, name = (pdf(), "doc.pdf") if item.evidence.kind == "document" else (photo((64, 48)), "p.jpg")
        self.client.post(
            f"/evidence/assessments/{self.assessment_id}/upload",
            data={"item_code": item.code, "file": (io.BytesIO(data), name)},
            headers=JSON,
        )

    def delete(self):
        files = db.session.scalars(select(Evidence).where(Evidence.assessment_id == self.assessment_id)).all()
        mine = [e for e in files if e.purpose == "item" and e.uploaded_by_id in {u.id for u in self.editors}]
        if mine:
            evidence = self.rng.choice(mine)
            login(self.client, next(u for u in self.editors if u.id == evidence.uploaded_by_id))
            self.client.post(f"/evidence/{evidence.id}/delete", headers=JSON)

    def close(self):
        self.as_editor()
        self.closing(self.client)

    def reopen(self):
        self.reopening(self.client)


STEPS = 30


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_walk_through_the_inspection_keeps_figures_and_answers_together(
    client, ctx, db_session, seed
):
    inspection = Inspection()
    complete(inspection)
    score_assessment(inspection.assessment, inspection.edition, inspection.outlet.id)
    db_session.commit()
    assessment_id, application_id = inspection.assessment.id, inspection.application.id

    def sign_off(c):
        c.post(f"/checklist/{assessment_id}/sign-off", data={"confirm": "y"})

    def reopen(c):
        login(c, inspection.bureau)
        c.post(f"/checklist/applications/{application_id}/reopen", data={"reason": "again"})

    walker = Walker(
        client,
        random.Random(seed),
        assessment_id,
        inspection.edition,
        [inspection.inspector, inspection.second_inspector],
        closing=sign_off,
        reopening=reopen,
    )
    for number in range(STEPS):
        step = walker.step()
        assert_figures_score_the_answers(assessment_id, f"step {number} ({step})")


@pytest.mark.parametrize("seed", [1, 2])
def test_a_random_walk_through_the_self_assessment_keeps_figures_and_answers_together(
    client, ctx, db_session, seed
):
    application, own, outlet_user = ready_to_submit()
    colleague = make_user(Role.OUTLET, outlet=application.outlet)
    bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
    db_session.commit()
    application_id, own_id = application.id, own.id

    def submit(c):
        status = db.session.scalar(select(Application.status).where(Application.id == application_id))
        action = "resubmit" if status == "returned" else "submit"
        c.post(f"/applications/{application_id}/transition", data={"action": action})

    def give_back(c):
        login(c, bureau)
        c.post(
            f"/applications/{application_id}/transition",
            data={"action": "return", "return-reasons": "again"},
        )

    walker = Walker(
        client,
        random.Random(seed),
        own_id,
        pinned_edition(application.edition),
        [outlet_user, colleague],
        closing=submit,
        reopening=give_back,
    )
    for number in range(STEPS):
        step = walker.step()
        assert_figures_score_the_answers(own_id, f"step {number} ({step})")

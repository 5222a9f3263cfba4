"""On PostgreSQL, many threads saving answers and pressing transition buttons at once end with
no lost update and no illegal state. Real commits on a database of its own, no rollback trick."""

import json
import threading
import time
from collections import Counter
from datetime import timedelta
from types import SimpleNamespace

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from outlet_audit.accounts.models import User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.kinds import AssessmentKind
from outlet_audit.checklist.models import Answer, Assessment
from outlet_audit.checklist.service import (
    AnswerConflict,
    answer_rows,
    assessment_of,
    get_or_create_assessment,
    holds_valid_district_certificate,
    missing_for_sign_off,
    save_answer,
    scoring_answers,
)
from outlet_audit.checklist.team import team_of, unsigned
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.scoring import score
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.seeding import affirm_declarations
from outlet_audit.workflow.states import Action, TransitionRefused
from tests.conftest import fresh_database, make_test_app
from tests.factories import make_application, make_outlet, make_user
from tests.workflow_helpers import answer_all, attach

pytestmark = pytest.mark.postgres_only
THREADS = 8


@pytest.fixture
def world(tmp_path_factory, tmp_path):
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": THREADS + 2})
        with app.app_context():
            upgrade()
            outlet = make_outlet("FX")
            inspectors = [make_user(Role.INSPECTOR, district_code="FX") for _ in range(2)]
            bureau = make_user(Role.DISTRICT_BUREAU, district_code="FX")
            scheduled = make_application(
                outlet,
                status="inspection_scheduled",
                inspectors=inspectors,
                inputs={
                    Action.SCHEDULE_INSPECTION: {"scheduled_on": today_in_shanghai() + timedelta(days=1)}
                },
            )
            get_or_create_assessment(scheduled, AssessmentKind.INSPECTION)
            submitted = make_application(make_outlet("FX"), status="submitted")
            db.session.commit()
            ids = {
                "inspectors": [u.id for u in inspectors],
                "bureau": bureau.id,
                "scheduled": scheduled.id,
                "submitted": submitted.id,
            }
            db.session.remove()
        yield app, ids
        with app.app_context():
            db.engine.dispose()


def run_threads(target, count=THREADS):
    barrier = threading.Barrier(count)
    errors = []

    def wrapped(index):
        try:
            barrier.wait()
            target(index)
        except Exception as error:  # reported after join
            errors.append(error)

    threads = [threading.Thread(target=wrapped, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors


def test_simultaneous_answer_saves_lose_no_update(world):
    app, ids = world
    saves_per_thread = 5
    successes = []
    item_code = "1.1"

    def inspector_saves(index):
        from outlet_audit.accounts.models import User

        with app.app_context():
            user = db.session.get(User, ids["inspectors"][index % 2])
            application = db.session.get(Application, ids["scheduled"])
            edition = pinned_edition(application.edition)
            assessment = get_or_create_assessment(application, AssessmentKind.INSPECTION)
            done = 0
            while done < saves_per_thread:
                current = db.session.scalar(
                    select(Answer).where(Answer.assessment_id == assessment.id, Answer.item_code == item_code)
                )
                version = current.version if current else 0
                try:
                    save_answer(
                        assessment,
                        edition,
                        item_code,
                        value=index % 2 == 0,
                        not_applicable=False,
                        note=f"thread {index} save {done}",
                        expected_version=version,
                        actor=user,
                    )
                    db.session.commit()
                except AnswerConflict:
                    db.session.rollback()
                    continue
                done += 1
                successes.append(index)
            db.session.remove()

    saved_answers = select(func.count()).where(AuditEvent.action == "answer_saved")
    with app.app_context():  # the application was made by the operations: its self-assessment is saved
        audited_before = db.session.scalar(saved_answers)
        db.session.remove()
    run_threads(inspector_saves)
    with app.app_context():
        inspection = assessment_of(db.session.get(Application, ids["scheduled"]), AssessmentKind.INSPECTION)
        answer = db.session.scalar(
            select(Answer).where(Answer.assessment_id == inspection.id, Answer.item_code == item_code)
        )
        assert len(successes) == THREADS * saves_per_thread
        assert answer.version == len(successes)  # every save built on the one before it
        assert db.session.scalar(saved_answers) - audited_before == len(successes)
        db.session.remove()


def test_simultaneous_accepts_move_the_application_once(world):
    app, ids = world
    outcomes = []

    def bureau_accepts(_index):
        from outlet_audit.accounts.models import User

        with app.app_context():
            user = db.session.get(User, ids["bureau"])
            application = db.session.get(Application, ids["submitted"])
            try:
                apply_transition(application, Action.ACCEPT, user, make_payload())
                db.session.commit()
                outcomes.append("accepted")
            except (StaleDataError, TransitionRefused):
                db.session.rollback()
                outcomes.append("refused")
            finally:
                db.session.remove()

    with app.app_context():
        version_before = db.session.get(Application, ids["submitted"]).version
        db.session.remove()
    run_threads(bureau_accepts)
    assert outcomes.count("accepted") == 1 and outcomes.count("refused") == THREADS - 1
    with app.app_context():
        application = db.session.get(Application, ids["submitted"])
        assert application.status == "accepted" and application.version == version_before + 1
        transitions = db.session.scalar(
            select(func.count()).where(
                AuditEvent.application_id == application.id,
                AuditEvent.action == "transition",
                AuditEvent.field == Action.ACCEPT,
            )
        )
        assert transitions == 1
        db.session.remove()


# --- sign-off and submission against answer saves ---------------------------------------------
#
# Real requests through the test client, one per thread, each with its own session and
# connection: the lock has to hold where the pages take it, not only in the service.

ROUNDS = 30
STEP = (
    0.002  # round n sends the save (n - 15) x 2 ms after the other request: from 30 ms before to 28 ms after
)
RACED_ITEM = "1.1"  # yes/no, 8 points, a photo always required: both answers keep the checklist complete


@pytest.fixture
def race(tmp_path_factory, tmp_path):
    """An inspection ready to sign off and a draft ready to submit, each with two people to race."""
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6})
        with app.app_context():
            upgrade()
            outlet = make_outlet("FX")
            outlet_users = [make_user(Role.OUTLET, outlet=outlet) for _ in range(2)]
            inspectors = [make_user(Role.INSPECTOR, district_code="FX") for _ in range(2)]
            inspected = make_application(
                make_outlet("FX"),
                status="inspection_scheduled",
                inspectors=inspectors,
                inputs={
                    Action.SCHEDULE_INSPECTION: {"scheduled_on": today_in_shanghai() + timedelta(days=1)}
                },
            )
            inspection = answer_all(inspected, "inspection", inspectors[0])
            draft = make_application(outlet)
            affirm_declarations(draft, outlet_users[0])
            own = answer_all(draft, "self", outlet_users[0])
            attach(draft, outlet_users[0])  # the commitment letter
            ids = SimpleNamespace(
                inspection=inspection.id,
                inspected=inspected.id,
                own=own.id,
                draft=draft.id,
                bureau=make_user(Role.DISTRICT_BUREAU, district_code="FX").id,
                inspectors=[user.get_id() for user in inspectors],
                outlet_users=[user.get_id() for user in outlet_users],
            )
            db.session.commit()
            db.session.remove()
        yield app, ids
        with app.app_context():
            db.engine.dispose()


def signed_in(app, token: str):
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = token
        session["_fresh"] = True
    return client


def race_requests(first, second, *, lag: float = 0.0) -> list:
    """Send two (client, url, keyword arguments of post) from two threads at once, the second
    `lag` seconds after the first (before it if negative)."""
    requests, replies = (first, second), [None, None]

    def send(index):
        client, url, kwargs = requests[index]
        time.sleep(max(0.0, lag if index else -lag))
        replies[index] = client.post(url, **kwargs)

    run_threads(send, count=2)
    return replies


def raced_rounds(app, assessment_id: int):
    """ROUNDS rounds of a race on RACED_ITEM: the round's name, the item's stored version and
    value before it, and the lag of the save after the other request (see STEP)."""
    for round_ in range(ROUNDS):
        with app.app_context():
            version, value = stored_value(assessment_id, RACED_ITEM)
            db.session.remove()
        yield f"round {round_}", version, value, (round_ - ROUNDS // 2) * STEP


def stored_value(assessment_id: int, code: str) -> tuple[int, bool | None]:
    row = db.session.scalar(
        select(Answer).where(Answer.assessment_id == assessment_id, Answer.item_code == code)
    )
    return row.version, None if row.value is None else json.loads(row.value)


def changed_answer(value: bool, version: int) -> dict:
    """The page's save of the raced item with the other answer."""
    return {
        "json": {
            "value": "no" if value else "yes",
            "not_applicable": False,
            "note": "",
            "expected_version": version,
        }
    }


def assert_figures_score_the_stored_answers(assessment: Assessment, closed_at, where: str) -> None:
    """The stored figures are those of the stored answers, none of which changed after `closed_at`."""
    application = db.session.get(Application, assessment.application_id)
    edition = pinned_edition(application.edition)
    rows = answer_rows(assessment)
    rescored = score(
        edition,
        scoring_answers(edition, rows),
        holds_valid_district_certificate=holds_valid_district_certificate(application.outlet_id),
    )
    assert assessment.result == rescored.to_dict(), f"{where}: the stored result scores other answers"
    figures = (assessment.total, assessment.final, assessment.level_reached)
    assert figures == (rescored.total, rescored.final, rescored.level), where
    late = [row.item_code for row in rows if row.updated_at > closed_at]
    assert late == [], f"{where}: answers saved after the checklist was closed"


def assert_saved_or_locked(reply, assessment_id: int, sent: bool, where: str) -> None:
    """A save answered "saved" is stored; one refused ("locked") left the stored answer alone."""
    body = reply.get_json()
    stored = stored_value(assessment_id, RACED_ITEM)[1]
    if reply.status_code == 200:
        assert body["status"] == "saved" and stored == sent, where
    else:
        assert (reply.status_code, body["status"]) == (409, "locked"), f"{where}: {body}"
        assert stored != sent, f"{where}: a refused save was written"


def test_sign_off_and_an_answer_save_exclude_each_other(race):
    """30 rounds of one inspector signing off while the other changes 1.1: the signed result always
    scores the answers stored, and the save is either in it or refused as locked. Between rounds the
    bureau reopens: a correction record, pre-filled from the signed one, is the next round's."""
    app, ids = race
    signer, saver = (signed_in(app, token) for token in ids.inspectors)
    outcomes = Counter()
    record = ids.inspection
    for round_ in range(ROUNDS):
        with app.app_context():
            version, value = stored_value(record, RACED_ITEM)
            db.session.remove()
        where, lag = f"round {round_}", (round_ - ROUNDS // 2) * STEP
        sign_off, save = race_requests(
            (signer, f"/checklist/{record}/sign-off", {"data": {"confirm": "y"}}),
            (saver, f"/checklist/{record}/items/{RACED_ITEM}", changed_answer(value, version)),
            lag=lag,
        )
        assert sign_off.status_code == 302, f"{where}: sign-off refused"
        with app.app_context():
            inspection = db.session.get(Assessment, record)
            assert inspection.signed_off_at is not None, where
            assert_figures_score_the_stored_answers(inspection, inspection.signed_off_at, where)
            assert_saved_or_locked(save, record, not value, where)
            outcomes[save.status_code] += 1
            application = db.session.get(Application, ids.inspected)
            # the other inspector of the team signs too, which completes the inspection
            (second,) = unsigned(team_of(inspection))
            apply_transition(application, Action.SIGN_OFF, second.user, make_payload(confirmed=True))
            reopen = make_payload(reasons="next round")
            bureau = db.session.get(User, ids.bureau)
            apply_transition(application, Action.REOPEN_INSPECTION, bureau, reopen)
            record = assessment_of(application, AssessmentKind.INSPECTION).id
            db.session.commit()
            db.session.remove()
    print("saves: 200 before the sign-off, 409 refused after it:", dict(outcomes))


def test_the_last_two_signatures_at_once_complete_the_inspection_once(tmp_path_factory, tmp_path):
    """A team of three: once the first has signed, the other two sign at the same moment, 20 times
    over (each round a correction signed anew). Both signatures are kept, and exactly one of them
    moves the application on to inspected: it never stays waiting with everyone signed."""
    with fresh_database(tmp_path_factory) as url:
        app = make_test_app(url, tmp_path, SQLALCHEMY_ENGINE_OPTIONS={"pool_size": 6})
        with app.app_context():
            upgrade()
            team = [make_user(Role.INSPECTOR, district_code="FX") for _ in range(3)]
            application = make_application(make_outlet("FX"), status="inspection_scheduled", inspectors=team)
            answer_all(application, "inspection", team[0])
            ids = SimpleNamespace(
                application=application.id,
                team=[user.id for user in team],
                tokens=[user.get_id() for user in team],
                bureau=make_user(Role.DISTRICT_BUREAU, district_code="FX").id,
            )
            db.session.commit()
            db.session.remove()
        clients = [signed_in(app, token) for token in ids.tokens[1:]]
        try:
            for round_ in range(20):
                with app.app_context():
                    application = db.session.get(Application, ids.application)
                    first = db.session.get(User, ids.team[0])
                    apply_transition(application, Action.SIGN_OFF, first, make_payload(confirmed=True))
                    record = assessment_of(application, AssessmentKind.INSPECTION).id
                    db.session.commit()
                    db.session.remove()
                url = f"/checklist/{record}/sign-off"
                replies = race_requests(*((client, url, {"data": {"confirm": "y"}}) for client in clients))
                assert [reply.headers.get("Location", "").split("?")[0] for reply in replies] == [
                    f"/checklist/applications/{ids.application}/result"
                ] * 2, f"round {round_}"
                with app.app_context():
                    application = db.session.get(Application, ids.application)
                    assert application.status == "inspected", f"round {round_}"
                    moves = db.session.scalars(
                        select(AuditEvent.new_value)
                        .where(
                            AuditEvent.application_id == ids.application,
                            AuditEvent.action == "transition",
                            AuditEvent.field == "sign_off",
                        )
                        .order_by(AuditEvent.id.desc())
                        .limit(3)
                    ).all()
                    assert sorted(moves) == ["inspected", "inspection_scheduled", "inspection_scheduled"]
                    bureau = db.session.get(User, ids.bureau)
                    apply_transition(
                        application, Action.REOPEN_INSPECTION, bureau, make_payload(reasons="next round")
                    )
                    db.session.commit()
                    db.session.remove()
        finally:
            with app.app_context():
                db.engine.dispose()


def test_submission_and_a_self_assessment_save_exclude_each_other(race):
    """30 rounds of the outlet submitting while a colleague changes 1.1 of the self-assessment: the
    figures kept at submission always score the answers stored, and the save is in them or refused."""
    app, ids = race
    submitter, saver = (signed_in(app, token) for token in ids.outlet_users)
    outcomes = Counter()
    for where, version, value, lag in raced_rounds(app, ids.own):
        action = "submit" if where == "round 0" else "resubmit"
        submit, save = race_requests(
            (submitter, f"/applications/{ids.draft}/transition", {"data": {"action": action}}),
            (saver, f"/checklist/{ids.own}/items/{RACED_ITEM}", changed_answer(value, version)),
            lag=lag,
        )
        assert submit.status_code == 302, f"{where}: submission refused"
        with app.app_context():
            application = db.session.get(Application, ids.draft)
            assert application.status == "submitted", where
            own = db.session.get(Assessment, ids.own)
            assert_figures_score_the_stored_answers(own, application.submitted_at, where)
            assert_saved_or_locked(save, ids.own, not value, where)
            outcomes[save.status_code] += 1
            bureau = db.session.get(User, ids.bureau)
            apply_transition(application, Action.RETURN, bureau, make_payload(reasons="next round"))
            db.session.commit()
            db.session.remove()
    print("saves: 200 before the submission, 409 refused after it:", dict(outcomes))


def test_a_save_that_empties_an_answer_never_slips_into_a_submission(race):
    """30 rounds of the outlet submitting while a colleague empties 1.1: the completeness check and
    the submission happen under one lock, so a submitted self-assessment is always complete."""
    app, ids = race
    submitter, saver = (signed_in(app, token) for token in ids.outlet_users)
    outcomes = Counter()
    for where, version, _value, lag in raced_rounds(app, ids.own):
        action = "resubmit" if outcomes["submitted"] else "submit"  # submitted in an earlier round
        empty = {"json": {"value": "", "not_applicable": False, "note": "", "expected_version": version}}
        submit, save = race_requests(
            (submitter, f"/applications/{ids.draft}/transition", {"data": {"action": action}}),
            (saver, f"/checklist/{ids.own}/items/{RACED_ITEM}", empty),
            lag=lag,
        )
        with app.app_context():
            application = db.session.get(Application, ids.draft)
            own = db.session.get(Assessment, ids.own)
            edition = pinned_edition(application.edition)
            missing = missing_for_sign_off(own, edition, application.outlet_id)
            if application.status == "submitted":
                assert submit.status_code == 302, where
                assert missing == [], f"{where}: submitted with {missing}"
                assert (save.status_code, save.get_json()["status"]) == (409, "locked"), where
                assert_figures_score_the_stored_answers(own, application.submitted_at, where)
                outcomes["submitted"] += 1
                bureau = db.session.get(User, ids.bureau)
                apply_transition(application, Action.RETURN, bureau, make_payload(reasons="next round"))
                db.session.commit()
            else:
                assert submit.status_code == 422 and save.status_code == 200, where
                assert missing, f"{where}: refused although complete"
                outcomes["refused"] += 1
            version, _value = stored_value(ids.own, RACED_ITEM)
            db.session.remove()
        if save.status_code == 200:  # answer 1.1 again for the next round
            again = {
                "json": {"value": "yes", "not_applicable": False, "note": "", "expected_version": version}
            }
            assert saver.post(f"/checklist/{ids.own}/items/{RACED_ITEM}", **again).status_code == 200, where
    print("rounds submitted / refused for the gap:", dict(outcomes))

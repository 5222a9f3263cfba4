"""On PostgreSQL, many threads saving answers and pressing transition buttons at once end with
no lost update and no illegal state. Real commits on a database of its own, no rollback trick."""

import threading
from datetime import timedelta

import pytest
from flask_migrate import upgrade
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from outlet_audit.audit.models import AuditEvent
from outlet_audit.checklist.models import Answer
from outlet_audit.checklist.service import AnswerConflict, get_or_create_assessment, save_answer
from outlet_audit.core.time import today_in_shanghai
from outlet_audit.criteria.editions import pinned_edition
from outlet_audit.extensions import db
from outlet_audit.roles import Role
from outlet_audit.workflow.models import Application
from outlet_audit.workflow.operations import apply_transition, make_payload
from outlet_audit.workflow.states import Action, TransitionRefused
from tests.conftest import fresh_database, make_test_app
from tests.factories import make_application, make_outlet, make_user

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
                scheduled_for=today_in_shanghai() + timedelta(days=1),
            )
            get_or_create_assessment(scheduled, "inspection")
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
            assessment = get_or_create_assessment(application, "inspection")
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

    run_threads(inspector_saves)
    with app.app_context():
        answer = db.session.scalar(select(Answer).where(Answer.item_code == item_code))
        assert len(successes) == THREADS * saves_per_thread
        assert answer.version == len(successes)  # every save built on the one before it
        audited = db.session.scalar(select(func.count()).where(AuditEvent.action == "answer_saved"))
        assert audited == len(successes)
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

    run_threads(bureau_accepts)
    assert outcomes.count("accepted") == 1 and outcomes.count("refused") == THREADS - 1
    with app.app_context():
        application = db.session.get(Application, ids["submitted"])
        assert application.status == "accepted" and application.version == 2
        transitions = db.session.scalar(
            select(func.count()).where(
                AuditEvent.application_id == application.id, AuditEvent.action == "transition"
            )
        )
        assert transitions == 1
        db.session.remove()

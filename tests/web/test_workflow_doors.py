"""One door per action: each action of the transition table is taken by exactly one route.

The rules an action's input must meet (a reason, the inspector's confirmation) are checked by
the state machine, so whichever route an action came by it meets them; and each route declares
the actions it takes (`workflow.actions.door`) and refuses the others.
"""

import ast
import html
from pathlib import Path

import pytest

import outlet_audit
from outlet_audit.roles import Role
from outlet_audit.workflow.actions import ACTIONS, DOOR_ATTRIBUTE, actions_through
from outlet_audit.workflow.states import TRANSITIONS, Action, Status
from tests.factories import login, make_application
from tests.workflow_helpers import answer_all, make_crew, reload

PACKAGE = Path(outlet_audit.__file__).parent


def doors(app) -> dict[str, frozenset[Action]]:
    """Every route that takes actions, with the actions it declares."""
    return {
        endpoint: getattr(view, DOOR_ATTRIBUTE)
        for endpoint, view in app.view_functions.items()
        if hasattr(view, DOOR_ATTRIBUTE)
    }


def test_every_action_of_the_table_has_its_entry_and_one_door(app):
    assert set(ACTIONS) == set(Action) == {action for _, action in TRANSITIONS}
    declared = doors(app)
    taken = [action for actions in declared.values() for action in actions]
    assert sorted(taken) == sorted(Action), declared  # each action once: covered and disjoint
    for endpoint, actions in declared.items():
        assert actions == actions_through(endpoint)  # the route names itself as the actions' door
    for action, spec in ACTIONS.items():
        assert action in declared[spec.door]


def _callers_of(name: str) -> set[tuple[str, str]]:
    """(module, function) of every function in the package that calls `name` by that name."""
    callers = set()
    for path in PACKAGE.rglob("*.py"):
        module = ".".join(("outlet_audit", *path.relative_to(PACKAGE).with_suffix("").parts))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for call in ast.walk(node):
                    if isinstance(call, ast.Call) and getattr(call.func, "id", None) == name:
                        callers.add((module, node.name))
    return callers


DATA_MAKERS = {"outlet_audit.workflow.seeding", "outlet_audit.workflow.demo"}


def test_only_the_declared_doors_move_an_application(app):
    """No route can move an application without declaring which actions it takes; outside the
    routes only the data makers call the transition function: `workflow.seeding` (the one path to
    a state, for the tests and the demo) and the demo command, never a request."""
    door_views = {
        (view.__module__, view.__name__)
        for view in app.view_functions.values()
        if hasattr(view, DOOR_ATTRIBUTE)
    }
    callers = _callers_of("apply_transition") - {("outlet_audit.workflow.operations", "apply_transition")}
    assert callers, "the scan found no caller: it no longer sees how views call the transition"
    for module, function in callers:
        assert (module, function) in door_views or module in DATA_MAKERS, (module, function)
    assert len(door_views) == len(doors(app))


@pytest.fixture
def crew(ctx):
    return make_crew()


def test_the_sign_off_cannot_be_posted_to_the_application_page(client, crew, db_session):
    """The inspector's confirmation is asked on the sign-off page: the generic route refuses the
    action outright instead of signing off without it."""
    application = make_application(crew.outlet, status="inspection_scheduled", inspectors=[crew.inspector])
    inspection = answer_all(application, "inspection", crew.inspector)  # everything the guard needs
    login(client, crew.inspector)
    response = client.post(f"/applications/{application.id}/transition", data={"action": "sign_off"})
    assert response.status_code == 400
    assert reload(application).status == Status.INSPECTION_SCHEDULED
    db_session.refresh(inspection)
    assert inspection.signed_off_at is None


def test_the_reopening_cannot_be_posted_to_the_application_page(client, crew):
    application = make_application(crew.outlet, status="inspected", inspectors=[crew.inspector])
    login(client, crew.bureau)
    response = client.post(
        f"/applications/{application.id}/transition",
        data={"action": "reopen_inspection", "reopen_inspection-reasons": "复核"},
    )
    assert response.status_code == 400
    assert reload(application).status == Status.INSPECTED


@pytest.mark.parametrize("confirm", ["", "y"])
def test_the_sign_off_door_asks_the_state_machine_for_the_confirmation(client, crew, db_session, confirm):
    application = make_application(crew.outlet, status="inspection_scheduled", inspectors=[crew.inspector])
    inspection = answer_all(application, "inspection", crew.inspector)
    login(client, crew.inspector)
    response = client.post(f"/checklist/{inspection.id}/sign-off", data={"confirm": confirm})
    if confirm:
        assert response.status_code == 302
        assert reload(application).status == Status.INSPECTED
    else:
        assert response.status_code == 422
        page = html.unescape(response.get_data(as_text=True))
        assert "confirm that these answers and this evidence are what you found on site" in page
        assert reload(application).status == Status.INSPECTION_SCHEDULED


@pytest.mark.parametrize(
    ("reason", "refusal"),
    [("  ", "give the reasons"), ("x" * 4001, "4000")],
)
def test_the_reopen_door_keeps_the_reason_and_gives_the_form_back(client, crew, reason, refusal):
    """One rule for the reason, whatever the door: required and at most `states.MAX_TEXT` long."""
    application = make_application(crew.outlet, status="inspected", inspectors=[crew.inspector])
    login(client, crew.bureau)
    response = client.post(f"/checklist/applications/{application.id}/reopen", data={"reason": reason})
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert refusal in page
    assert 'id="reopen-title"' in page  # the form is given back on the result page
    assert reload(application).status == Status.INSPECTED


def test_the_application_page_links_to_the_doors_on_other_pages(client, crew):
    application = make_application(crew.outlet, status="inspected", inspectors=[crew.inspector])
    login(client, crew.by_role(Role.DISTRICT_BUREAU))
    page = client.get(f"/applications/{application.id}").get_data(as_text=True)
    assert (
        f'href="/checklist/applications/{application.id}/result#reopen-title" data-action="reopen_inspection"'
        in page
    )
    assert 'value="reopen_inspection"' not in page

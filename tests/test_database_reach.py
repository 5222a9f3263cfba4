"""The PostgreSQL run leaves out the tests that touch no database (conftest.touches_database): the
rule must keep every test that does, or PostgreSQL would silently go untested."""

from tests.conftest import touches_database


def test_the_rule_keeps_every_test_with_a_database_and_leaves_out_pure_ones(request):
    items = request.session.items
    for item in items:
        uses = set(item.fixturenames)
        if uses & {"app", "ctx", "client", "db_session", "database_url", "live_server"}:
            assert touches_database(item), item.nodeid
        if item.get_closest_marker("browser"):
            assert touches_database(item), item.nodeid
    pure = [item for item in items if item.nodeid.startswith("tests/unit/test_workflow_states.py")]
    assert all(not touches_database(item) for item in pure)
    assert touches_database(request.node)  # this module imports the conftest, which makes databases

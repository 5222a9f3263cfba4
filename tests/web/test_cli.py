"""`flask users` and `flask demo` commands."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.audit.models import AuditEvent
from outlet_audit.core.time import utcnow
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.roles import Role
from tests.factories import PASSWORD, make_user

STRONG = "harbour lantern 58 kites"


def test_users_create_makes_a_district_bureau_account(app, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "pd-bureau",
            "--display-name",
            "浦东局",
            "--role",
            "district_bureau",
            "--district",
            "pd",
            "--password",
            STRONG,
        ]
    )
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.username == "pd-bureau"))
    assert user.role == Role.DISTRICT_BUREAU and user.district.code == "PD"


def test_users_create_refuses_bad_input(app, db_session):
    runner = app.test_cli_runner()
    base = ["users", "create", "--username", "x-user", "--display-name", "x", "--password", STRONG]
    assert "required for the role" in runner.invoke(args=base + ["--role", "inspector"]).output
    assert "unknown district" in runner.invoke(args=base + ["--role", "inspector", "--district", "ZZ"]).output
    weak = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "y",
            "--display-name",
            "y",
            "--role",
            "admin",
            "--password",
            "123",
        ]
    )
    assert weak.exit_code != 0
    assert db_session.scalar(select(func.count()).where(User.username.in_(["x-user", "y"]))) == 0


def create_args(password: str) -> list[str]:
    account = ["--username", "new-admin", "--display-name", "New Admin", "--role", "admin"]
    return ["users", "create", *account, "--password", password]


@pytest.mark.parametrize(
    "password, message",
    [
        ("1", "Use at least 10 characters."),
        ("password2024", "very common password"),
        ("new-admin-2026!", "your username or your name"),
        ("x" * 200, "Use at most 128 characters."),
        ("\udcff" * 12, "cannot be stored"),  # an argument that was not UTF-8, as Python reads it
    ],
)
def test_a_refused_password_prints_the_policy_and_exits_non_zero(app, db_session, password, message):
    user = make_user(Role.ADMIN, username="sole-admin")
    db_session.commit()  # the commands share the test's session: their rollback must not undo the user
    runner = app.test_cli_runner()
    for args in (create_args(password), ["users", "set-password", "sole-admin", "--password", password]):
        result = runner.invoke(args=args)
        assert result.exit_code == 1, result.output
        assert isinstance(result.exception, SystemExit)  # a message, not a traceback
        assert message in result.output and "Traceback" not in result.output
    assert db_session.scalar(select(User).where(User.username == "new-admin")) is None
    db_session.refresh(user)
    assert user.check_password(PASSWORD)


def test_a_sole_administrator_recovers_without_sql(app, db_session):
    """Disabled, waiting after a stranger's guesses and with a forgotten password: the command line
    brings the only administrator back, and the audit trail says so."""
    admin = make_user(Role.ADMIN, username="sole-admin", active=False)
    admin.failed_logins, admin.login_blocked_until = 9, utcnow() + timedelta(minutes=10)
    old_token = admin.session_token
    db_session.flush()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "enable", "sole-admin"]).exit_code == 0
    listed = runner.invoke(args=["users", "list"]).output
    assert "sole-admin" in listed and "waiting until" in listed
    assert runner.invoke(args=["users", "unlock", "SOLE-admin"]).exit_code == 0
    result = runner.invoke(args=["users", "set-password", "sole-admin"], input=f"{STRONG}\n{STRONG}\n")
    assert result.exit_code == 0, result.output
    assert STRONG not in result.output  # prompted for twice, hidden
    assert result.output.count("Password") == 1 and "Repeat for confirmation" in result.output
    db_session.refresh(admin)
    assert admin.active and admin.failed_logins == 0 and admin.login_blocked_until is None
    assert admin.check_password(STRONG) and admin.session_token != old_token
    actions = db_session.scalars(
        select(AuditEvent.action).where(AuditEvent.subject_id == admin.id, AuditEvent.actor_id.is_(None))
    ).all()
    assert sorted(actions) == ["account_unlocked", "password_set", "user_enabled"]


def test_set_password_clears_a_wait_and_refuses_two_different_entries(app, db_session):
    admin = make_user(Role.ADMIN, username="sole-admin")
    admin.failed_logins, admin.login_blocked_until = 7, utcnow() + timedelta(minutes=5)
    db_session.flush()
    runner = app.test_cli_runner()
    mismatch = runner.invoke(args=["users", "set-password", "sole-admin"], input=f"{STRONG}\nother one\n")
    assert mismatch.exit_code != 0 and "do not match" in mismatch.output
    result = runner.invoke(args=["users", "set-password", "sole-admin", "--password", STRONG])
    assert result.exit_code == 0, result.output
    db_session.refresh(admin)
    assert admin.login_blocked_until is None and admin.check_password(STRONG)


@pytest.mark.parametrize("command", ["enable", "disable", "unlock", "set-password"])
def test_an_unknown_user_is_a_message(app, db_session, command):
    args = ["users", command, "nobody-here"] + (["--password", STRONG] if command == "set-password" else [])
    result = app.test_cli_runner().invoke(args=args)
    assert result.exit_code == 1 and "no user nobody-here" in result.output


def test_demo_data_loads_once_and_prints_passwords(app, db_session, tmp_path, monkeypatch):
    monkeypatch.setitem(app.config, "LOAD_DEMO_DATA", True)
    monkeypatch.setattr(app, "instance_path", str(tmp_path))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    assert "admin" in first.output and "demo-" in first.output
    assert db_session.scalar(select(func.count()).select_from(District)) == 16
    outlets = db_session.scalar(select(func.count()).select_from(Outlet))
    assert outlets >= 12
    brands = db_session.scalars(select(Outlet.brand).distinct()).all()
    assert len(brands) >= 6
    roles = set(db_session.scalars(select(User.role).distinct()))
    assert roles == set(Role)
    second = runner.invoke(args=["demo", "load"])
    assert second.exit_code == 0
    assert db_session.scalar(select(func.count()).select_from(Outlet)) == outlets
    # Beside each account, who it is and what to try it for, read from the data as loaded.
    lines = {line.split()[0]: line for line in second.output.splitlines()[1:] if line.strip()}
    assert lines["fengxian"].endswith("奉贤区邮政管理局, district bureau")
    assert lines["fengxian-eco"].endswith("生态环境局, district bureau")
    assert lines["inspector1"].endswith("奉贤区 inspector")
    assert lines["city"].endswith("上海市邮政管理局, city bureau")
    assert "奉贤南桥顺丰营业部, outlet staff — holds a district-level certificate" in lines["outlet"]
    assert "city level application: draft" in lines["outlet"]
    assert "registration not yet verified" in lines["newoutlet"]
    password = (tmp_path / "demo-passwords.txt").read_text().split("\n")[0].split("\t")[1]
    admin = db_session.scalar(select(User).where(User.username == "admin"))
    assert admin.check_password(password)


def test_demo_data_never_loads_in_production_configuration(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOAD_DEMO_DATA", False)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "never loads" in result.output

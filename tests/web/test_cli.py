"""`flask users` and `flask demo` commands."""

from sqlalchemy import func, select

from outlet_audit.accounts.models import User
from outlet_audit.outlets.models import District, Outlet
from outlet_audit.roles import Role


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
            "bureau12345",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db_session.scalar(select(User).where(User.username == "pd-bureau"))
    assert user.role == Role.DISTRICT_BUREAU and user.district.code == "PD"


def test_users_create_refuses_bad_input(app, db_session):
    runner = app.test_cli_runner()
    base = ["users", "create", "--username", "x-user", "--display-name", "x", "--password", "bureau12345"]
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
    password = (tmp_path / "demo-passwords.txt").read_text().split("\n")[0].split("\t")[1]
    admin = db_session.scalar(select(User).where(User.username == "admin"))
    assert admin.check_password(password)


def test_demo_data_never_loads_in_production_configuration(app, monkeypatch):
    monkeypatch.setitem(app.config, "LOAD_DEMO_DATA", False)
    result = app.test_cli_runner().invoke(args=["demo", "load"])
    assert result.exit_code != 0 and "never loads" in result.output

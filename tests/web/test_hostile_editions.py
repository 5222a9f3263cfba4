"""A hostile edition file is refused with the loader's located message wherever editions are read:
`flask criteria validate` and the administrator's criteria page (inside a request)."""

import shutil
import time
from pathlib import Path

import pytest
from flask import Flask
from markupsafe import escape

from outlet_audit.criteria.cli import criteria_cli
from outlet_audit.roles import Role
from tests.factories import login, make_user
from tests.unit.test_criteria_loader import ANCHORS_REFUSED, billion_laughs, time_limit

SHANGHAI = Path(__file__).resolve().parents[2] / "criteria" / "shanghai-2025.yaml"


@pytest.fixture
def folder(tmp_path):
    """A criteria folder with the shipped edition and a billion-laughs file beside it."""
    shutil.copy(SHANGHAI, tmp_path / SHANGHAI.name)
    (tmp_path / "laughs.yaml").write_text(billion_laughs(), encoding="utf-8")
    return tmp_path


def test_flask_criteria_validate_refuses_the_file_at_its_line(folder):
    app = Flask(__name__)
    app.config["CRITERIA_DIR"] = str(folder)
    app.cli.add_command(criteria_cli)
    with time_limit(3):
        result = app.test_cli_runner().invoke(args=["criteria", "validate"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"{folder / 'laughs.yaml'}: line 3, column 7: {ANCHORS_REFUSED}"]


def test_the_admin_page_lists_the_refusal_quickly_instead_of_expanding_the_file(
    app, client, ctx, folder, monkeypatch
):
    monkeypatch.setitem(app.config, "CRITERIA_DIR", str(folder))
    login(client, make_user(Role.ADMIN))
    started = time.perf_counter()
    with time_limit(5):
        response = client.get("/admin/criteria/")
    assert time.perf_counter() - started < 2
    assert response.status_code == 200
    assert str(escape(f"laughs.yaml: line 3, column 7: {ANCHORS_REFUSED}")) in response.get_data(as_text=True)

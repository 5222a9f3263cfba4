"""outlet-audit: Shanghai's zero-waste express outlet scheme (无废快递网点), as a Flask application."""

import os
from functools import partial
from pathlib import Path

from flask import Flask

from outlet_audit.config import (
    CONFIGS,
    resolve_database_url,
    resolve_secret_key,
    resolve_secret_key_fallbacks,
)

BLUEPRINT_MODULES = (
    "outlet_audit.core.views",
    "outlet_audit.accounts.views",
    "outlet_audit.accounts.admin_views",
    "outlet_audit.accounts.outlet_views",
    "outlet_audit.accounts.registration_views",
    "outlet_audit.accounts.invitation_views",
    "outlet_audit.accounts.people_views",
    "outlet_audit.accounts.two_factor_views",
    "outlet_audit.accounts.oidc_views",
    "outlet_audit.outlets.views",
    "outlet_audit.outlets.import_views",
    "outlet_audit.workflow.views",
    "outlet_audit.notifications.views",
    "outlet_audit.checklist.views",
    "outlet_audit.checklist.evidence_views",
    "outlet_audit.criteria.views",
    "outlet_audit.certificates.views",
    "outlet_audit.certificates.public_views",
    "outlet_audit.reports.views",
    "outlet_audit.dashboards.views",
    "outlet_audit.supervision.campaign_views",
    "outlet_audit.supervision.campaign_public_views",
    "outlet_audit.supervision.revocation_views",
    "outlet_audit.supervision.check_views",
    "outlet_audit.supervision.yearly_views",  # #17: yearly self-checks
    "outlet_audit.supervision.dashboard_views",  # #17: the supervision dashboard
    "outlet_audit.supervision.complaint_views",
    "outlet_audit.api.views",  # #21: the read API for other systems, and its tokens
    "outlet_audit.jobs.views",  # #21: dead-letter jobs, my exports
    "outlet_audit.webhooks.views",  # #21: webhooks
    "outlet_audit.audit.views",  # the administrator's audit log
)


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the application for an environment: development (default), testing or production."""
    config_name = config_name or os.environ.get("OUTLET_AUDIT_ENV", "development")
    instance_path = os.environ.get("OUTLET_AUDIT_INSTANCE") or None
    app = Flask(__name__, instance_path=instance_path, instance_relative_config=True)
    app.config.from_object(CONFIGS[config_name])
    instance = Path(app.instance_path)
    app.config["SECRET_KEY"] = overrides.pop("SECRET_KEY", None) or resolve_secret_key(config_name, instance)
    app.config["SECRET_KEY_FALLBACKS"] = resolve_secret_key_fallbacks()
    app.config["SQLALCHEMY_DATABASE_URI"] = resolve_database_url(config_name, instance)
    app.config["EVIDENCE_DIR"] = os.environ.get("EVIDENCE_DIR", str(instance / "evidence"))
    app.config.update(overrides)
    instance.mkdir(parents=True, exist_ok=True)

    _init_extensions(app)
    _register_blueprints(app)
    _register_cli(app)
    _init_jobs(app)
    _trust_proxy(app)
    if config_name == "production":
        from outlet_audit.certificates.signing.keys import warn_about_signing_folder

        warn_about_signing_folder(app)
    return app


def _init_extensions(app: Flask) -> None:
    from outlet_audit import models  # noqa: F401  (every table known to SQLAlchemy and Alembic)
    from outlet_audit.accounts.oidc import init_oidc
    from outlet_audit.accounts.session import init_login
    from outlet_audit.core.collector import init_collector
    from outlet_audit.core.i18n import init_babel
    from outlet_audit.core.navigation import init_navigation
    from outlet_audit.core.rate_limits import init_rate_limits
    from outlet_audit.core.security import init_security
    from outlet_audit.extensions import bootstrap, csrf, db, mark_view_running, migrate

    app.before_request(mark_view_running)  # first: every request the app dispatches is marked
    db.init_app(app)
    migrate.init_app(app, db, directory=str(Path(__file__).resolve().parent.parent / "migrations"))
    csrf.init_app(app)
    bootstrap.init_app(app)
    init_rate_limits(app)
    init_babel(app)
    init_login(app)
    init_oidc(app)
    init_security(app)
    init_navigation(app)
    init_collector(app)


def _init_jobs(app: Flask) -> None:
    """Every job kind known (a worker runs what any web process sends); where the configuration
    says so (JOBS_SCHEDULE_IN_APP: the development server), the app's own thread sends the
    periodic jobs too, from the first request on."""
    from outlet_audit.jobs import load_job_modules
    from outlet_audit.jobs.periodic import start_in_process_scheduler

    load_job_modules()
    if app.config.get("JOBS_REDIS_URL"):
        import outlet_audit.jobs.redis_queue  # noqa: F401 - RQ loaded now, not in the first request that mails
    if app.config.get("JOBS_SCHEDULE_IN_APP"):
        # Only then: every other app (production, tests, scripts) would pay the check on every request.
        app.before_request_funcs.setdefault(None, []).append(partial(start_in_process_scheduler, app))


def _register_blueprints(app: Flask) -> None:
    import importlib

    for module_name in BLUEPRINT_MODULES:
        app.register_blueprint(importlib.import_module(module_name).bp)


def _register_cli(app: Flask) -> None:
    from outlet_audit.accounts.cli import users_cli
    from outlet_audit.backup import backup_command, restore_command
    from outlet_audit.certificates.cli import certificates_cli
    from outlet_audit.certificates.signing.cli import signing_cli
    from outlet_audit.criteria.cli import criteria_cli
    from outlet_audit.dashboards.cli import dashboards_cli
    from outlet_audit.demo.cli import demo_cli
    from outlet_audit.evidence.cli import evidence_cli
    from outlet_audit.jobs.cli import jobs_cli
    from outlet_audit.supervision.cli import supervision_cli, yearly_cli
    from outlet_audit.workflow.cli import rectification_cli

    app.cli.add_command(users_cli)
    app.cli.add_command(demo_cli)
    app.cli.add_command(backup_command)
    app.cli.add_command(restore_command)
    app.cli.add_command(criteria_cli)
    app.cli.add_command(certificates_cli)
    app.cli.add_command(signing_cli)
    app.cli.add_command(dashboards_cli)
    app.cli.add_command(evidence_cli)
    app.cli.add_command(rectification_cli)
    app.cli.add_command(supervision_cli)
    app.cli.add_command(yearly_cli)
    app.cli.add_command(jobs_cli)


def _trust_proxy(app: Flask) -> None:
    """Behind the production proxy, take scheme and client address from its headers (one hop)."""
    hops = int(os.environ.get("TRUSTED_PROXY_HOPS", "0"))
    if hops:
        from werkzeug.middleware.proxy_fix import ProxyFix

        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

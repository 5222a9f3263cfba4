"""`flask criteria ...`: list, validate, show and try out the criteria editions in CRITERIA_DIR."""

import json
from datetime import date
from pathlib import Path
from typing import NoReturn

import click
from flask import current_app
from flask.cli import AppGroup

from outlet_audit.core.cli import today_option
from outlet_audit.criteria.loader import (
    CriteriaError,
    display_path,
    edition_files,
    load_edition,
    load_editions,
    validate_paths,
)
from outlet_audit.criteria.model import Edition, Item, decimal_text
from outlet_audit.scoring.engine import InvalidAnswers, answers_from_json, score

criteria_cli = AppGroup(
    "criteria", help="Criteria editions (评估细则): list, validate, show, try a score, remind of an end."
)


def _criteria_dir() -> Path:
    return Path(current_app.config["CRITERIA_DIR"])


ANSWERS_FILE_KEYS = {"answers", "holds_valid_district_certificate"}


def _fail(messages: list[str]) -> NoReturn:
    for message in messages:
        click.echo(message, err=True)
    click.get_current_context().exit(1)


def _editions() -> dict[str, Edition]:
    try:
        return load_editions(_criteria_dir())
    except CriteriaError as error:
        _fail(error.messages)


def _edition(id_or_path: str) -> Edition:
    """An edition by id from the criteria folder, or straight from a YAML file (to try a draft)."""
    if id_or_path.endswith((".yaml", ".yml")) and Path(id_or_path).is_file():
        try:
            return load_edition(id_or_path)
        except CriteriaError as error:
            _fail(error.messages)
    editions = _editions()
    if id_or_path not in editions:
        known = ", ".join(editions) or "none"
        _fail([f"no edition {id_or_path!r} in {display_path(_criteria_dir())} (known: {known})"])
    return editions[id_or_path]


@criteria_cli.command("list")
def list_editions() -> None:
    """List the editions: id, hash prefix, effective dates, item count, total points, title."""
    editions = _editions()
    if not editions:
        click.echo(f"no editions in {display_path(_criteria_dir())}")
    for edition in editions.values():
        until = edition.effective_until.isoformat() if edition.effective_until else "open"
        bonus = f" +{len(edition.bonus_items())} bonus" if edition.bonus else ""
        click.echo(
            f"{edition.id}  {edition.content_hash[:12]}  {edition.effective_from.isoformat()} – {until}"
            f"  {len(edition.items())} items{bonus}  {decimal_text(edition.total_points)} points"
            f"  {edition.title.zh}"
        )


@criteria_cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
def validate(paths: tuple[Path, ...]) -> None:
    """Check edition files (default: every *.yaml in CRITERIA_DIR); exit status 1 when any is invalid."""
    files: list[Path] = []
    for path in paths or (_criteria_dir(),):
        files.extend(edition_files(path) if path.is_dir() else [path])
    if not files:
        _fail(
            [f"no *.yaml edition files in {', '.join(display_path(p) for p in paths or (_criteria_dir(),))}"]
        )
    messages = validate_paths(files)
    if messages:
        _fail(messages)
    click.echo(f"{len(files)} edition file(s) valid: {', '.join(display_path(f) for f in files)}")


@criteria_cli.command("show")
@click.argument("edition_id")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def show(edition_id: str, lang: str) -> None:
    """Print an outline of an edition: sections, items with points, veto and bonus marks, level rules."""
    edition = _edition(edition_id)
    until = edition.effective_until.isoformat() if edition.effective_until else "open"
    click.echo(f"{edition.id}: {edition.title.get(lang)}")
    click.echo(f"rule: {edition.rule.get(lang)}")
    click.echo(f"effective: {edition.effective_from.isoformat()} – {until}")
    click.echo(f"sha256: {edition.content_hash}")
    click.echo(f"total: {decimal_text(edition.total_points)} points")
    click.echo("eligibility:")
    for declaration in edition.eligibility:
        click.echo(f"  {declaration.code}  {declaration.text.get(lang)}")
    for section in edition.sections:
        click.echo(f"{section.code}  {section.title.get(lang)}  ({decimal_text(section.points)} points)")
        for item in section.items:
            click.echo(_item_line(item, lang))
    if edition.bonus:
        click.echo(f"bonus (cap {decimal_text(edition.bonus.cap)} points)")
        for item in edition.bonus.items:
            click.echo(_item_line(item, lang, sign="+"))
    click.echo("levels:")
    for rules in edition.levels:
        parts = [f"final score ≥ {decimal_text(rules.min_score)}"]
        if rules.no_veto_failed:
            parts.append("no veto item failed")
        if rules.items_at_full_marks:
            parts.append("full marks on " + ", ".join(rules.items_at_full_marks))
        if rules.requires_valid_district_certificate:
            parts.append("valid district certificate")
        click.echo(f"  {rules.code}: {'; '.join(parts)}")
        steps = " → ".join(f"{step.agency} {step.act}" for step in rules.approvals)
        click.echo(f"    approval: {steps}; certificate valid {rules.certificate_validity_months} months")
        if rules.inspection_team:
            click.echo(f"    inspection team: {' + '.join(str(agency) for agency in rules.inspection_team)}")
    for line in supervision_lines(edition, lang):
        click.echo(line)


def supervision_lines(edition: Edition, lang: str) -> list[str]:
    """The supervision section as `flask criteria show` prints it (defaults too: they apply)."""
    rules = edition.supervision
    spot = rules.spot_check
    covered = ", ".join(spot.item_codes) if spot.item_codes is not None else "every scored item"
    passing = f"pass at ≥ {decimal_text(spot.min_percent)} % of their points"
    if spot.no_veto_failed:
        passing += ", no veto item failed"
    lines = [
        "supervision:",
        f"  recusal: not an inspector who inspected the outlet in the last {rules.recusal_months} months",
        f"  spot check: {covered}; {passing}",
        "  revocation grounds:",
    ]
    for ground in rules.revocation_grounds:
        how = "immediate" if ground.immediate else "after notice"
        lines.append(f"    {ground.code}  {ground.label.get(lang)}  [{how}]")
    if rules.yearly is None:
        lines.append("  yearly self-check: none")
    else:
        yearly = rules.yearly
        due = f"{yearly.due_month:02d}-{yearly.due_day:02d}"
        lines.append(
            f"  yearly self-check: {', '.join(yearly.item_codes)}; due {due} each year,"
            f" reminder {yearly.remind_days} days before"
        )
    return lines


def _item_line(item: Item, lang: str, sign: str = "") -> str:
    marks = [item.answer.type]
    if item.veto:
        marks.append("VETO")
    if item.not_applicable_allowed:
        marks.append("N/A allowed")
    marks.append(evidence_rule_text(item))
    return (
        f"  {item.code:<6}{sign}{decimal_text(item.points):>4}  {item.title.get(lang)}  [{', '.join(marks)}]"
    )


def evidence_rule_text(item: Item) -> str:
    """The whole evidence rule of an item: `evidence: photo always`, `evidence: photo when no or B`,
    `evidence: document when above 5` (a count or percentage past a bound)."""
    rule = item.evidence
    if rule.required == "never":
        return "evidence: never"
    if rule.required == "always":
        return f"evidence: {rule.kind} always"
    conditions = [_answer_word(value) for value in rule.when]
    conditions += [f"{key} {decimal_text(value)}" for key, value in rule.bounds()]
    return f"evidence: {rule.kind} when {' or '.join(conditions)}"


def _answer_word(value: bool | str) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


@criteria_cli.command("score")
@click.argument("edition_id")
@click.argument("answers_file", type=click.File("r", encoding="utf-8"))
def score_answers(edition_id: str, answers_file) -> None:
    """Score an answers JSON file (format: criteria/README.md) and print the result as JSON."""
    edition = _edition(edition_id)
    try:
        data = json.load(answers_file)
    except ValueError as error:  # bad JSON, bytes that are not UTF-8, a number of thousands of digits
        _fail([f"{answers_file.name}: not valid JSON: {error}"])
    if not isinstance(data, dict) or not isinstance(data.get("answers"), dict):
        _fail([f'{answers_file.name}: expected an object with "answers": {{item code: answer}}'])
    if unknown := sorted(set(data) - ANSWERS_FILE_KEYS):
        _fail([f"{answers_file.name}: {key}: unknown key" for key in unknown])
    holds_certificate = data.get("holds_valid_district_certificate", False)
    if not isinstance(holds_certificate, bool):
        _fail([f"{answers_file.name}: holds_valid_district_certificate must be true or false"])
    try:
        result = score(
            edition,
            answers_from_json(edition, data["answers"]),
            holds_valid_district_certificate=holds_certificate,
        )
    except InvalidAnswers as error:
        _fail([f"{answers_file.name}: answers.{code}: {message}" for code, message in error.problems.items()])
    click.echo(json.dumps(result.to_dict(), ensure_ascii=False, indent=2))


@criteria_cli.command("remind")
@today_option
@click.option(
    "--days",
    type=click.IntRange(min=0, max=3650),
    default=None,
    help="Tell this many days before the edition in use ends (default: CRITERIA_NOTICE_DAYS, 30).",
)
def remind(today: date, days: int | None) -> None:
    """Tell the administrators, once, that the edition in use ends soon with nothing chosen to follow,
    or that it has lapsed (the bureaus too when new applications are refused). Run daily from cron."""
    # The database side is imported here: the other commands work on a bare app without one.
    from outlet_audit.criteria.reminders import send_edition_notices
    from outlet_audit.extensions import db

    days = current_app.config.get("CRITERIA_NOTICE_DAYS", 30) if days is None else days
    try:
        notices = send_edition_notices(today, days)
    except CriteriaError as error:
        _fail(error.messages)
    db.session.commit()
    for notice in notices:
        click.echo(f"{notice.kind}: {notice.text} ({notice.recipients} notified)")
    click.echo(f"{len(notices)} notice(s) sent for {today.isoformat()} (notice period: {days} days).")


@criteria_cli.command("impact")
@click.argument("draft_file", metavar="DRAFT.yaml", type=click.Path(path_type=Path))
@click.option("--months", type=click.IntRange(1, 60), default=12, show_default=True)
@click.option("--district", "district_code", metavar="CODE", help="Only this district's outlets (e.g. FX).")
@click.option("--lang", type=click.Choice(["zh", "en"]), default="zh", show_default=True)
def impact(draft_file: Path, months: int, district_code: str | None, lang: str) -> None:
    """Validate a draft edition, print how it differs from the edition in use, and how the levels of the
    outlets inspected in the last months would change under it. Nothing is saved or chosen."""
    from outlet_audit.criteria.diff import diff_editions, diff_lines
    from outlet_audit.criteria.editions import reporting_edition
    from outlet_audit.criteria.impact import UnknownDistrict, impact_lines, measure_impact

    try:
        draft = load_edition(draft_file)
    except CriteriaError as error:
        _fail(error.messages)
    try:
        base = reporting_edition()
    except CriteriaError as error:
        _fail(error.messages)
    try:
        figures = measure_impact(draft, months=months, district_code=district_code)
    except UnknownDistrict:
        raise click.BadParameter(f"no district {district_code!r}", param_hint="--district") from None
    for line in (*diff_lines(diff_editions(base, draft), lang), *impact_lines(figures)):
        click.echo(line)

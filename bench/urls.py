"""From a page of bench/pages.py and the seeded sample to requests: paths, request lines, a check."""

import json
from pathlib import Path

from bench import seed
from bench.pages import BASELINE, BASELINE_AGAIN, Page
from bench.server import request


def page_paths(app, pages: list[Page], sample) -> tuple[dict, dict]:
    """URL path of every built page with the sample's records, or why it cannot be built."""
    from flask import url_for

    paths, problems = {}, {}
    with app.test_request_context():
        for page in [BASELINE, BASELINE_AGAIN, *pages]:
            if page.endpoint not in app.view_functions:
                problems[page.name] = "not built yet"
                continue
            try:
                values = url_values(app, page, sample, {})
                paths[page.name] = url_for(page.endpoint, **values)
            except Exception as error:  # a page whose URL we cannot fill is reported, not skipped
                problems[page.name] = f"cannot build its URL: {error}"
    return paths, problems


def url_values(app, page: Page, sample, given: dict) -> dict:
    values = {name: _from_sample(value, sample) for name, value in page.values.items()}
    values.update(given)
    rule = next(app.url_map.iter_rules(page.endpoint))
    for argument in rule.arguments - values.keys():
        if not hasattr(sample, argument):
            raise LookupError(
                f"no sample value for URL argument '{argument}' (add values= in bench/pages.py)"
            )
        values[argument] = getattr(sample, argument)
    return values


def _from_sample(value, sample):
    if isinstance(value, str) and value.startswith("{") and value.endswith("}") and value.count("{") == 1:
        return getattr(sample, value[1:-1])
    return value.format(**vars(sample)) if isinstance(value, str) else value


def request_lines(app, page: Page, sample, count: int) -> list[str]:
    """Up to `count` distinct requests as "METHOD<TAB>path<TAB>json body" lines for bench/wrk/lines.lua."""
    from flask import url_for

    from outlet_audit.criteria import load_edition

    edition = load_edition(Path(app.config["CRITERIA_DIR"]) / seed.EDITION_FILE)
    items = {item.code: item for item in (*edition.items(), *edition.bonus_items())}
    lines = []
    with app.test_request_context():
        for given, body in page.requests(sample, items):
            path = url_for(page.endpoint, **url_values(app, page, sample, given))
            text = "" if body is None else json.dumps(body, ensure_ascii=False)
            lines.append(f"{page.method}\t{path}\t{text}")
            if len(lines) >= count:
                break
    return lines


def preflight(port: int, page: Page, path: str, session, first_line: str | None) -> str:
    """'' if one request answers as it should (200; any 2xx for a POST); otherwise what came back."""
    headers = {"Cookie": session.cookie} if session.cookie else {}
    method, body = "GET", None
    if first_line is not None:
        method, path, text = first_line.split("\t", 2)
        body = text.encode() if text else None
    if method == "POST":
        headers |= {"X-CSRFToken": session.csrf_token, "Content-Type": "application/json"}
    reply = request(port, method, path, headers=headers, body=body)
    good = 200 <= reply.status < 300 if method == "POST" else reply.status == 200
    if good:
        return ""
    where = f" → {reply.headers.get('Location')}" if reply.headers.get("Location") else ""
    return f"answers HTTP {reply.status}{where}: {reply.body[:160].decode('utf-8', 'replace')!r}"

"""Profile pages in one process with cProfile: where a slow page spends its time, SQL included.

    .venv/bin/python -m bench.profile_page --database-url sqlite:////tmp/oa-profile.sqlite3 \\
        --instance /tmp/oa-profile --seed 10000 --pages "dashboard,queue" --requests 20

With --seed N the (empty) database is seeded first; without it, the instance folder must hold
the sample.json of an earlier seed. Requests go through the Flask test client with the
production configuration, signed in as the page's bench user.
"""

import argparse
import cProfile
import io
import json
import pstats
import time
from pathlib import Path

from sqlalchemy import event

from bench import seed
from bench.pages import PAGES, Page
from bench.server import SECOND_FACTOR_PATH, _csrf_token, authenticator_codes
from bench.synthetic import AnswerTarget, Sample, Scale


def load_sample(instance: Path) -> Sample:
    data = json.loads((instance / seed.SAMPLE_FILE).read_text())
    data["answer_targets"] = [AnswerTarget(**t) for t in data["answer_targets"]]
    return Sample(**data)


HTTPS = {"base_url": "https://localhost"}  # production cookies are Secure and __Host- named


def signed_in_client(app, sample, user: str | None):
    """A test client signed in as the bench user `user` (a key of `sample.usernames`), through the
    login form and, for accounts that need one, the authenticator's code."""
    client = app.test_client()
    if user is None:
        return client
    token = _csrf_token(client.get("/login", **HTTPS).get_data())
    form = {"username": sample.usernames[user], "password": sample.password, "csrf_token": token}
    reply = client.post("/login", data=form, headers={"Referer": "https://localhost/login"}, **HTTPS)
    if reply.headers.get("Location", "").endswith(SECOND_FACTOR_PATH):
        for code in authenticator_codes(sample.totp_secret):
            page = client.get(SECOND_FACTOR_PATH, **HTTPS)
            form = {"code": code, "csrf_token": _csrf_token(page.get_data())}
            referer = {"Referer": "https://localhost/login"}
            if client.post(SECOND_FACTOR_PATH, data=form, headers=referer, **HTTPS).status_code == 302:
                break
    return client


def profile(app, client, page, sample, requests: int, top: int, path: str | None = None) -> str:
    from bench.urls import request_lines, url_values
    from outlet_audit.extensions import db

    https = HTTPS
    if path is not None:
        calls = [("GET", path, None)] * (requests + 1)
    elif page.requests:
        lines = [line.split("\t") for line in request_lines(app, page, sample, requests + 1)]
        calls = [(method, path, json.loads(body) if body else None) for method, path, body in lines]
    else:
        with app.test_request_context():
            from flask import url_for

            path = url_for(page.endpoint, **url_values(app, page, sample, {}))
        calls = [("GET", path, None)] * (requests + 1)
    csrf = {}
    if page.method == "POST":  # the answer save wants the CSRF token of the signed-in session
        token = _csrf_token(client.get("/account/password", **https).get_data())
        csrf = {"X-CSRFToken": token, "Referer": "https://localhost/"}  # over https the Referer is checked

    def call(method, path, body):
        if method == "GET":
            return client.get(path, **https)
        return client.post(path, json=body, headers=csrf, **https)

    first = call(*calls[0])  # warm up
    if first.status_code != 200:
        return f"{page.name}: HTTP {first.status_code} {first.get_data()[:200]!r}"
    sql = {"count": 0, "seconds": 0.0}
    by_statement: dict[str, list] = {}

    def before(conn, _cursor, _statement, _parameters, _context, _many):
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, _cursor, statement, _parameters, _context, _many):
        spent = time.perf_counter() - conn.info.pop("bench_started", time.perf_counter())
        sql["count"] += 1
        sql["seconds"] += spent
        totals = by_statement.setdefault(" ".join(statement.split()), [0, 0.0])
        totals[0] += 1
        totals[1] += spent

    timed = []  # without the profiler: cProfile's own cost grows with the number of calls
    for method, path, body in calls[1:]:
        started = time.perf_counter()
        call(method, path, body).get_data()
        timed.append(time.perf_counter() - started)
    timed.sort()
    mean, median = sum(timed) / len(timed) * 1000, timed[len(timed) // 2] * 1000
    wall = f"{mean:.2f} ms mean, {median:.2f} ms median unprofiled; "
    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    profiler = cProfile.Profile()
    started = time.perf_counter()
    profiler.enable()
    for method, path, body in calls[1:]:
        call(method, path, body).get_data()
    profiler.disable()
    elapsed = time.perf_counter() - started
    event.remove(engine, "before_cursor_execute", before)
    event.remove(engine, "after_cursor_execute", after)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_stats(top)
    stats.sort_stats("tottime").print_stats(top)
    per_request = elapsed / requests * 1000
    slowest = sorted(by_statement.items(), key=lambda kv: -kv[1][1])[:5]
    sql_lines = "".join(
        f"  {seconds / requests * 1000:8.1f} ms/request  {count / requests:4.1f}x  {text[:400]}\n"
        for text, (count, seconds) in slowest
    )
    return (
        f"## {page.name}: {wall}{per_request:.1f} ms per request (profiled), "
        f"{sql['count'] / requests:.1f} SQL statements and "
        f"{sql['seconds'] / requests * 1000:.1f} ms in the database per request\n"
        f"Slowest statements:\n{sql_lines}" + out.getvalue()
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--instance", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=0, help="seed this many outlets first")
    parser.add_argument("--pages", default="", help="names containing these, comma-separated (default: all)")
    parser.add_argument(
        "--paths",
        default="",
        help="also these URLs, comma-separated, each as USER:PATH (USER a key of the sample's usernames, or "
        "'anonymous'), e.g. 'anonymous:/healthz,inspector:/notifications/': the fixed floor of a request",
    )
    parser.add_argument("--requests", type=int, default=20)
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    if args.seed:
        sample = seed.seed(args.database_url, args.instance, Scale.for_outlets(args.seed))
    else:
        sample = load_sample(args.instance)
    app = seed.make_app(seed.app_environment(args.database_url, args.instance))
    wanted = [w.strip().lower() for w in args.pages.split(",") if w.strip()]
    clients = {}  # one sign-in per user: an authenticator code is accepted once
    for spec in filter(None, (s.strip() for s in args.paths.split(","))):
        user, _, path = spec.partition(":")
        user = None if user == "anonymous" else user
        page = Page(f"{path} as {user or 'anonymous'}", "", None)
        if user not in clients:
            clients[user] = signed_in_client(app, sample, user)
        print(profile(app, clients[user], page, sample, args.requests, args.top, path=path), flush=True)
    for page in PAGES if args.pages or not args.paths else ():
        if page.endpoint in app.view_functions and (
            not wanted or any(w in page.name.lower() for w in wanted)
        ):
            if page.user not in clients:
                clients[page.user] = signed_in_client(app, sample, page.user)
            print(profile(app, clients[page.user], page, sample, args.requests, args.top), flush=True)


if __name__ == "__main__":
    main()

"""The app under test: gunicorn on 127.0.0.1, signed-in sessions, one-off requests, worker memory."""

import http.client
import re
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlencode

import pyotp

from bench.seed import BIN, PROJECT_ROOT

HOST = "127.0.0.1"
CSRF_INPUT = re.compile(r"<input[^>]*name=\"csrf_token\"[^>]*>")
VALUE_ATTRIBUTE = re.compile(r"value=\"([^\"]+)\"")
SECOND_FACTOR_PATH = "/login/second-factor"


@dataclass(frozen=True)
class Reply:
    status: int
    headers: dict
    body: bytes
    cookies: dict


@dataclass(frozen=True)
class Session:
    """A signed-in browser, reduced to what wrk needs: the Cookie header and a CSRF token."""

    cookie: str
    csrf_token: str


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


class Gunicorn:
    """gunicorn serving wsgi:app with `workers` sync workers, started and stopped by this object."""

    def __init__(self, env: dict, workers: int, log_path: Path):
        self.env, self.workers, self.log_path = env, workers, log_path
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> "Gunicorn":
        self._log = self.log_path.open("w")
        self.process = subprocess.Popen(
            [
                str(BIN / "gunicorn"),
                "--workers",
                str(self.workers),
                "--bind",
                f"{HOST}:{self.port}",
                "--timeout",
                "120",
                "--graceful-timeout",
                "5",
                "--log-level",
                "warning",
                "wsgi:app",
            ],
            cwd=PROJECT_ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited: {self.log_path.read_text()[-3000:]}")
            try:
                if (
                    request(self.port, "GET", "/healthz").status == 200
                    and len(self.worker_pids()) == self.workers
                ):
                    return self
            except OSError:
                pass
            time.sleep(0.3)
        self.__exit__(None, None, None)
        raise RuntimeError(
            f"gunicorn did not answer /healthz within 60 s: {self.log_path.read_text()[-3000:]}"
        )

    def __exit__(self, *_exc) -> None:
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._log.close()

    def worker_pids(self) -> list[int]:
        """The master's children, read from /proc."""
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        return [int(pid) for pid in children.read_text().split()] if children.exists() else []

    def worker_rss_mb(self) -> list[float]:
        sizes = []
        for pid in self.worker_pids():
            status = Path(f"/proc/{pid}/status").read_text()
            kilobytes = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
            sizes.append(kilobytes / 1024)
        return sizes


def request(
    port: int,
    method: str,
    path: str,
    *,
    headers: dict | None = None,
    body: bytes | None = None,
    timeout: float = 60,
) -> Reply:
    """One request without following redirects (http.client sends no User-Agent, just like wrk)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        cookies = {}
        for header in response.msg.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            cookies[name.strip()] = rest.split(";", 1)[0]
        return Reply(response.status, dict(response.getheaders()), response.read(), cookies)
    finally:
        connection.close()


def sign_in(port: int, username: str, password: str, totp_secret: str = "") -> Session:
    """Sign in through the login form like a browser, with the authenticator's code when the account
    asks for one (bureau and administrator accounts, `totp_secret`); raise if the app does not let us in."""
    page = request(port, "GET", "/login")
    cookies = dict(page.cookies)
    reply = _post_form(port, "/login", {"username": username, "password": password}, page, cookies)
    if reply.status != 302 or not reply.cookies:
        raise RuntimeError(f"sign-in of {username} failed: HTTP {reply.status}")
    cookies.update(reply.cookies)
    if reply.headers.get("Location", "").endswith(SECOND_FACTOR_PATH):
        reply = _second_factor(port, cookies, totp_secret)
        if reply.status != 302:
            raise RuntimeError(f"the second factor of {username} was refused: HTTP {reply.status}")
        cookies.update(reply.cookies)
    # A page with the language form holds a CSRF token bound to the new session (and may extend it).
    account = request(port, "GET", "/account/password", headers={"Cookie": _cookie_header(cookies)})
    if account.status != 200:
        raise RuntimeError(f"{username} is not signed in after the login form: HTTP {account.status}")
    cookies.update(account.cookies)
    return Session(_cookie_header(cookies), _csrf_token(account.body))


def _post_form(port: int, path: str, fields: dict, page: Reply, cookies: dict) -> Reply:
    """POST `fields` with the CSRF token of `page` (the form's own page)."""
    form = urlencode({**fields, "csrf_token": _csrf_token(page.body)})
    return request(
        port,
        "POST",
        path,
        body=form.encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": _cookie_header(cookies)},
    )


def authenticator_codes(secret: str) -> list[str]:
    """The codes to try, in turn: now's, then the next step's, for when an earlier sign-in of the
    account used now's (the app accepts a code once, within a step either side of now)."""
    totp = pyotp.TOTP(secret)
    now = totp.timecode(datetime.now(UTC))
    return [totp.generate_otp(step) for step in (now, now + 1)]


def _second_factor(port: int, cookies: dict, secret: str) -> Reply:
    """Type the authenticator's code."""
    reply = None
    for code in authenticator_codes(secret):
        page = request(port, "GET", SECOND_FACTOR_PATH, headers={"Cookie": _cookie_header(cookies)})
        cookies.update(page.cookies)
        reply = _post_form(port, SECOND_FACTOR_PATH, {"code": code}, page, cookies)
        cookies.update(reply.cookies)
        if reply.status == 302:
            break
    return reply


def anonymous_session() -> Session:
    return Session("", "")


def _csrf_token(html: bytes) -> str:
    match = CSRF_INPUT.search(html.decode("utf-8", "replace"))
    value = VALUE_ATTRIBUTE.search(match.group(0)) if match else None
    if value is None:
        raise RuntimeError("no csrf_token input on the page")
    return value.group(1)


def _cookie_header(cookies: dict) -> str:
    return "; ".join(f"{name}={value}" for name, value in cookies.items())

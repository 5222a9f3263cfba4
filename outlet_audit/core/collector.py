"""The garbage collector told which objects live as long as the worker, so it stops walking them.

CPython collects its oldest generation whenever that has grown by a quarter, and such a
collection walks every object the process holds. A web worker holds about 270,000 that never
die: routes, models and their mappers, compiled templates, the criteria editions, the
translation catalogs, SQLAlchemy's statement cache. Walking them took 160–190 ms on the bench
machine (2 CPUs), and roughly one request in three hundred waited for it: that was the
unexplained p99 of about 170 ms at one request at a time in #23's measurements
(bench/RESULTS.md, "The collector").

After the worker's first requests have compiled its templates and filled its caches, those
objects are moved out of the collector's sight with `gc.freeze()` (what CPython's documentation
of gc.freeze recommends for long-running servers). A full collection then walks only what was
made since: 1–3 ms. The freeze follows a full collection, so no garbage is frozen with them;
objects made later are collected as before. It runs again at ten and a hundred times the first
count, for caches that fill slowly (dates on lists, district names), and each time after the
response has been sent, so no user waits for it.

`GC_FREEZE_AFTER_REQUESTS` (0 switches it off) is off in tests: a test process builds hundreds
of applications, and freezing would keep them all.
"""

import gc

from flask import Flask, Response


def init_collector(app: Flask) -> None:
    first = app.config.get("GC_FREEZE_AFTER_REQUESTS", 0)
    if not first:
        return
    freeze_at = {first * 10**k for k in range(3)}
    served = {"requests": 0}

    @app.after_request
    def _freeze_when_warm(response: Response) -> Response:
        served["requests"] += 1
        if served["requests"] in freeze_at:
            response.call_on_close(freeze_what_lives)
        return response


def freeze_what_lives() -> None:
    """Collect everything unreachable, then set what is left aside for good."""
    gc.collect()
    gc.freeze()

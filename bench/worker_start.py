"""CPU time of a web worker's start, phase by phase (not a test).

    DATABASE_URL=postgres://cbm:cbm@127.0.0.1:5432/cbm_bench \\
        .venv/bin/python bench/worker_start.py [/needs/ ...]

On a loaded machine the seconds a gunicorn worker takes to answer
(bench/web_worker.py) move with the other jobs; the CPU it spends does not.
This process does what a fresh worker does (DEBUG off): it loads
``config.wsgi`` (``django.setup()``, the apps, the admin), then serves
``/health/`` (the URLconf: every view module), the home page and any further
paths given, through the WSGI application, and prints the wall and CPU
seconds and the modules loaded by each phase. Run it in a fresh interpreter,
with the project's bytecode compiled as a deployment does
(``make compile``), or without it to see what compiling costs.
"""

from __future__ import annotations

import io
import itertools
import os
import resource
import sys
import time
from pathlib import Path
from wsgiref.util import setup_testing_defaults

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def main() -> int:
    os.environ.setdefault(
        "DATABASE_URL", "postgres://postgres@127.0.0.1:5432/cbm_bench"
    )
    os.environ.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        DJANGO_DEBUG="False",
        DJANGO_SECRET_KEY="bench-only-" + "x" * 50,
        DJANGO_ALLOWED_HOSTS="127.0.0.1",
        DJANGO_STATIC_MANIFEST="False",
        DJANGO_LOG_LEVEL="WARNING",
        DJANGO_BEHIND_TLS_PROXY="true",
        DJANGO_TASKS_BACKEND="django.tasks.backends.dummy.DummyBackend",
    )
    marks = [("start", time.perf_counter(), cpu(), len(sys.modules))]

    def mark(label: str) -> None:
        marks.append((label, time.perf_counter(), cpu(), len(sys.modules)))

    import config.wsgi

    mark("config.wsgi (django.setup)")

    def get(path: str) -> str:
        environ = {
            "PATH_INFO": path,
            "REQUEST_METHOD": "GET",
            "SERVER_NAME": "127.0.0.1",
            "HTTP_HOST": "127.0.0.1",
            "HTTP_X_FORWARDED_PROTO": "https",
            "wsgi.input": io.BytesIO(),
        }
        setup_testing_defaults(environ)
        statuses: list[str] = []
        body = config.wsgi.application(
            environ, lambda status, headers, exc_info=None: statuses.append(status)
        )
        b"".join(body)
        return statuses[0]

    for path in ["/health/", "/", *sys.argv[1:]]:
        mark(f"{path} {get(path)}")
    for (_l, w0, c0, m0), (label, w1, c1, m1) in itertools.pairwise(marks):
        print(
            f"{label:30} wall {w1 - w0:5.2f} s  CPU {c1 - c0:5.2f} s  "
            f"+{m1 - m0} modules"
        )
    print(
        f"{'total':30} wall {marks[-1][1] - marks[0][1]:5.2f} s  "
        f"CPU {marks[-1][2] - marks[0][2]:5.2f} s  {len(sys.modules)} modules; "
        f"load {os.getloadavg()[0]:.1f}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())

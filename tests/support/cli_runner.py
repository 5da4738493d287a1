"""Run ``widget-server`` commands in one long-lived process, for test set-up.

A fresh ``python -m widget_server create-user`` spends about half a second importing
before it does its 0.1 s of work, and the suite makes users and apps by the thousand. The
fixtures' commands (``create-user``, ``create-app``, reading a wallet) therefore go to this
process, which imports the command line once and then runs each command as the real one
would: the same ``main``, the same environment and working directory, its own stdout and
stderr, its exit code. Tests whose subject is the command line itself (``test_cli*.py``)
still start a real process each time.

Protocol: one JSON object per line each way. In: ``{"args", "env", "cwd"}``. Out:
``{"returncode", "stdout", "stderr"}``. The runner exits when its stdin closes.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import sys
import traceback

HERE = os.path.dirname(os.path.realpath(__file__))
sys.path[:] = [p for p in sys.path if os.path.realpath(p or ".") != HERE]  # run by path


def run(args: list[str], env: dict[str, str], cwd: str) -> dict:
    from widget_server.cli import main

    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            returncode = main(args)
        except SystemExit as exit:  # argparse's usage errors
            returncode = exit.code if isinstance(exit.code, int) else 1
        except Exception:  # what an uncaught exception does to a real process
            traceback.print_exc()
            returncode = 1
    return {"returncode": returncode, "stdout": out.getvalue(), "stderr": err.getvalue()}


def serve() -> None:
    replies = os.fdopen(os.dup(sys.stdout.fileno()), "w")  # the commands' prints go elsewhere
    for line in sys.stdin:
        request = json.loads(line)
        replies.write(json.dumps(run(request["args"], request["env"], request["cwd"])) + "\n")
        replies.flush()


if __name__ == "__main__":
    serve()

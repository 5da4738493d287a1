"""Fake LLM providers: real HTTP servers on loopback speaking each provider's wire format.

Start them from a sync test, point the Legion server at them, steer them::

    from tests.fakes import FakeProviders

    with FakeProviders() as fake:
        server = ServerProcess(db_url, env=fake.env).start()   # or fake.env_for("anthropic")
        fake.set(reply="Hello there", delay=0.02)   # default for every later request
        fake.next(fail="529")                        # the next request only
        fake.next(provider="gemini", thoughts=12)    # the next Gemini request only
        fake.requests[-1]["json"]                    # the body the provider received
        fake.reset()

Or from a browser, by typing a directive in the message: ``[[fake fail=500]]``,
``[[fake reply="**bold** and *italic*" delay=0.05]]``, ``[[fake chunks=200 delay=0.02]]``.

Behaviour fields (``tests/fakes/behaviour.py``): ``reply``, ``chunks``, ``delay``,
``first_delay``, ``fail`` (an HTTP status such as ``"500"``/``"529"``/``"429"``, or
``"hang"``, ``"cut"``, ``"bad_json"``, ``"error"``, ``"stall"``), ``fail_after`` (chunks
before a mid-stream failure), ``retry_after``, ``prompt_tokens``, ``completion_tokens``,
``thoughts``. One streamed chunk is one output token; the output honours the request's
``max_tokens`` (finish reason ``length`` / ``max_tokens`` / ``MAX_TOKENS``). Each recorded
request has ``provider``, ``path``, ``query``, ``headers``, ``json``, ``stream``,
``chunks_sent``, ``completed`` and ``disconnected`` (the client went away mid-answer).

In another process: ``python -m tests.fakes --port 9100`` (controls at ``/_fake/*``).
"""

from .behaviour import Behaviour
from .server import KEYS, FakeProviders, build_app, provider_env

__all__ = ["KEYS", "Behaviour", "FakeProviders", "build_app", "provider_env"]

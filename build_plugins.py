#!/usr/bin/env python3
"""Build dist/legion-wordpress.zip, dist/legion-drupal.zip and dist/SHA256SUMS (SPEC §9).

A thin command line over ``widget_server.releases.packager``, which the server's release
downloads use too, so both give the same bytes for the same sources.

    python build_plugins.py [--out dist] [--client-id lgn_...] [--server-url https://...]

``--client-id`` / ``--server-url`` build zips pre-configured for one app.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT))

from widget_server.errors import LegionError  # noqa: E402
from widget_server.releases.packager import Sources, build_all, write_dist  # noqa: E402
from widget_server.releases.presets import Preset  # noqa: E402
from widget_server.releases.validation import PhpLinter  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="dist", type=Path, help="output folder (default dist)")
    parser.add_argument("--client-id", help="pre-configure the zips with this app's Client ID")
    parser.add_argument("--server-url", help="pre-configure the zips with this Legion server URL")
    args = parser.parse_args(argv)
    linter = PhpLinter()
    try:
        preset = Preset.checked(args.client_id, args.server_url)
        zips = build_all(Sources.locate(ROOT), preset, lint_php=linter)
        written = write_dist(args.out, zips)
    except LegionError as error:
        print(f"error: {error.message}", file=sys.stderr)
        return 1
    except OSError as error:  # the output folder can't be written
        print(f"error: can't write to {args.out}: {error.strerror or error}", file=sys.stderr)
        return 1
    if not linter.available:
        print("note: php not found, so php -l was skipped", file=sys.stderr)
    for path in written:
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main())

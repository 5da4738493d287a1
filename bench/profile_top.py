"""The top entries of a py-spy profile (``bench/gateway.py --profile FILE``).

    python bench/profile_top.py FILE [--top 15]

py-spy's raw format is one collapsed stack per line, ``frame;frame;...;frame COUNT``, the
innermost frame last. Printed: where the samples were taken (self time) and the frames
that were on the stack (inclusive time) — our own code apart, since that is what the
gateway adds over the framework. Samples of threads that wait are left out.
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

OURS = "widget_server/"
# Leaves where a thread waits rather than works: an idle pool thread (blocked in its
# queue), aiosqlite's thread, the event loop in epoll. Left out, so that shares are of
# the work done.
IDLE = {
    "_worker (thread.py)",
    "_connection_worker_thread (core.py)",  # aiosqlite
    "EpollSelector.select (selectors.py)",
}
# "function (path/to/file.py:123)" -> "function (file.py)": lines vary within a function.
FRAME = re.compile(r"^(?P<name>.*?) \((?P<path>[^:)]*)(?::\d+)?\)$")


def short(frame: str) -> str:
    match = FRAME.match(frame.strip())
    if not match:
        return frame.strip()
    path = match["path"]
    if OURS in path:
        path = path[path.index(OURS) :]
    elif "site-packages/" in path:
        path = path[path.index("site-packages/") + len("site-packages/") :]
    else:
        path = path.rsplit("/", 1)[-1]
    return f"{match['name']} ({path})"


def read(path: Path) -> list[tuple[list[str], int]]:
    stacks = []
    for line in path.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        if stack and count.isdigit():
            stacks.append(([short(f) for f in stack.split(";")], int(count)))
    return stacks


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args()
    every = read(args.profile)
    stacks = [(frames, count) for frames, count in every if frames[-1] not in IDLE]
    idle = sum(count for _, count in every) - sum(count for _, count in stacks)
    total = sum(count for _, count in stacks) or 1
    leaf: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    ours: Counter[str] = Counter()
    for frames, count in stacks:
        leaf[frames[-1]] += count
        for frame in set(frames):
            inclusive[frame] += count
            if OURS in frame:
                ours[frame] += count
    print(f"{total} samples at work ({idle} more waiting: idle threads, epoll)")
    for title, counter in (
        ("self time (where the samples were taken)", leaf),
        ("inclusive time (on the stack)", inclusive),
        ("inclusive time, our code only", ours),
    ):
        print(f"\n{title}:")
        for frame, count in counter.most_common(args.top):
            print(f"  {100 * count / total:5.1f}%  {frame}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

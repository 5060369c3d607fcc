"""Summarise a py-spy `--format raw` (collapsed stacks) profile as text tables.

    .venv/bin/python benchmarks/pyspy_summary.py PROFILE.raw [--top 25] [--match yanxiu/]

Prints, as a share of all samples: the frames with the most inclusive time (anywhere on the
stack), the leaves (self time), and the innermost frame of the project code (`--match`).
"""

from __future__ import annotations

import argparse
import re
from collections import Counter
from pathlib import Path

FRAME_RE = re.compile(r"^(?P<func>.*?) \((?P<file>.*?)(?::(?P<line>\d+))?\)$")


def short(frame: str) -> str:
    match = FRAME_RE.match(frame)
    if not match:
        return frame
    path = match["file"]
    for marker in ("site-packages/", "/work/main/", "lib/python3.12/"):
        if marker in path:
            path = path.split(marker, 1)[1]
            break
    return f"{match['func']} ({path}:{match['line'] or '?'})"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("profile", type=Path)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--match", default="yanxiu/")
    args = parser.parse_args()

    inclusive: Counter[str] = Counter()
    leaves: Counter[str] = Counter()
    own: Counter[str] = Counter()
    total = 0
    for line in args.profile.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        total += count
        frames = [short(f) for f in stack.split(";")]
        for frame in set(frames):
            inclusive[frame] += count
        leaves[frames[-1]] += count
        project = [f for f in frames if args.match in f]
        own[project[-1] if project else "(outside project code)"] += count
    if not total:
        raise SystemExit("no samples")
    tables = (("inclusive", inclusive), ("self (leaf frame)", leaves), (f"innermost {args.match} frame", own))
    for title, table in tables:
        print(f"\n== {title}: {total} samples ==")
        for frame, count in table.most_common(args.top):
            print(f"{100 * count / total:6.1f}%  {frame}")


if __name__ == "__main__":
    main()

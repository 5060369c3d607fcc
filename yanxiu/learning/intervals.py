"""Honest video progress: the union of the seconds actually watched.

A learner's playback reports segments [start, end) of media time. Seeking, replaying or playing
fast earns nothing extra: progress is the length of the union of everything watched, and a
segment is believed only as far as the wall-clock time that passed while it played allows.
"""

from __future__ import annotations

from collections.abc import Iterable

Interval = tuple[float, float]

# A segment may cover at most this much media time per second of wall time (a little slack for
# timer jitter; faster playback is capped, not rejected, so a 2x viewer still earns real seconds).
MAX_RATE = 1.1


def merge(intervals: Iterable[Interval]) -> list[Interval]:
    """Sorted, non-overlapping intervals covering the same seconds (touching ones are joined)."""
    merged: list[Interval] = []
    for start, end in sorted((s, e) for s, e in intervals if e > s):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def covered(intervals: Iterable[Interval]) -> float:
    return sum(end - start for start, end in merge(intervals))


def add_segment(
    intervals: list[Interval], start: float, end: float, *, wall_seconds: float, duration: float
) -> list[Interval]:
    """The union after one reported segment, clipped to the media and to what wall time allows."""
    start = max(0.0, min(start, duration))
    end = max(0.0, min(end, duration))
    if end <= start or wall_seconds <= 0:
        return merge(intervals)
    end = min(end, start + wall_seconds * MAX_RATE)
    return merge([*intervals, (start, end)])


def ratio(intervals: Iterable[Interval], duration: float) -> float:
    if duration <= 0:
        return 0.0
    return min(1.0, covered(intervals) / duration)

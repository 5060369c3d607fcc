"""Interval union: seeking, replaying and fast playback earn nothing extra."""

import pytest

from yanxiu.learning.intervals import add_segment, covered, merge, ratio


def test_merge_joins_overlapping_and_touching() -> None:
    assert merge([(10, 20), (0, 5), (5, 8), (15, 30), (40, 40)]) == [(0, 8), (10, 30)]


def test_replaying_the_same_minute_counts_once() -> None:
    watched: list = []
    for _ in range(5):
        watched = add_segment(watched, 0, 60, wall_seconds=60, duration=600)
    assert covered(watched) == 60


def test_seeking_ahead_earns_only_what_was_played() -> None:
    watched = add_segment([], 0, 30, wall_seconds=30, duration=600)
    watched = add_segment(watched, 570, 600, wall_seconds=30, duration=600)
    assert covered(watched) == 60
    assert ratio(watched, 600) == pytest.approx(0.1)


def test_fast_playback_is_capped_by_wall_time() -> None:
    # 16x playback claims 160 s of media in 10 s of wall time: only 11 s count.
    watched = add_segment([], 0, 160, wall_seconds=10, duration=600)
    assert covered(watched) == pytest.approx(11)


def test_segments_are_clipped_to_the_media() -> None:
    watched = add_segment([], -30, 10, wall_seconds=60, duration=600)
    watched = add_segment(watched, 590, 700, wall_seconds=200, duration=600)
    assert watched == [(0, 10), (590, 600)]


@pytest.mark.parametrize(("start", "end", "wall"), [(10, 5, 5), (10, 10, 5), (0, 10, 0), (0, 10, -1)])
def test_nonsense_segments_add_nothing(start, end, wall) -> None:
    assert add_segment([(0, 5)], start, end, wall_seconds=wall, duration=600) == [(0, 5)]


def test_ratio_never_exceeds_one_and_handles_zero_duration() -> None:
    assert ratio([(0, 600)], 600) == 1.0
    assert ratio([(0, 10)], 0) == 0.0

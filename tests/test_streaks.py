from datetime import date, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.streaks import Streak, streak

D = date(2026, 9, 7)


def days(*offsets: int) -> list[date]:
    return [D + timedelta(days=o) for o in offsets]


def test_no_checkins_no_streak():
    assert streak([], [], D) == Streak(0, 0)


def test_consecutive_days_count_and_today_does_not_break_yet():
    assert streak(days(0, 1, 2), [], D + timedelta(days=3)) == Streak(3, 3)


def test_a_missed_day_resets_but_longest_remembers():
    assert streak(days(0, 1, 2, 4), [], D + timedelta(days=4)) == Streak(1, 3)


def test_a_missed_yesterday_means_current_is_zero():
    assert streak(days(0, 1), [], D + timedelta(days=3)) == Streak(0, 2)


def test_away_days_neither_break_nor_extend():
    away = [(D + timedelta(days=2), D + timedelta(days=5))]
    assert streak(days(0, 1, 6), away, D + timedelta(days=6)) == Streak(3, 3)
    # a check-in made on an away day does not extend the run either
    assert streak(days(0, 1, 3, 6), away, D + timedelta(days=6)) == Streak(3, 3)


def test_away_up_to_today_keeps_the_run():
    away = [(D + timedelta(days=2), D + timedelta(days=9))]
    assert streak(days(0, 1), away, D + timedelta(days=9)) == Streak(2, 2)


def reference(days, away, today):
    """The definition, walked day by day: slow and obviously right."""
    checked, run, longest = set(days), 0, 0
    if not checked:
        return Streak(0, 0)
    day = min(checked)
    while day <= today:
        if any(s <= day <= e for s, e in away):
            pass
        elif day in checked:
            run += 1
            longest = max(longest, run)
        elif day != today:
            run = 0
        day += timedelta(days=1)
    return Streak(run, longest)


offsets = st.integers(min_value=0, max_value=60)


@settings(max_examples=400, deadline=None)
@given(
    days=st.lists(offsets, max_size=40),
    away=st.lists(st.tuples(offsets, st.integers(min_value=0, max_value=10)), max_size=5),
    today=offsets,
)
def test_fast_streak_matches_the_day_by_day_definition(days, away, today):
    checked = [D + timedelta(days=o) for o in days]
    periods = [(D + timedelta(days=s), D + timedelta(days=s + n)) for s, n in away]
    now = D + timedelta(days=today)
    assert streak(checked, periods, now) == reference(
        [d for d in checked if d <= now], periods, now
    )

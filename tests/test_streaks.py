from datetime import date, timedelta

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

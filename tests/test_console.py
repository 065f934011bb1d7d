"""The console adapter, run as a person would: the installed ``cohort`` script."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

COHORT = shutil.which("cohort", path=str(Path(sys.executable).parent)) or "cohort"


def run(tmp_path: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "COHORT_CONFIG": ""}
    return subprocess.run(
        [COHORT, "console", "--db", str(tmp_path / "c.db"), *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )


SCRIPT = """# a first week
/group create "Linear Algebra" proofs
:as ana
/group join linear algebra
/tutor request recursion my base case never ends
:as you
/tutor offer recursion
/tutor queue
:time 2026-12-07T09:00+01:00
:channel study-hall
/reflect today went well --anonymous
/me away 2026-13-01
"""


def test_script_runs_every_line_and_prints_posts(tmp_path):
    result = run(tmp_path, "--script", _write(tmp_path, SCRIPT))
    out = result.stdout
    assert result.returncode == 0, result.stderr
    assert "Created the group Linear Algebra" in out
    assert "You joined Linear Algebra" in out
    assert "#1 recursion - ana: my base case never ends" in out
    assert "notice → #study-hall" in out and "today went well" in out
    assert "I can't read the start date" in out  # a friendly error, not a parse failure


def test_a_line_that_does_not_parse_fails_the_script(tmp_path):
    result = run(tmp_path, "--script", _write(tmp_path, "/group list\n/gruop list\n/me\n"))
    assert result.returncode == 1
    assert "Did you mean group?" in result.stdout
    assert "Here is your Cohort, you." in result.stdout  # later lines still ran


def test_stdin_that_is_not_a_terminal_is_a_script(tmp_path):
    result = run(tmp_path, "--user", "ana", "--community", "club", stdin="/me\n:whoami\n")
    assert result.returncode == 0
    assert "ana (admin) in community club, #general" in result.stdout


def test_data_survives_a_restart(tmp_path):
    run(tmp_path, stdin='/group create "Book Club"\n')
    again = run(tmp_path, stdin="/group list\n")
    assert "Book Club" in again.stdout


def test_the_fake_clock_moves_the_day(tmp_path):
    result = run(
        tmp_path, stdin="/checkin --mood 3\n:advance 1d\n/checkin --mood 4\n:advance 1d\n/me\n"
    )
    assert "2 days (longest 2)" in result.stdout


def test_bad_console_commands_are_explained(tmp_path):
    result = run(
        tmp_path,
        stdin=":advance soon\n:time yesterday\n:as two words\n:nope\n"
        ":advance 9999999999d\n:time 9999-12-31T00:00\n:advance 2d\n/me\n",
    )
    assert "e.g. :advance 1d" in result.stdout
    assert "ISO time" in result.stdout
    assert "single word" in result.stdout
    assert "out of range" in result.stdout
    assert "Type :help" in result.stdout
    assert result.returncode == 1


def test_user_text_is_not_rich_markup(tmp_path):
    result = run(tmp_path, stdin='/group create "[bold]Sneaky[/bold]"\n')
    assert "[bold]Sneaky[/bold]" in result.stdout


@pytest.mark.parametrize("args", [["--script", "missing.txt"]])
def test_missing_script_file(tmp_path, args):
    result = run(tmp_path, *args)
    assert result.returncode == 2 and "cannot read" in result.stderr


def _write(tmp_path: Path, text: str) -> str:
    path = tmp_path / "script.txt"
    path.write_text(text)
    return str(path)


def test_an_in_memory_database_works_for_a_session(tmp_path):
    env = {**os.environ, "COLUMNS": "200", "NO_COLOR": "1", "COHORT_CONFIG": ""}
    result = subprocess.run(
        [COHORT, "console", "--db", ":memory:"],
        input="/group create A\n/group list\n",
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=60,
    )
    assert result.returncode == 0 and "• A (1 member)" in result.stdout


WEEK = """:time 2026-11-30T12:00Z
/cohort setup --timezone Europe/Berlin --checkin-reminder 20:00
/prompts schedule here monday 09:00
/group create "Linear Algebra"
/group meet "Linear Algebra" wednesday 18:00
:as ana
/checkin --mood 4
:as you
:advance 1w
"""


def test_advance_fires_a_week_of_posts_in_order_each_at_its_time(tmp_path):
    result = run(tmp_path, "--script", _write(tmp_path, WEEK))
    out = result.stdout
    assert result.returncode == 0, result.stderr
    stamps = [line for line in out.splitlines() if line.endswith(" UTC") and line[:3].isalpha()]
    assert stamps == sorted(stamps, key=lambda s: ("Nov" not in s, int(s.split()[1]), s[-9:]))
    stamps = list(dict.fromkeys(stamps))  # one DM to each member: one stamp each
    # check-in reminders at 20:00 Berlin (19:00Z) Mon..Sun, the meeting reminder Wednesday
    # 17:30 Berlin (16:30Z), the prompt Monday 09:00 Berlin (08:00Z), in time order
    assert stamps == [
        "Mon 30 Nov 19:00 UTC",
        "Tue 1 Dec 19:00 UTC",
        "Wed 2 Dec 16:30 UTC",
        "Wed 2 Dec 19:00 UTC",
        "Thu 3 Dec 19:00 UTC",
        "Fri 4 Dec 19:00 UTC",
        "Sat 5 Dec 19:00 UTC",
        "Sun 6 Dec 19:00 UTC",
        "Mon 7 Dec 08:00 UTC",
    ]
    assert "reminder → DM to you" in out  # ana checked in on Monday: only you that day
    assert out.count("DM to ana") == 6
    assert "prompt → #general" in out and "Linear Algebra meets soon" in out
    assert out.rstrip().endswith("The clock now reads 2026-12-07 12:00 UTC.")

"""Change windows and freezes of the repository's own environments, at injected moments."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from dfctl.gitops.windows import check_window, next_opening
from dfctl.load.repo import WorkTree, load_repo
from dfctl.model import Environment
from tests.content import PROJECT

SHANGHAI = ZoneInfo("Asia/Shanghai")


def environment(name: str) -> Environment:
    path = f"environments/{name}/environment.yaml"
    loaded = load_repo(WorkTree(PROJECT), only={path})
    (env,) = loaded.of(Environment)
    return env


PRODUCTION = environment("production")
WINDOWS = "mon,tue,wed,thu,fri 22:00-06:00 (next day); sat,sun 09:00-21:00"


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("moment", "window"),
    [
        ("2026-11-25 23:00", "mon,tue,wed,thu,fri 22:00-06:00 (next day)"),
        ("2026-11-26 05:59", "mon,tue,wed,thu,fri 22:00-06:00 (next day)"),  # opened Wednesday
        ("2026-11-28 02:00", "mon,tue,wed,thu,fri 22:00-06:00 (next day)"),  # Friday night
        ("2026-11-28 09:00", "sat,sun 09:00-21:00"),
        ("2026-11-29 20:59", "sat,sun 09:00-21:00"),
    ],
)
def test_inside_a_window(moment: str, window: str) -> None:
    check = check_window(PRODUCTION, at(moment))
    assert check.allowed
    assert check.reason == f"inside the change window {window}"


@pytest.mark.parametrize(
    ("moment", "shown", "opening"),
    [
        ("2026-11-25 14:00", "wed 2026-11-25 14:00", "wed 2026-11-25 22:00"),
        ("2026-11-26 06:00", "thu 2026-11-26 06:00", "thu 2026-11-26 22:00"),
        # Sunday's window does not run into Monday morning
        ("2026-11-30 02:00", "mon 2026-11-30 02:00", "mon 2026-11-30 22:00"),
        ("2026-11-28 21:00", "sat 2026-11-28 21:00", "sun 2026-11-29 09:00"),
    ],
)
def test_outside_every_window(moment: str, shown: str, opening: str) -> None:
    check = check_window(PRODUCTION, at(moment))
    assert not check.allowed
    assert check.reason == (
        f"production is outside its change windows at {shown} Asia/Shanghai ({WINDOWS}); "
        f"next opening {opening}"
    )


def test_a_freeze_wins_over_an_open_window() -> None:
    check = check_window(PRODUCTION, at("2026-12-22 23:00"))
    assert not check.allowed
    assert check.reason == (
        "production is frozen at tue 2026-12-22 23:00 Asia/Shanghai: 2026年度年终决算 "
        "(2026-12-20 to 2027-01-15): 年终结转、跨年退款和年终结账期间，除紧急修复外不做任何变更。"
        "; next opening sat 2027-01-16 00:00"
    )
    # the freeze ends with 15 January: the rest of Friday night's window is open again
    assert check_window(PRODUCTION, at("2027-01-16 00:00")).allowed


def test_a_freeze_covers_its_first_and_last_day() -> None:
    assert not check_window(PRODUCTION, at("2026-12-01 00:30")).allowed
    assert not check_window(PRODUCTION, at("2026-12-12 10:00")).allowed  # Saturday, last day
    assert check_window(PRODUCTION, at("2026-12-13 10:00")).allowed  # Sunday after


def test_a_window_that_runs_into_a_freeze_is_cut_at_midnight() -> None:
    # Monday 30 November 22:00 opens a window that would run to Tuesday 06:00, but the
    # "二上" freeze starts on Tuesday 1 December
    assert check_window(PRODUCTION, at("2026-11-30 23:59")).allowed
    assert not check_window(PRODUCTION, at("2026-12-01 00:00")).allowed


def test_the_moment_is_taken_in_the_environments_time_zone() -> None:
    # 15:00 UTC is 23:00 in Shanghai
    utc = dt.datetime(2026, 11, 25, 15, 0, tzinfo=dt.UTC)
    assert check_window(PRODUCTION, utc).allowed
    assert not check_window(PRODUCTION, utc - dt.timedelta(hours=10)).allowed


def test_next_opening_skips_frozen_days() -> None:
    # Friday 11 December is frozen; Sunday 13 December is the next day with a window
    assert next_opening(PRODUCTION, at("2026-12-11 12:00")) == at("2026-12-13 09:00")


def test_an_environment_without_windows_may_change_outside_freezes() -> None:
    bare = PRODUCTION.model_copy(update={"change_windows": []})
    check = check_window(bare, at("2026-11-25 14:00"))
    assert (check.allowed, check.reason) == (True, "production declares no change window")
    assert not check_window(bare, at("2026-12-22 14:00")).allowed


def test_acceptance_changes_in_office_hours() -> None:
    acceptance = environment("acceptance")
    assert check_window(acceptance, at("2026-11-27 10:00")).allowed
    check = check_window(acceptance, at("2026-11-28 10:00"))
    assert check.reason == (
        "acceptance is outside its change windows at sat 2026-11-28 10:00 Asia/Shanghai "
        "(mon,tue,wed,thu,fri 08:30-21:00); next opening mon 2026-11-30 08:30"
    )

"""Working-day arithmetic on the shipped calendar: holiday blocks, 调休 Saturdays, admin edits."""

from __future__ import annotations

from datetime import date

import pytest

from core import calendar
from core.calendar import WorkCalendar
from core.db import Database
from core.messages import DomainError
from tests.support.bureau import People


def test_plain_weekends_without_data() -> None:
    cal = WorkCalendar()
    assert cal.add_workdays(date(2030, 3, 1), 1) == date(2030, 3, 4)  # Friday + 1 -> Monday
    assert cal.workdays_between(date(2030, 3, 1), date(2030, 3, 8)) == 5
    assert cal.missing_years(2030) == [2030]


def test_shipped_2026_national_day_block_and_makeup_days(db: Database) -> None:
    with db.session() as s:
        cal = calendar.load(s)
    assert cal.missing_years(2026, 2027) == []
    # 国庆 2026: 10-01..10-07 off; Sunday 09-20 and Saturday 10-10 are working days.
    assert not cal.is_workday(date(2026, 10, 1)) and not cal.is_workday(date(2026, 10, 7))
    assert cal.is_workday(date(2026, 9, 20))  # 调休 Sunday
    assert cal.is_workday(date(2026, 10, 10))  # 调休 Saturday
    assert cal.add_workdays(date(2026, 9, 30), 1) == date(2026, 10, 8)  # across the whole block
    assert cal.add_workdays(date(2026, 10, 9), 1) == date(2026, 10, 10)  # onto the 调休 Saturday
    assert cal.add_workdays(date(2026, 10, 9), 2) == date(2026, 10, 12)
    assert cal.workdays_between(date(2026, 9, 30), date(2026, 10, 12)) == 4  # 10-08, 10-09, 10-10, 10-12
    # 10 working days (平件) from 2026-09-18 (Friday): 9-20 (Sun, worked), 21..25 (25 is 中秋: off) ...
    assert cal.add_workdays(date(2026, 9, 18), 10) == date(2026, 10, 9)


def test_shipped_2026_spring_festival(db: Database) -> None:
    with db.session() as s:
        cal = calendar.load(s)
    assert cal.is_workday(date(2026, 2, 14))  # Saturday before the block
    assert not cal.is_workday(date(2026, 2, 16)) and not cal.is_workday(date(2026, 2, 23))
    assert cal.add_workdays(date(2026, 2, 13), 1) == date(2026, 2, 14)
    assert cal.add_workdays(date(2026, 2, 13), 2) == date(2026, 2, 24)
    assert cal.add_workdays(date(2026, 2, 27), 1) == date(2026, 2, 28)  # 调休 Saturday after the block


def test_2027_is_shipped_as_provisional(db: Database) -> None:
    with db.session() as s:
        years = {y.year: y for y in calendar.years(s)}
        assert years[2026].provisional is False
        assert years[2027].provisional is True
        cal = calendar.load(s)
    assert not cal.is_workday(date(2027, 2, 8))  # 初三, a Monday
    assert not cal.is_workday(date(2027, 10, 1))


def test_admin_edits_a_day_and_a_block(db: Database) -> None:
    with db.session() as s:
        admin = People(s).admin
        calendar.set_block(s, admin, date(2028, 10, 1), date(2028, 10, 7), name="国庆节",
                           makeup=[date(2028, 9, 30)])
        calendar.set_day(s, admin, date(2026, 10, 10), kind="normal", name="")
    with db.session() as s:
        cal = calendar.load(s)
        assert 2028 in cal.known_years
        assert cal.is_workday(date(2028, 9, 30))  # a Saturday made a working day
        assert not cal.is_workday(date(2028, 10, 2))
        assert not cal.is_workday(date(2026, 10, 10))  # back to a plain Saturday
        with pytest.raises(DomainError, match="节日名称"):
            calendar.set_day(s, People(s).admin, date(2028, 5, 2), kind="off", name="")
        with pytest.raises(DomainError, match="结束日期"):
            calendar.set_block(s, People(s).admin, date(2028, 5, 3), date(2028, 5, 1), name="劳动节")


def test_fast_count_matches_day_by_day(db: Database) -> None:
    import random
    from datetime import timedelta

    with db.session() as s:
        cal = calendar.load(s)
    rnd = random.Random(1)
    for _ in range(300):
        a = date(2015, 1, 1) + timedelta(days=rnd.randrange(0, 5000))
        b = a + timedelta(days=rnd.randrange(-400, 400))
        lo, hi = min(a, b), max(a, b)
        naive = sum(cal.is_workday(lo + timedelta(days=i)) for i in range(1, (hi - lo).days + 1))
        assert cal.workdays_between(a, b) == (naive if b >= a else -naive)

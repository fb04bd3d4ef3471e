"""UK time (Europe/London: BST in summer): the one clock every page and command gives its times in.

The team reads times off UK clocks, but the stores stamp them two ways: the ETL stamps a load with the clock of the
machine it runs on, zone unsaid (etl/loading.py: Python's now() and DuckDB's now()::TIMESTAMP), while the account
store stamps the audit log in UTC, with its offset (access/sqlite_file.py `now`). Each needs its own conversion; a
server kept on UTC showed a July load an hour before the team's clocks when a stamp was shown as stored.

Here, in etl, so that `etl status`, the analysis layer and the dashboard share it (etl imports neither of the others).
"""
from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

UK_TIME = ZoneInfo("Europe/London")
LABEL = "UK time"      # said wherever such a time is shown: the stores' stamps are not all on that clock


def local_to_uk(stamp: dt.datetime) -> dt.datetime:
    """A load's stamp (the ETL machine's local clock, no zone) as UK clocks read it, without a zone so that a
    table shows it as it is. The pages and commands run on the machine the ETL writes from, so the stamp is read as
    its local time (astimezone of a naive time); a machine on UK time changes nothing."""
    return stamp.astimezone(UK_TIME).replace(tzinfo=None)


def utc_to_uk(stamp: dt.datetime | str) -> dt.datetime:
    """An audit-log stamp (UTC, ISO text with its offset) as UK clocks read it, without a zone. A stamp without an
    offset is taken as UTC, as the store writes it, not as the machine's clock."""
    at = dt.datetime.fromisoformat(stamp) if isinstance(stamp, str) else stamp
    if at.tzinfo is None:
        at = at.replace(tzinfo=dt.timezone.utc)
    return at.astimezone(UK_TIME).replace(tzinfo=None)


def uk_day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of `day` on UK clocks, with its zone: a "since" date picked beside UK times counts
    from the UK's midnight (23:00 UTC the day before, in summer), so what is listed agrees with what is shown."""
    return dt.datetime.combine(day, dt.time(), UK_TIME)


def uk_today() -> dt.date:
    """Today's date on UK clocks (on a UTC machine, the UK's date from midnight BST, an hour before the machine's)."""
    return dt.datetime.now(UK_TIME).date()

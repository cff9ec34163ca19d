"""Reports (SPEC §9): the daily dispatch, the weekly and monthly report, summary sentences.

Every function takes a connection and the instant or period it reports on; none reads
the clock, and none selects personal data.
"""

from reports.dispatch import Dispatch, daily_dispatch
from reports.markdown import dispatch_markdown, report_markdown
from reports.periodic import Report, report
from reports.periods import Period, day_of, month_before, week_before

__all__ = [
    "Dispatch",
    "Period",
    "Report",
    "daily_dispatch",
    "day_of",
    "dispatch_markdown",
    "month_before",
    "report",
    "report_markdown",
    "week_before",
]

"""The demo data set (演示数据): Anshan (鞍山) in the second central inspection round.

``load`` registers the 534 complaint cases of the Anshan notice, district by district
(SPEC §11), and a dozen rectification tasks, in bulk in one transaction; it then plays
each item's life through ``fire`` and ``update_item`` as its users would, so that the
history chains, clocks and outbox rows are the product's own. Everything is drawn from
seeded generators and placed relative to ``at`` (assignments over the previous 90 days,
office hours on working days): the same ``at`` gives the same data, and a sweep at ``at``
finds overdue items to escalate and ended notice periods to close.

The texts are invented but modelled on the Anshan notice and the kinds of complaint the
inspection teams hand over; names and phone numbers are random, not real people's.
"""

from rectiflow.demo.lives import plan
from rectiflow.demo.loading import load
from rectiflow.demo.texts import CASES

__all__ = ["CASES", "load", "plan"]

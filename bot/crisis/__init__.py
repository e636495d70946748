"""Crisis communication: spikes in a topic's volume, leads' sign-off, the holding statement.

- `spikes`: is a topic's volume in the last window far above its weekly baseline?
- `policy`: who must sign what, and the spike rule, as one value for the desk;
- `statement`: the holding statement in German (Du and Sie) and English, from the
  guidelines' crisis clause and the `holding_statement` standard replies, and each
  customer's personal reply built from it.
"""

from bot.crisis.policy import CRISIS_LABEL, CrisisPolicy
from bot.crisis.spikes import SpikeRule, SpikeSignal, detect
from bot.crisis.statement import Statement, StatementText, draft_statement, personal_reply

__all__ = [
    "CRISIS_LABEL",
    "CrisisPolicy",
    "SpikeRule",
    "SpikeSignal",
    "Statement",
    "StatementText",
    "detect",
    "draft_statement",
    "personal_reply",
]

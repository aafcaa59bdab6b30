"""The quality score behind the leaderboard: what calls achieve, not how many were made.

Misconception 1 is that the busiest dialer is the most productive. A leaderboard that ranks dials teaches exactly
that, so ours ranks quality. A rep's score for a period is made of two kinds of points.

**Result points**: what the calls achieved.

| for each | points |
|---|---|
| meeting booked | 10 |
| conversation with the decision maker | 5 |
| other conversation (connected, callback, not interested, wrong person) | 2 |

A meeting is a conversation too, so a meeting booked with the decision maker earns 10 + 5 = 15.

**Effort points**: the habits that lead to results.

| for each | points |
|---|---|
| researched call | 0.5 |
| follow-up attempt: the 2nd to 6th call on a lead | 1 |
| dial, counting at most 40 a day | 0.1 |

**Effort counts only as far as results go**: effort points are capped at the result points, so effort can at most
double a score and never makes one on its own. A rep with no conversation scores 0 however many calls they make,
and one lucky conversation can't carry hundreds of dials up the board.

    score = result points + the smaller of (effort points, result points)

Why these choices:

- Dials count at most 40 per rep per day (UTC calendar day), and only for a rep with at least one conversation in
  the period: otherwise dialing alone would earn a place on the board, the very lesson it is there to unteach.
- Follow-ups reward persistence (misconception 2: 93% of converted leads were reached by the 6th call, Velocify).
  Calls beyond the 6th on a lead add nothing: more than 7 calls made conversion 45% less likely. Because follow-ups
  are effort, they are capped by the result points like research and dials: 60 unanswered follow-up calls score 0,
  while 2 meetings from 10 researched calls score 24 + 6 = 30.
- Research is rewarded per researched call; the cap keeps a rep from earning points by ticking "+research" on
  calls that go nowhere.
- Ties share a position; within a tie reps are listed by Slack user id, so the order is stable.

Every weight, the daily dial cap and the effort cap are our defaults, not findings, and a team can change them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

# The same field/validation helpers as CoachSettings, so both read and reject a team's JSON the same way.
from coaching.metrics import connect_rate
from coaching.settings import Thresholds, _setting

#: Scores are sums of fractional weights; rounding makes equal work compare equal (0.1 * 3 != 0.3 in floats).
_PRECISION = 6


@dataclass(frozen=True, slots=True)
class QualitySettings(Thresholds):
    """The weights of the quality score, the daily dial cap and the effort cap. All are our defaults."""

    meeting_points: float = _setting(10.0, "Points for each meeting booked (on top of its conversation points).")
    decision_maker_points: float = _setting(5.0, "Points for each conversation with the decision maker.")
    conversation_points: float = _setting(2.0, "Points for each other conversation.")
    researched_call_points: float = _setting(0.5, "Effort points for each call made after research.")
    followup_points: float = _setting(1.0, "Effort points for each follow-up attempt (2nd call up to the target).")
    dial_points: float = _setting(
        0.1, "Effort points for each dial, up to the daily cap, for reps with a conversation."
    )
    daily_dial_cap: int = _setting(40, "Dials per rep per day (UTC) that can earn dial points.", low=1)
    effort_cap: float = _setting(
        1.0, "Effort points count up to this many times the result points (1: at most double)."
    )


@dataclass(frozen=True, slots=True)
class RepFigures:
    """What one rep's calls in a period add up to: the inputs of the score.

    `capped_dials` is the sum over days of min(dials that day, the daily cap); `followup_attempts` counts calls
    that were attempt 2 up to the target on their lead.
    """

    user_id: str
    dials: int = 0
    capped_dials: int = 0
    conversations: int = 0
    dm_conversations: int = 0
    meetings: int = 0
    researched_calls: int = 0
    followup_attempts: int = 0

    def __post_init__(self) -> None:
        # Each count is a subset of the calls: a violation means the query that produced it is wrong.
        parts = {
            "capped_dials": self.capped_dials,
            "conversations": self.conversations,
            "researched_calls": self.researched_calls,
            "followup_attempts": self.followup_attempts,
        }
        for name, value in {**parts, "dials": self.dials}.items():
            if value < 0:
                raise ValueError(f"{self.user_id}: {name} is negative ({value})")
        for name, value in parts.items():
            if value > self.dials:
                raise ValueError(f"{self.user_id}: {name} ({value}) exceeds dials ({self.dials})")
        if self.dm_conversations > self.conversations or self.meetings > self.conversations:
            raise ValueError(f"{self.user_id}: more decision-maker conversations or meetings than conversations")

    @property
    def other_conversations(self) -> int:
        """Conversations with someone other than the decision maker."""
        return self.conversations - self.dm_conversations

    @property
    def connect_rate(self) -> float | None:
        """Conversations per dial (`coaching.metrics.connect_rate`); None without dials."""
        return connect_rate(self.conversations, self.dials)


@dataclass(frozen=True, slots=True)
class Points:
    """A score taken apart: what a rep can be shown to explain their place."""

    results: float
    effort: float
    #: The effort points that count: effort capped at `effort_cap` times the results.
    counted_effort: float

    @property
    def score(self) -> float:
        """Results plus the effort that counts."""
        return round(self.results + self.counted_effort, _PRECISION)


@dataclass(frozen=True, slots=True)
class Ranked:
    """One line of the leaderboard. Tied reps share a position (1, 1, 3)."""

    position: int
    figures: RepFigures
    score: float


def points(figures: RepFigures, settings: QualitySettings) -> Points:
    """The result points, effort points and the effort that counts, as the module docstring defines them."""
    results = (
        settings.meeting_points * figures.meetings
        + settings.decision_maker_points * figures.dm_conversations
        + settings.conversation_points * figures.other_conversations
    )
    # Dials never count on their own: without a conversation, dialing alone would earn a place.
    dials = settings.dial_points * figures.capped_dials if figures.conversations else 0.0
    effort = (
        settings.researched_call_points * figures.researched_calls
        + settings.followup_points * figures.followup_attempts
        + dials
    )
    return Points(
        results=round(results, _PRECISION),
        effort=round(effort, _PRECISION),
        counted_effort=round(min(effort, settings.effort_cap * results), _PRECISION),
    )


def score(figures: RepFigures, settings: QualitySettings) -> float:
    """The rep's quality score: result points plus effort points up to the effort cap."""
    return points(figures, settings).score


def rank(figures: Iterable[RepFigures], settings: QualitySettings) -> list[Ranked]:
    """The leaderboard: highest score first, ties sharing a position, then by user id for a stable order."""
    scored = sorted(((score(f, settings), f) for f in figures), key=lambda pair: (-pair[0], pair[1].user_id))
    board: list[Ranked] = []
    for index, (value, rep) in enumerate(scored):
        tied = board and board[-1].score == value
        board.append(Ranked(position=board[-1].position if tied else index + 1, figures=rep, score=value))
    return board

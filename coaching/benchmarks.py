"""Published figures the rep's own numbers are set beside. These are facts, not thresholds: not configurable.

Sources and grades are in the evidence notes (A peer-reviewed, B large vendor dataset, C survey/marketing).
"""

from __future__ import annotations

#: Average connect rate, conversations per dial, over 300M+ cold calls (Gong/30MPC 2024, B).
CONNECT_RATE_AVERAGE = 0.054
#: Connect rate of the top quartile of reps, from better lists rather than more dials (Gong/30MPC 2024, B).
CONNECT_RATE_TOP_QUARTILE = 0.133
#: Attempts after which reps typically stop on an unreached lead: widely cited (InsideSales audits ~2012, C).
WIDELY_CITED_ATTEMPTS = 1.3
#: By which call 93% of converted leads had been reached (Velocify, 3.5M leads, B).
CONVERTED_REACHED_BY_CALL = 6

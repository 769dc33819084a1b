"""Pure analytics on wide frames of daily closes (sessions as rows, one column per ticker).

``returns``: trailing windows and returns since a date; ``baskets``: equal-weight baskets;
``rotation``: lead-vs-lag pairs; ``rrg``: relative rotation on weekly closes; ``leaders``:
leaderboards, highs and streaks; ``breadth``: members above their moving averages.
"""

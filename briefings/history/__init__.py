"""History: where a figure stands in its own past, the regime's age, analogs and participation.

The rule (docs/methodology.md, "Rank in history"). A figure is a function of closes over a
window, e.g. a pair's 1M spread x_t = r_lead(t) - r_lag(t), each window measured from its base
session exactly as ``briefings.analytics.returns`` does. Its history is its value at every
session t of the data (overlapping windows), computed once per data version, vectorised.

At session T the sample is every x_t with t <= T (never a later close) since the sample's start
(the first session with a value, or a given date: 2023-01-01 for index members' figures, whose
history is that short and has one weight snapshot; they get no analogs). With N observations:

- percentile   = 100 * #{t: x_t <= x_T} / N
- top share    = 100 * #{t: x_t >= x_T} / N  ("top 6 %" of the sample)
- bottom share = 100 * #{t: x_t <= x_T} / N
- the direction is the sign of x_T: a lead (x_T >= 0) is ranked among highs, a lag among lows;
- widest since = the last session s < T with x_s at least as extreme in that direction
  (x_s >= x_T for a lead, x_s <= x_T for a lag); none means x_T is the sample's extreme.
"""

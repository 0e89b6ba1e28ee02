"""Whether a dashboard row's ``stat`` is a statistic CloudWatch computes (exit check 7's tile rule).

A metric row whose statistic CloudWatch does not know (``"Averag"``, ``"p99.9x"``) draws no data:
the tile is there, the series is published, and nothing is shown. The grammar is CloudWatch's
"Statistics definitions" page (docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/Statistics-definitions.html):
the five standard statistics, ``IQM``, ``pNN`` percentiles and the trimmed mean (TM), winsorized mean (WM),
trimmed count (TC), trimmed sum (TS) and percentile rank (PR). Numbers are 0-100 with up to ten decimals
(percentiles and the single-number forms; percentage bounds), or any number (absolute bounds).
"""

from __future__ import annotations

import re

#: GetMetricData's standard statistics (the API's ``Statistic`` enum: exactly these spellings) and the IQM.
STANDARD = frozenset({"SampleCount", "Average", "Sum", "Minimum", "Maximum", "IQM"})
#: A number with up to ten decimals ("0 to 100, up to 10 decimal places").
_NUMBER = r"\d+(?:\.\d{1,10})?"
#: ``p99``, ``p99.9``, ``tm90``, ``wm98``, ``tc90``, ``ts90``: one number, a percentage of 0-100. PR has no such form.
_SINGLE = re.compile(rf"(?P<kind>p|tm|wm|tc|ts)(?P<value>{_NUMBER})", re.IGNORECASE)
#: ``TM(2%:98%)``, ``TM(150:1000)``, ``TS(80%:)``, ``PR(:300)``: a lower and/or an upper bound.
_PAIR = re.compile(r"(?P<kind>tm|wm|tc|ts|pr)\((?P<lower>[^:()]*):(?P<upper>[^:()]*)\)", re.IGNORECASE)
_BOUND = re.compile(rf"(?P<value>-?{_NUMBER})(?P<percent>%?)")

STATISTIC_RULE = (
    "A row counts only if CloudWatch computes its statistic (the row's `stat`, else the widget's, else Average; "
    "CloudWatch's statistics definitions): SampleCount, Average, Sum, Minimum, Maximum or IQM as spelled; a "
    "percentile pNN (0-100, up to ten decimals: p99.9); tmNN, wmNN, tcNN, tsNN; or TM, WM, TC, TS, PR with bounds "
    "(a:b), either side may be empty but not both, both percentages (0-100 %) or both absolute, lower below "
    "upper. A tile with a statistic CloudWatch does not compute draws no data: it is listed, not counted."
)


#: Statistics whose value is no amount of the metric: a number of datapoints (SampleCount, trimmed counts) or the
#: percentage of datapoints in a range (percentile rank). Compared with a threshold in the metric's unit, they
#: compare something else (lower case kinds, as ``statistic_kind`` gives them).
COUNTING_KINDS = {
    "samplecount": "a sample count: how many datapoints the period has",
    "tc": "a trimmed count: how many datapoints fall in the range",
    "pr": "a percentile rank: the percentage of datapoints in the range",
}


def statistic_kind(stat: str) -> str | None:
    """The kind of a statistic CloudWatch computes, lower case (``maximum``, ``p``, ``tc``, ``pr``); None: unknown."""
    if statistic_problem(stat) is not None:
        return None
    if stat in STANDARD:
        return stat.lower()
    match = _SINGLE.fullmatch(stat) or _PAIR.fullmatch(stat)
    return match["kind"].lower() if match is not None else None


def _bound(text: str) -> tuple[float, bool] | None | str:
    """A bound's value and whether it is a percentage; None when empty; a reason when malformed."""
    text = text.strip()
    if not text:
        return None
    match = _BOUND.fullmatch(text)
    if match is None:
        return f"bound {text!r} is not a number (up to ten decimals) or a percentage"
    value, percent = float(match["value"]), bool(match["percent"])
    if percent and not 0 <= value <= 100:
        return f"bound {text!r} is not a percentage of 0 to 100"
    return value, percent


def statistic_problem(stat: str) -> str | None:
    """Why CloudWatch computes no statistic ``stat`` (None: it does)."""
    if stat in STANDARD:
        return None
    spelled = next((s for s in STANDARD if s.lower() == stat.lower()), None)
    if spelled is not None:
        return f"{stat!r} is not spelled as CloudWatch's statistic is ({spelled})"
    single = _SINGLE.fullmatch(stat)
    if single is not None:
        value = float(single["value"])
        return None if 0 <= value <= 100 else f"{stat!r}: {single['kind']} takes a percentage of 0 to 100"
    pair = _PAIR.fullmatch(stat)
    if pair is None:
        return (
            f"{stat!r} is no CloudWatch statistic (SampleCount, Average, Sum, Minimum, Maximum, IQM, pNN, "
            "tmNN/wmNN/tcNN/tsNN, or TM/WM/TC/TS/PR(lower:upper))"
        )
    lower, upper = _bound(pair["lower"]), _bound(pair["upper"])
    for bound in (lower, upper):
        if isinstance(bound, str):
            return f"{stat!r}: {bound}"
    if lower is None and upper is None:
        return f"{stat!r} names neither bound"
    if isinstance(lower, tuple) and isinstance(upper, tuple):
        if lower[1] != upper[1]:
            return f"{stat!r} mixes a percentage and an absolute bound"
        if lower[0] >= upper[0]:
            return f"{stat!r}: the lower bound is not below the upper one (an empty range)"
    return None

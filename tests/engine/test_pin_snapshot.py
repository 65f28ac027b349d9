"""A pinned metric window over a service with no traffic has no latency (NaN): the pin is still
stored, as strict JSON, with the missing figures as null."""

import json
import math

from dojo.engine.session import _json_safe


def test_non_finite_figures_become_null_and_the_rest_is_kept():
    snap = {"t": 12.0, "stats": {"mean": math.nan, "max": math.inf, "min": 3.5}, "points": [[1, -math.inf], [2, 4.0]]}
    safe = _json_safe(snap)
    assert safe == {"t": 12.0, "stats": {"mean": None, "max": None, "min": 3.5}, "points": [[1, None], [2, 4.0]]}
    json.dumps(safe, allow_nan=False)  # raises if anything non-finite is left

"""Hypothesis profiles for the robustness tests (imported by each test module).

`ci` (the default) keeps example counts small so `pytest -q` stays fast on a shared machine;
`LB6_SOAK=1` selects `soak`, with many more examples and longer event sequences.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=30, deadline=None, stateful_step_count=25, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "soak", max_examples=600, deadline=None, stateful_step_count=80,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

SOAK = os.environ.get("LB6_SOAK") == "1"
PROFILE = "soak" if SOAK else "ci"


def examples(ci: int, soak: int) -> settings:
    """Settings for one test: `ci` examples by default, `soak` under LB6_SOAK=1."""
    return settings(settings.get_profile(PROFILE), max_examples=soak if SOAK else ci)

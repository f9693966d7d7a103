"""Test-suite settings.

Under CI (``CI`` set in the environment) hypothesis runs derandomized, so a landing never
depends on which examples a random seed happened to draw; locally it explores new examples
on every run.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, deadline=None)
settings.register_profile("dev", deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

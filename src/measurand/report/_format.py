"""Old name of :mod:`measurand.report.format`, kept only while open branches merge.

Import from ``measurand.report.format``; this alias is removed once no module uses it.
"""

from measurand.report.format import *  # noqa: F403
from measurand.report.format import __all__  # noqa: F401

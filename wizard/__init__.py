"""ejabberd-wizard's core: the answers model, presets, renderers and the plan.

Nothing in this package imports a user interface; the front ends in ``screens/``
present and edit what lives here.
"""

__version__ = "0.1.0"

from pathlib import Path

# Where a deployment is written when no --out is given: defined here, light to import,
# because the command line's startup must not load the answers model to name it.
DEFAULT_OUT = Path("ejabberd-deploy")

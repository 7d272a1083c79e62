"""ejabberd-wizard's core: a preset and answers in, the files of a deployment out, written safely.

The packages follow the flow: ``answers`` (the model and the answers being edited),
``ejabberd_yml`` and ``files`` (what each file says), ``deployment`` (the plan against the
disk, and applying it), with ``checks`` and ``verify`` judging the machine and the server.
Nothing in this package imports a user interface; the front ends in ``screens/`` and the
command line (``cli``, the only module that prints) present and edit what lives here.
"""

__version__ = "0.1.0"

from pathlib import Path

# Where a deployment is written when no --out is given: defined here, light to import,
# because the command line's startup must not load the answers model to name it.
DEFAULT_OUT = Path("ejabberd-deploy")

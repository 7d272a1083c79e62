"""ejabberd-wizard's core: the answers model, presets, renderers and the plan.

Nothing in this package imports a user interface; the front ends in ``screens/``
present and edit what lives here.
"""

__version__ = "0.1.0"

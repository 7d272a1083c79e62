"""The front ends: the Textual wizard (``app``) and the line-by-line plain mode (``plain``).

They only present and edit the core's model (``wizard.answers.draft.Draft``); all logic
lives in ``wizard/``.
"""

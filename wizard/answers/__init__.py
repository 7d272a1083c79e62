"""The answers: their model, the questions that ask them, and the answers being edited.

``model`` (with ``sections`` and ``values``) is the typed, versioned model of every choice a
deployment needs; ``catalogue`` asks it as questions, ``validators`` and ``field_messages``
judge and word what the user typed; ``given`` reads answers files and ``migrations`` brings
older ones up to date; ``build`` turns a preset and what was given into validated answers and
back into wizard.yml; ``draft`` holds them while a front end edits them.
"""

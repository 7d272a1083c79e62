"""ejabberd.yml, declared once: the option map, and the render, import, audit and merge that read it.

``options`` is the map (one entry per option the wizard owns); ``render`` folds it over the
answers into a document, ``read`` and its helpers fold a file back into answers, and
``audit`` holds the rules the security check judges a file by. The merge engine
(``merge``, ``splice``, ``macros``, ``yamltext``) writes a rendering onto a hand-edited file.
"""

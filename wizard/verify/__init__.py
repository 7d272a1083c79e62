"""``ejabberd-wizard verify``: a compliance tester that logs in as a real client.

One test per suite item (``suites.ITEMS``), run against the live server with a
real XMPP session (``client``), real HTTP requests (``web``) and real DNS
lookups (``resolver``), on the server under test (``context.ServerUnderTest``); ``run.verify``
runs them, with the settings ``command.settings_for`` checks (the command line: wizard.cli_commands).
"""

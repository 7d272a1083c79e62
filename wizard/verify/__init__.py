"""``ejabberd-wizard verify``: a compliance tester that logs in as a real client.

One test per suite item (``suites.ITEMS``), run against the live server with a
real XMPP session (``client``), real HTTP requests (``web``) and real DNS
lookups (``resolver``); ``command.run_verify`` is the command line's entry.
"""

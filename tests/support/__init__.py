"""Test harness for running real components (ejabberd, MariaDB, XMPP clients).

Modules:
    components   -- locating required binaries, free loopback ports
    certs        -- throwaway self-signed certificates
    ejabberd_node -- localizing generated configs and running private ejabberd nodes
    mariadb      -- a private MariaDB server on loopback
    xmpp_client  -- a minimal slixmpp client for login + service discovery
    fixtures     -- pytest fixtures wiring the above together
"""

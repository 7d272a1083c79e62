"""Local-state checks: does this machine match the answers? Ports, certificates, DNS, environment, config.

Every check reads the same ``Answers`` the renderers use and returns ``Finding`` objects;
each finding says what is wrong and exactly what to do about it (a command, a config line,
a DNS record). The command line is ``ejabberd-wizard check`` (wizard.cli_commands); the TUI runs
the checks of one step at a time in a worker.

API::

    from wizard.checks import Finding, Severity, run_checks, run_checks_async, checks_for_step

    findings: list[Finding] = run_checks(
        answers,                      # wizard.answers.model.Answers
        only={"dns", "certs"},        # groups: ports, certs, dns, env, config (None: all)
        steps={"domains"},            # wizard steps whose findings are wanted (None: all)
        nameserver="127.0.0.1:5353",  # str "HOST[:PORT]" or Nameserver; None: the system's resolvers
        timeout=3.0,                  # seconds, per DNS query and per database connection
        out=Path("ejabberd-deploy"),  # the deployment directory (its config, its password file)
    )
    findings = await run_checks_async(answers, steps={"domains"})  # same, on a running event loop
    checks_for_step("tls")            # -> frozenset({"certs"}): the groups with checks for that step

``run_checks`` blocks (it runs its own event loop): call it from a thread worker
(``@work(thread=True)``). ``run_checks_async`` is for an async worker (``@work()``): DNS runs on
the loop and every blocking check in a thread of its own, so typing never waits for a check;
cancelling the worker cancels the lookups. ``InputError`` is raised for a bad ``nameserver``
or group name.

Finding fields (all strings in ``to_dict()``, the JSON output's stable keys):

* ``check``    stable id, e.g. ``dns.srv.xmpp-client``, ``certs.expiry``, ``ports.in_use``
* ``group``    ports | certs | dns | env | config
* ``step``     the wizard step it is about: install, domains, ports, tls, upload, database,
               compliance, security, service (the ``step`` of the model's questions)
* ``severity`` ``Severity``: ok | info | warning | error (``Severity.rank`` orders them)
* ``subject``  what it is about: a domain, a port, a file (with line), a program
* ``message``  what was found
* ``fix``      what to do: a command, a config line or a DNS record; may be empty for ok

Modules: ``core`` (Finding, Severity, Context, Checker), ``runner``, one module per group
(``ports``, ``certificates``, ``dns`` with ``lookup``, ``environment`` with ``installation``,
``config`` with ``beam``), ``report`` (text and JSON) and ``command`` (what the check command reads).
"""

from wizard.checks.core import DEFAULT_TIMEOUT, GROUPS, Finding, Nameserver, Severity
from wizard.checks.runner import checks_for_step, run_checks, run_checks_async

__all__ = [
    "DEFAULT_TIMEOUT", "GROUPS", "Finding", "Nameserver", "Severity",
    "checks_for_step", "run_checks", "run_checks_async",
]

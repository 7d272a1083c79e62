"""Reading a config's security: who may register, how passwords are kept, the admin, the database."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from wizard.ejabberd_yml.parts import KEPT
from wizard.ejabberd_yml.parts import line_of as _line
from wizard.ejabberd_yml.parts import options_of as _options
from wizard.ejabberd_yml.parts import plain_value as _value
from wizard.ejabberd_yml.reader import Reader
from wizard.ejabberd_yml.registration import who_may_register

SQL_OPTIONS = (("sql_server", "server"), ("sql_port", "port"), ("sql_database", "name"),
               ("sql_username", "user"), ("sql_pool_size", "pool_size"))
SECRET = ("a secret is never an answer: put the password into database.password_file (mode 0600) "
          "or, for my_print_defaults, into ~/.my.cnf; " + KEPT)
LOOPBACK_REGISTRATION = ("modules.mod_register.ip_access: trusted_network lets every program on this machine register "
                         "accounts, and on shared hosting every user of the host; read as security.registration: "
                         "loopback, answer closed to close it")


def _said_at(registration: str, modules: Mapping[str, Any], options: Mapping[str, Any]) -> tuple[Any, str]:
    """Where the file says the answer: behind a CAPTCHA, at captcha_protected; else at the module."""
    return (options, "captcha_protected") if registration == "captcha" else (modules, "mod_register")


class SecurityReading(Reader):
    def read_registration(self) -> None:
        modules = self.modules
        if modules is None:
            return
        if "mod_register" not in modules:
            # No in-band registration at all: accounts are made by the admin only.
            self.put("security.registration", "closed", modules, None)
            return
        options = _options(modules["mod_register"])
        registration = who_may_register(options, self.config, lambda value: self.macros.get(value, value)
                                        if isinstance(value, str) else value)
        if registration == "captcha" and "captcha_cmd" not in self.config:
            self.keep("modules.mod_register.captcha_protected", f"a CAPTCHA without captcha_cmd; {KEPT}",
                      _line(options, "captcha_protected"), ("security.registration",))
        elif registration is None:
            self.keep("modules.mod_register",
                      f"who may register depends on access rules the wizard does not write; {KEPT}",
                      _line(modules, "mod_register"), ("security.registration",))
        elif self.put("security.registration", registration, *_said_at(registration, modules, options),
                      "modules.mod_register") and registration == "loopback":
            self.cautions.append((_line(options, "ip_access"), LOOPBACK_REGISTRATION))

    def read_password_format(self) -> None:
        config = self.config
        # Absent, ejabberd keeps passwords in plain text.
        password_format = self.get(config, "auth_password_format", "plain")
        if password_format in ("scram", "plain"):
            self.put("security.scram", password_format == "scram", config, "auth_password_format",
                     "auth_password_format")
        else:
            self.keep("auth_password_format", f"{password_format!r}: the wizard writes scram or nothing; {KEPT}",
                      _line(config, "auth_password_format"), ("security.scram",))

    def read_admin(self) -> None:
        admin = _options(_options(self.config.get("acl")).get("admin"))
        if "user" not in admin:
            return
        users = self.get(admin, "user")
        users = users if isinstance(users, list) else [users]
        local, _, domain = str(users[0]).partition("@") if len(users) == 1 else ("", "", "")
        if domain and domain == next(iter(self.hosts), None):
            self.put("service.admin_user", local, admin, "user", "acl.admin.user")
        else:
            self.keep("acl.admin.user", f"the wizard writes one admin account on the main domain; {KEPT}",
                      _line(admin, "user"), ("service.admin_user",))

    def read_database(self) -> None:
        config = self.config
        sql_type = self.get(config, "sql_type")
        if sql_type is None:
            self.put("database.backend", "mnesia", config, None)
        elif sql_type == "mysql":
            self.put("database.backend", "mysql", config, "sql_type", "sql_type")
            for option, answer in SQL_OPTIONS:
                if option in config:
                    self.put(f"database.{answer}", self.get(config, option), config, option, option)
            schema = "sql_schema_multihost" if "sql_schema_multihost" in config else "new_sql_schema"
            # Without the option ejabberd expects the old, one-host-per-database schema.
            self.put("database.new_schema", self.get(config, schema, False), config, schema, schema)
        else:
            self.keep("sql_type", f"{sql_type!r}: the wizard writes MySQL/MariaDB or Mnesia only; {KEPT}",
                      _line(config, "sql_type"), ("database.backend",))
        if "sql_password" in config:
            self.keep("sql_password", SECRET, _line(config, "sql_password"))
        expected = "sql" if sql_type == "mysql" else "internal"
        method = _value(self.get(config, "auth_method", "internal"))
        if method == expected:
            self.mapped.add("auth_method")
        else:
            self.keep("auth_method", f"{method!r}: with this database the wizard writes {expected!r}; {KEPT}",
                      _line(config, "auth_method"))

"""Config: an existing ejabberd.yml (the deployment's and the live one) parses, and names only
options and modules the target release knows; deprecated ones are named with their replacement.

When the ejabberd installed here is the target release, its own compiled option modules say
what it accepts (see ``beam``); otherwise the release table's renames do. What replaces a
deprecated or removed name comes from ejabberd's release notes and its config transformer,
in the tables below.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedBase

from wizard.checks.beam import BeamError, exported_names
from wizard.checks.core import Checker, Context, Finding, Severity, finder
from wizard.ejabberd_yml.config_file import load_config, read_config_text
from wizard.errors import FileError
from wizard.installation import Installation, find
from wizard.releases import Capabilities, Release, capabilities

found = finder("config", "install")


def located(path: Path, node: Any, key: Any, dotted: str) -> str:
    """``file:line: dotted.key`` for a key of a config read with ruamel (the line when it is known)."""
    line = None
    if isinstance(node, CommentedBase):
        try:
            line = node.lc.key(key)[0] + 1
        except (KeyError, TypeError, AttributeError):
            line = None
    return f"{path}:{line}: {dotted}" if line else f"{path}: {dotted}"


@dataclass(frozen=True)
class Replacement:
    instead: str  # what to write instead
    accepted: bool  # ejabberd still takes the old name (converting it, with a warning in its log)
    since: str | None = None  # the release that deprecated it, when the old name is still valid before


GLOBAL_OPTIONS = {
    "module": Replacement("modules", accepted=False),
    "domain_certfile": Replacement("certfiles", accepted=True),
    "c2s_certfile": Replacement("certfiles", accepted=True),
    "s2s_certfile": Replacement("certfiles", accepted=True),
    "captcha_host": Replacement("captcha_url", accepted=True),
    "log_rate_limit": Replacement("log_burst_limit_count and log_burst_limit_window_time", accepted=False),
    "extauth_cache": Replacement("auth_use_cache and auth_cache_life_time", accepted=True),
    "s2s_default_policy": Replacement("s2s_access with an access rule", accepted=True),
    "outgoing_s2s_options": Replacement("outgoing_s2s_families and outgoing_s2s_timeout", accepted=True),
    "s2s_dns_options": Replacement("s2s_dns_timeout and s2s_dns_retries", accepted=True),
}
MODULES = {
    "mod_http_bind": Replacement("mod_bosh", accepted=True),
    "mod_irc": Replacement("nothing: the IRC transport was removed (biboumi is one instead)", accepted=True),
}
MODULE_OPTIONS = {
    "host": Replacement("hosts (a list)", accepted=True),
    "iqdisc": Replacement("nothing: it was removed", accepted=False),
}
LISTENER_OPTIONS = {
    "certfile": Replacement("the global certfiles", accepted=True),
    "captcha": Replacement('request_handlers: {"/captcha": ejabberd_captcha}', accepted=True),
    "web_admin": Replacement('request_handlers: {"/admin": ejabberd_web_admin}', accepted=True),
    "http_bind": Replacement('request_handlers: {"/bosh": mod_bosh}', accepted=True),
    "register": Replacement('request_handlers: {"/register": mod_register_web}', accepted=True),
}
# Sections whose keys are themselves top-level options, per host.
PER_HOST = ("host_config", "append_host_config")


@dataclass
class Known:
    """What one installed release accepts: global options, modules and each module's options."""

    installation: Installation
    contrib: list[Path] = field(default_factory=list)  # ebin directories of contributed modules

    @cached_property
    def options(self) -> frozenset[str]:
        return frozenset(exported_names(self.installation.ebin / "ejabberd_option.beam"))

    @cached_property
    def modules(self) -> frozenset[str]:
        directories = [self.installation.ebin, *self.contrib]
        return frozenset(beam.stem for directory in directories for beam in directory.glob("*.beam"))

    def module_options(self, module: str) -> frozenset[str] | None:
        """None when the module has no generated option list (then its options are not checked)."""
        beam = self.installation.ebin / f"{module}_opt.beam"
        if not beam.is_file():
            return None
        return frozenset(exported_names(beam))


@dataclass
class Walk:
    """One config file being judged: where it is, against what, and what was found so far."""

    path: Path
    known: Known | None
    target: Capabilities
    findings: list[Finding] = field(default_factory=list)

    @property
    def release(self) -> Release:
        return self.target.release

    def where(self, node: Any, key: Any, dotted: str) -> str:
        return located(self.path, node, key, dotted)

    def report(self, subject: str, name: str, what: str, replacement: Replacement | None,
               candidates: frozenset[str] | None) -> None:
        """An old or unknown name: a warning when ejabberd still takes it, an error when it refuses to start."""
        known_here = candidates is not None and name in candidates
        if replacement and replacement.since and self.release < Release.parse(replacement.since):
            replacement = None  # deprecated only in a later release than this one
        if known_here and replacement is None:
            return
        if replacement is not None and (known_here or replacement.accepted):
            self.findings.append(found("config.deprecated", Severity.WARNING, subject,
                                       f"{what} {name} is deprecated", f"use {replacement.instead} instead"))
            return
        if replacement is not None:
            self.findings.append(found("config.unknown", Severity.ERROR, subject,
                                       f"{what} {name} is not known to ejabberd; it refuses to start",
                                       f"use {replacement.instead} instead"))
            return
        if candidates is None:
            return  # nothing to compare with
        close = difflib.get_close_matches(name, sorted(candidates), n=1, cutoff=0.75)
        fix = f"did you mean {close[0]}?" if close else f"remove {name}"
        self.findings.append(found("config.unknown", Severity.ERROR, subject,
                                   f"{what} {name} is not known to ejabberd {self.release}; it refuses to start", fix))

    def renamed(self, subject: str, name: str) -> bool:
        """An option the release table renamed: too new a name for the target, or one it replaced."""
        if name in (later := self.target.unknown_names):
            before, since = later[name]
            self.findings.append(found("config.unknown", Severity.ERROR, subject,
                                       f"option {name} is not known to ejabberd {self.release} (it came with {since}); "
                                       "it refuses to start", f"use {before} instead"))
            return True
        if name in (replaced := self.target.old_names):
            instead, since = replaced[name]
            self.findings.append(found("config.deprecated", Severity.WARNING, subject,
                                       f"option {name} is deprecated since ejabberd {since}", f"use {instead} instead"))
            return True
        return False


def _announced_stun(walk: Walk, document: Mapping[str, Any]) -> None:
    """STUN services that mod_stun_disco announces on this server's own hosts need an
    ejabberd_stun listener on their port (the Uberspace guide announces them without one):
    clients would try to reach a port where nothing answers."""
    modules = document.get("modules")
    disco = modules.get("mod_stun_disco") if isinstance(modules, Mapping) else None
    services = disco.get("services") if isinstance(disco, Mapping) else None
    if not isinstance(services, list):
        return  # without services it announces its own listeners
    hosts = {str(host) for host in document.get("hosts") or []}
    served = {(listener.get("port"), str(listener.get("transport", "udp"))) for listener in document.get("listen") or []
              if isinstance(listener, Mapping) and listener.get("module") == "ejabberd_stun"}
    for index, service in enumerate(services):
        if not isinstance(service, Mapping) or str(service.get("host")) not in hosts:
            continue
        port, transport = service.get("port"), str(service.get("transport", "udp"))
        if isinstance(port, int) and (port, transport) not in served:
            walk.findings.append(found(
                "config.stun", Severity.WARNING,
                walk.where(disco, "services", f"modules.mod_stun_disco.services.{index}"),
                f"announces {service.get('type', 'stun')} on {service.get('host')} port {port}/{transport}, "
                "but no ejabberd_stun listener answers there",
                f"add an ejabberd_stun listener on port {port} ({transport}), or leave out services: mod_stun_disco "
                "then announces the listeners it has"))


def config_files(ctx: Context) -> list[Path]:
    candidates = [ctx.out / "config" / "ejabberd.yml", Path(ctx.answers.install.config_dir) / "ejabberd.yml"]
    unique: dict[Path, Path] = {}
    for path in candidates:
        if path.is_file():
            unique.setdefault(path.resolve(), path)
    return list(unique.values())


def check(ctx: Context) -> list[Finding]:
    files = config_files(ctx)
    if not files:
        return [found("config.file", Severity.INFO, str(ctx.out / "config" / "ejabberd.yml"),
                      "no ejabberd.yml yet, neither in the deployment nor in the live configuration directory",
                      f"ejabberd-wizard generate --out {ctx.out}")]
    target = capabilities(ctx.answers.install.version)
    installation = find(ctx.answers)
    findings = []
    if installation is None:
        known = None
        findings.append(found("config.names", Severity.INFO, "ejabberd",
                              "ejabberd is not installed here, so names are checked against the release table, "
                              "not against ejabberd's own option lists"))
    elif installation.version != ctx.answers.install.version:
        # Another release's binary would call right names wrong and miss wrong ones.
        known = None
        findings.append(found("config.names", Severity.INFO, f"ejabberd {installation.version}",
                              f"the ejabberd here ({installation.ebin}) is {installation.version}, not "
                              f"{target.release}, the release the config is written for: names are checked "
                              f"against what the release table knows of {target.release}"))
    else:
        known = Known(installation, _contrib(ctx))
    for path in files:
        findings += check_file(path, known, target)
    return findings


def _contrib(ctx: Context) -> list[Path]:
    return list(Path(ctx.answers.install.home).glob(".ejabberd-modules/*/ebin"))


def check_file(path: Path, known: Known | None, target: Capabilities) -> list[Finding]:
    try:
        document = load_config(read_config_text(path, "an ejabberd config"), path)
    except FileError as error:
        fix = "fix the line, or generate the file again" if error.where != str(path) else "generate the file again"
        return [found("config.parse", Severity.ERROR, error.where, error.problem, fix)]
    walk = Walk(path, known, target)
    try:
        _options(walk, document, "")
    except (BeamError, OSError) as error:
        walk.findings.append(found("config.names", Severity.INFO, str(path),
                                   f"the installed ejabberd's option list could not be read: {error}"))
    _announced_stun(walk, document)
    if not walk.findings:
        against = f"ejabberd {known.installation.version}" if known else f"the release table's {target.release}"
        walk.findings.append(found("config.file", Severity.OK, str(path),
                                   f"parses; every name checked against {against}"))
    return walk.findings


def _options(walk: Walk, options: Mapping[str, Any], prefix: str) -> None:
    known = walk.known.options if walk.known else None
    for name, value in options.items():
        dotted = f"{prefix}{name}"
        subject = walk.where(options, name, dotted)
        if not walk.renamed(subject, str(name)):
            walk.report(subject, str(name), "option", GLOBAL_OPTIONS.get(str(name)), known)
        if name == "modules" and isinstance(value, Mapping):
            _modules(walk, value, f"{dotted}.")
        elif name == "listen" and isinstance(value, list):
            _listeners(walk, value, dotted)
        elif name in PER_HOST and isinstance(value, Mapping):
            for host, host_options in value.items():
                if isinstance(host_options, Mapping):
                    _options(walk, host_options, f"{dotted}.{host}.")
        elif name == "s2s_use_starttls" and value == "required_trusted":
            walk.findings.append(found("config.deprecated", Severity.WARNING, subject,
                                       "the value required_trusted is deprecated", "s2s_use_starttls: required"))


def _modules(walk: Walk, modules: Mapping[str, Any], prefix: str) -> None:
    for module, options in modules.items():
        module = str(module)
        dotted = f"{prefix}{module}"
        replacement = MODULES.get(module)
        if module.endswith("_odbc"):
            replacement = Replacement(f"{module.removesuffix('_odbc')} with db_type: sql", accepted=True)
        walk.report(walk.where(modules, module, dotted), module, "module", replacement,
                    walk.known.modules if walk.known else None)
        if not isinstance(options, Mapping):
            continue
        allowed = walk.known.module_options(module) if walk.known else None
        for option in options:
            walk.report(walk.where(options, option, f"{dotted}.{option}"), str(option), f"{module} option",
                        MODULE_OPTIONS.get(str(option)), allowed)


def _listeners(walk: Walk, listeners: list[Any], dotted: str) -> None:
    for index, listener in enumerate(listeners):
        if not isinstance(listener, Mapping):
            continue
        for option in map(str, listener):
            replacement = LISTENER_OPTIONS.get(option)
            if replacement:
                walk.report(walk.where(listener, option, f"{dotted}[{index}].{option}"), option, "listener option",
                            replacement, None)
        module = listener.get("module")
        if walk.known and isinstance(module, str):
            walk.report(walk.where(listener, "module", f"{dotted}[{index}].module"), module, "listener module",
                        None, walk.known.modules)


CHECKERS = (Checker("config", frozenset({"install"}), check),)

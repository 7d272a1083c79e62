"""An imported ejabberd.yml as answers, and where the merge of the new config starts from it.

``wizard.ejabberd_yml.read`` reads the file into an ``Imported``; here are the answers it gives
under the answers file's (``Imported.answers``) and the start of the merge (``Imported.start``):
the file, the answers it is taken to be rendered from, and the import report.

What the file says is the base of the merge, so an answer equal to it changes nothing, and
an answer given otherwise wins, for every answer: one the file reads back as (``loglevel``),
one it does not set (taken to be the preset's in the base, so the user's own is a change),
and one it says in a way the wizard cannot read (``hosts: [localhost]``: the base takes the
file's own value there, ``wizard.ejabberd_yml.changes``). Each change the answers make is named in
the report; the parts that stay are named as kept.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ruamel.yaml.comments import CommentedMap

from wizard.answers.build import build_from, fill_preset, load_preset, merge, plain_copy
from wizard.answers.catalogue import QUESTIONS, by_path, model_defaults
from wizard.answers.given import Given
from wizard.answers.model import Answers
from wizard.ejabberd_yml import web_front
from wizard.ejabberd_yml.changes import Overlay, changed_lines, differing_paths
from wizard.ejabberd_yml.changes import merged as merged_file
from wizard.ejabberd_yml.parts import (
    ABSENT,
    KEPT,
    ReportLine,
    Unmapped,
    UnservedStun,
    answer_at,
    found_at,
    line_of,
    options_of,
    plain_value,
    reading,
    value_at,
)
from wizard.errors import InputError
from wizard.machine import Machine

# Answers no ejabberd.yml can say, so the report never counts them among those the file does not
# set: where and how ejabberd is installed (its release is the installed one's, not the file's),
# the service around it, the addresses of the DNS records, where the wizard reads the database
# password from, what host-meta announces, and tls.use_macros, which says how the file is
# written, not what ejabberd does (tests/test_import.py checks that none changes what ejabberd reads).
# The addresses are in the file once as the TURN relay's, and read back from there.
OUTSIDE_THE_CONFIG = frozenset({
    "install.method", "install.version", "install.prefix", "install.user", "install.home", "install.config_dir",
    "install.ejabberdctl", "install.spool_dir", "install.log_dir", "domains.ipv4", "domains.ipv6",
    "database.password_source", "database.password_file", "compliance.alternative_connections", "tls.use_macros",
    "service.manager", "service.web_server", "service.unit_path", "service.web_root", "service.backup_dir",
})
CONFIG_ANSWERS = tuple(question.path for question in QUESTIONS if question.path not in OUTSIDE_THE_CONFIG)


@dataclass(frozen=True)
class Start:
    """Where the merge of config/ejabberd.yml starts when the deployment has none yet."""

    text: str  # the imported file
    answers: Answers  # the answers it is taken to be rendered from
    # A line per part that is kept as it is, or that weakens the server, and the unset answers.
    report: tuple[ReportLine, ...]
    # What ``answers`` render to, with the file's own values where an answer has to win: the base of the merge.
    base_config: str | None = None


@dataclass
class Imported:
    """What an imported config says as answers (``given``) and what it does not (``unmapped``)."""

    path: Path
    text: str
    given: Given  # nested answers; their lines point into the imported file
    unmapped: list[Unmapped]
    config: CommentedMap = field(repr=False)
    mapped: frozenset[str] = frozenset()  # the dotted config keys that answers were read from
    unserved_stun: UnservedStun | None = None
    cautions: tuple[tuple[int | None, str], ...] = ()  # read as answers, but weakening the server: (line, what)
    roles: Mapping[int, str] = field(default_factory=dict)  # listener index: the answer its port is ("c2s", ...)

    def under(self, saved: Given) -> Given:
        """These answers with the answers file's on top, for the front ends."""
        return Given(values=merge(plain_copy(self.given.values), plain_copy(saved.values)), source=saved.source)

    def answers(self, preset_name: str | None, saved: Given, machine: Machine | None = None) -> tuple[Answers, Given]:
        """The answers to write: the preset's, under the imported ones, under the answers file's.

        Without a version in the answers file, the release of the installed ejabberd is the
        version (the imported file runs on it). Also returns the answers given in total.
        """
        machine = machine or Machine.current()
        layers = [self.given, saved]
        answers = self._build(preset_name, layers, machine)
        if saved.get("install.version") is None:
            from wizard.installation import find

            installed = find(answers)
            if installed is not None and installed.version != answers.install.version:
                layers.insert(1, Given({"install": {"version": installed.version}},
                                       f"ejabberd installed in {installed.ebin}"))
                answers = self._build(preset_name, layers, machine)
        given = Given(values=merged_layers(layers), source=saved.source)
        return answers, given

    def start(self, preset_name: str | None, answered: Given, machine: Machine | None = None) -> Start:
        """The file and its answers for the merge: the imported ones over everything else answered.

        What the file does not set is taken to be the preset's (``_base``), and an announced STUN
        without listeners to be none (``_stun``): the merge then writes the user's own answers for
        them, shown in the diff, while the preset's stay out of the file, as the report says.
        """
        from wizard.ejabberd_yml.render import document

        machine = machine or Machine.current()
        unset = self._unset()
        base, layers, own, written = self._base(preset_name, answered, unset, machine)
        rendered = document(base, None)
        base, stun_note = self._stun(preset_name, answered, base, layers, rendered, machine)
        final = self._build(preset_name, [answered], machine)
        overlay = Overlay(document(base, None), self.config, self.roles)
        unwritten = [] if written else self._own_in_base(overlay, preset_name, answered, own, machine)
        yours = [note for note in self.unmapped if self._answered(note, answered) and overlay.take_the_files(note.key)]
        reasons = self._front(overlay, final)

        noted = {note.key for note in self.unmapped} | ({"modules.mod_stun_disco"} if stun_note else set())
        skipped = ("listen", "modules.mod_stun_disco") if stun_note else ()
        changed, written_file = merged_file(self.path, self.text, overlay.text(), document(final, None))
        changes = changed_lines(self.path, self.config, changed, written_file, reasons, skipped)
        # A part an answer of yours replaces is no longer kept: its change is the line about it.
        notes = [note for note in self.unmapped if note not in yours or not _covered(note.key, changes)]
        notes += unwritten_options(self.config, rendered, self.mapped, noted)
        lines = [ReportLine(self.path, str(note), note.line) for note in notes] + changes
        lines.sort(key=lambda line: line.line or 0)
        report = lines + [ReportLine(self.path, caution, line) for line, caution in self.cautions]
        if stun_note:
            report.append(stun_note)
        report += self._disagreement(written_file or self.config, final)
        report += self._unset_line(base, [key for key in unset if key not in own],
                                   "so these answers are the preset's and ejabberd uses its own defaults "
                                   "until you change one")
        report += self._unset_line(base, unwritten, "and your answers for them are in wizard.yml but not written to "
                                   "the config until you change one")
        return Start(self.text, base, tuple(report), overlay.text())

    def _build(self, preset_name: str | None, layers: list[Given], machine: Machine) -> Answers:
        """Answers from the preset and ``layers`` (later ones win); an error names the file that gave the field.

        An answer none of them gives, whose part of the imported file the wizard could not read
        (``hosts: [localhost]``), is named by that part: its line, its value and why.
        """
        try:
            return build_from(preset_name, Given(values=merged_layers(layers)), machine)
        except InputError as error:
            if not error.field:
                raise
            path = tuple(int(part) if part.isdigit() else part for part in error.field.split("."))
            for layer in reversed(layers):
                if layer.source and _gives(layer, path):
                    line = layer.line_of(path)
                    raise InputError(f"{layer.source}{f':{line}' if line else ''}: {error}",
                                     field=error.field) from None
            part = next((note for note in self.unmapped if error.field in note.answers), None)
            if part is None:
                raise InputError(f"{error} (with the answers imported from {self.path})", field=error.field) from None
            where = f"{self.path}:{part.line}" if part.line else str(self.path)
            required = str(error).endswith("this answer is required")
            then = f"answer {error.field} to replace it" if required else f"so {error.field} is not the file's: {error}"
            raise InputError(f"{where}: {part.key}: {part.reason}; {then}", field=error.field) from None

    def _answered(self, note: Unmapped, answered: Given) -> bool:
        """Whether an answer this part of the file speaks of is given otherwise than the file gave it."""
        return any(answer_at(answered.values, key) not in (ABSENT, answer_at(self.given.values, key))
                   for key in note.answers)

    def _unset(self) -> list[str]:
        """The answers ejabberd.yml could say that this file does not: neither read from it nor
        named by one of the parts it keeps (those say it otherwise, and are reported as kept)."""
        spoken = {answer for note in self.unmapped for answer in note.answers}
        return [key for key in CONFIG_ANSWERS if answer_at(self.given.values, key) is ABSENT and key not in spoken]

    def _base(self, preset_name: str | None, answered: Given, unset: list[str],
              machine: Machine) -> tuple[Answers, list[Given], list[str], bool]:
        """The answers the file is taken to be rendered from, their layers, which of ``unset`` the
        user answered otherwise than the preset, and whether the base holds the preset's for those.

        Unset answers are the preset's in the base: taking the user's would make their answer
        look as if the file already said it, and nothing would write it.
        """
        preset = _preset_values(preset_name, answered, machine)
        own = [key for key in unset if answer_at(answered.values, key) not in (ABSENT, answer_at(preset, key))]
        layers = [Given(_without(plain_copy(answered.values), own)), self.given]
        try:
            return self._build(preset_name, layers, machine), layers, own, True
        except InputError:
            # Without them the answers do not hold together (a domain no preset has, a port the
            # preset's value would share): the base takes them, and ``_own_in_base`` what it can.
            layers = [answered, self.given]
            return self._build(preset_name, layers, machine), layers, own, False

    def _own_in_base(self, overlay: Overlay, preset_name: str | None, answered: Given, own: list[str],
                     machine: Machine) -> list[str]:
        """Put the preset's rendering of each of ``own`` into a base that holds the user's answers,
        one answer at a time; returns the answers that cannot be (no preset's value holds with the others)."""
        from wizard.ejabberd_yml.render import document

        full = plain_value(overlay.base)
        left = []
        for key in own:
            try:
                without_key = Given(_without(plain_copy(answered.values), [key]))
                alone = self._build(preset_name, [without_key, self.given], machine)
            except InputError:
                left.append(key)
                continue
            other = plain_value(document(alone, None))
            for dotted in differing_paths(full, other):
                overlay.take(dotted, value_at(other, dotted))
        return left

    def _front(self, overlay: Overlay, answers: Answers) -> dict[str, str]:
        """The file's web listener made to speak plain HTTP, as the front does; the reason, by option."""
        tls = web_front.plain_http(self.config.get("listen"), reading(self.config))
        if tls is None or not overlay.take_the_files(tls):
            return {}
        return {tls: web_front.reason(answers)}

    def _disagreement(self, written: Mapping[str, Any], answers: Answers) -> list[ReportLine]:
        """The line on what keeps the front from the web listener of the file as it will be written."""
        found = web_front.disagreement(written, answers)
        if found is None:
            return []
        text, key = found
        place = found_at(self.config, key or "listen")
        return [ReportLine(self.path, f"{key}: {text}" if key else text, line_of(*place) if place else None)]

    def _stun(self, preset_name: str | None, answered: Given, base: Answers, layers: list[Given],
              rendered: Mapping[str, Any], machine: Machine) -> tuple[Answers, ReportLine | None]:
        """The base with an announced STUN but no listener read as what it is, and the report's line on it.

        No answer renders such a file: compliance.stun is a STUN server and its announcement.
        Whichever answer stands, the merge has to write what the file lacks of it, visibly in
        the diff, or it never would (a listener missing from the file reads as one the user
        removed). With compliance.stun true the base is taken without STUN, so the listeners
        come; with false, with it, so the announcement goes. Where the file announces otherwise
        than the wizard writes (more services, other options), the wizard cannot tell what the
        listeners should be: the file is kept as it is and the line says what to do by hand.
        """
        stun = self.unserved_stun
        if stun is None:
            return base, None

        def line(what: str) -> ReportLine:
            return ReportLine(self.path, f"{stun.problem()}; {what}", stun.line)

        if answer_at(answered.values, "compliance.stun") is False:
            return base, line("with compliance.stun: false the diff removes the announcement")
        if not _agrees(options_of(self.config.get("modules")).get("mod_stun_disco"),
                       rendered["modules"].get("mod_stun_disco")):
            # So it is with another host's services: without STUN in the base, the merge would
            # write services whole, without them.
            services = "this server's services" if stun.other_hosts else "services"
            return base, line(f"{KEPT}: add an ejabberd_stun listener on each port, or leave out {services} so that "
                              "mod_stun_disco announces the listeners there are")
        base = self._build(preset_name, [*layers, Given({"compliance": {"stun": False}})], machine)
        return base, line("the diff adds the listeners compliance.stun: true stands for "
                          "(answer compliance.stun: false to remove the announcement instead)")

    def _unset_line(self, base: Answers, unset: list[str], what: str) -> list[ReportLine]:
        """The line naming answers the file does not set (section by section), and ``what`` that means.

        Only answers that matter with these answers are named (no upload directory when upload
        is off, no STUN port without STUN): the others would not reach ejabberd even when changed.
        """
        values, used = base.model_dump(mode="json"), base.ports.services(base)
        keys = [key for key in unset if by_path(key).applies(values) and
                (not key.startswith("ports.") or key.removeprefix("ports.") in (*used, "listen_ip", "http_ip"))]
        return [ReportLine(self.path, f"not set in the file, {what}: {', '.join(keys)}")] if keys else []


def merged_layers(layers: Iterable[Given]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for layer in layers:
        values = merge(values, plain_copy(layer.values))
    return values


def unwritten_options(config: Mapping[str, Any], base: Mapping[str, Any], mapped: frozenset[str],
                      noted: set[str]) -> list[Unmapped]:
    """Options of the file that the wizard does not write, or writes otherwise with no answer for it."""
    result = []
    for path, node, key, known in _differences(config, base, ()):
        dotted = ".".join(path)
        if any(dotted == other or dotted.startswith(other + ".") or other.startswith(dotted + ".")
               for other in (*mapped, *noted)):
            continue
        why = ("differs from what the wizard writes, and no answer says it" if known
               else "the wizard does not write this")
        result.append(Unmapped(dotted, f"{why}; {KEPT}", line_of(node, key)))
    return result


def _differences(mine: Mapping[str, Any], base: Mapping[str, Any],
                 path: tuple[str, ...]) -> Iterable[tuple[tuple[str, ...], Any, Any, bool]]:
    for key, value in mine.items():
        here = (*path, str(key))
        if here == ("listen",):
            continue  # listeners are reported one by one while reading them
        if key not in base:
            yield here, mine, key, False
        elif isinstance(value, Mapping) and isinstance(base[key], Mapping):
            yield from _differences(value, base[key], here)
        elif plain_value(value) != plain_value(base[key]):
            yield here, mine, key, True


def _covered(key: str, changes: list[ReportLine]) -> bool:
    """Whether one of the change lines is about the option ``key`` or a part of it."""
    changed = [line.text.split(": ", 1)[0] for line in changes]
    return any(other == key or other.startswith(key + ".") or key.startswith(other + ".") for other in changed)


def _preset_values(preset_name: str | None, answered: Given, machine: Machine) -> dict[str, Any]:
    """Every answer as the preset alone gives it (filled in from the answers given), by section."""
    name = preset_name or answered.get("preset")
    if not isinstance(name, str):
        return model_defaults()  # building the answers names the missing preset
    return merge(model_defaults(), fill_preset(load_preset(name), answered, machine))


def _without(values: dict[str, Any], keys: list[str]) -> dict[str, Any]:
    for key in keys:
        section, name = key.split(".")
        values.get(section, {}).pop(name, None)
    return values


def _agrees(mine: Any, rendered: Any) -> bool:
    """Whether the file's module options are the wizard's, where both have one (the wizard's
    others the merge adds, the file's others it keeps)."""
    if not isinstance(mine, Mapping) or not isinstance(rendered, Mapping):
        return False
    return all(plain_value(value) == plain_value(rendered[key]) for key, value in mine.items() if key in rendered)


def _gives(given: Given, path: tuple[str | int, ...]) -> bool:
    """Whether ``given`` holds the answer at ``path`` (or the list it is an item of)."""
    names = [str(part) for part in path if isinstance(part, str)]
    return any(given.get(".".join(names[:length])) is not None for length in range(len(names), 1, -1))

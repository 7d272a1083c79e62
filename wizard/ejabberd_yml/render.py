"""config/ejabberd.yml from the answers, for the target ejabberd release: the option map, folded.

Everything both guides configure by hand is in the map (``wizard.ejabberd_yml.options``), with
their mistakes mended:
``modules:`` (not ``module:``), ``mod_http_upload_quota``, ``docroot``, a real
STUN listener behind the STUN announcement, and ``auth_method: sql`` when users
are to live in MySQL.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

from ruamel.yaml.comments import CommentedMap

from wizard.answers.model import Answers
from wizard.ejabberd_yml.config_file import load_config
from wizard.ejabberd_yml.merge import merge_onto
from wizard.ejabberd_yml.options import OPTIONS, Rendering
from wizard.ejabberd_yml.yamltext import yaml_text
from wizard.errors import FileError
from wizard.releases import capabilities

# Marks the config as the wizard's, and says where its answers are.
HEADER = """\
ejabberd configuration written by ejabberd-wizard for ejabberd {version} (preset {preset}).
The answers behind it are in wizard.yml; change them there or in the wizard and
generate again. Options: https://docs.ejabberd.im/admin/configuration/
"""



def render(answers: Answers, sql_password: str | None, *, onto: str | None = None,
           previous: Answers | None = None, previous_config: str | None = None) -> str:
    """The config for ``answers``; with ``onto`` (the file as it is now), merged into it.

    ``previous`` are the answers the file was last written from and ``previous_config``
    what they rendered to then (``merge_base``), if recorded: the base of the merge (see
    ``wizard.ejabberd_yml.merge``). Without the record, the base is what ``previous`` render to now.
    """
    new = document(answers, sql_password)
    if onto is None:
        return yaml_text(new)
    base = _recorded(previous_config) if previous_config is not None else None
    if base is None and previous is not None:
        base = document(previous, None)
    merged = merge_onto(onto, base, new).text
    if base is not None:
        # The merge keeps the file's own top comment; the wizard's header names the release and
        # preset, so it follows them unless it was edited by hand.
        old_header, new_header = _header(yaml_text(base)), _header(yaml_text(new))
        if merged.startswith(old_header):
            merged = new_header + merged[len(old_header):]
    return merged


def _header(text: str) -> str:
    lines = text.splitlines(keepends=True)
    count = next((index for index, line in enumerate(lines) if not line.startswith("#")), len(lines))
    return "".join(lines[:count])


def merge_base(answers: Answers) -> str:
    """What the merge of the next run starts from: the config for ``answers``, unmerged.

    Without the password, so that a changed password always counts as a change (and the
    record holds no secret).
    """
    return yaml_text(document(answers, None))


def _recorded(text: str) -> CommentedMap | None:
    try:
        return load_config(text, Path("merge base"))
    except FileError:
        return None  # a damaged record: the base is rendered again instead


def document(answers: Answers, sql_password: str | None) -> CommentedMap:
    """The config for ``answers``: the option map folded over them, with the wizard's header."""
    release = capabilities(answers.install.version)
    rendering = Rendering(answers, sql_password, release)
    doc = CommentedMap()
    for option in OPTIONS:
        if option.render is None or not option.when(answers) or not option.releases(release):
            continue
        *parents, name = option.path.split(".")
        parent = doc
        for key in parents:
            parent = parent[key]
        name = release.option_name(name)
        parent[name] = option.render(rendering)
        if option.comment is not None:
            # On the key's own line: a comment between two keys would belong to the node
            # above it when the file is read back, and go with it when that node changes.
            parent.yaml_add_eol_comment(option.comment(answers) if callable(option.comment) else option.comment, name)
    header = HEADER.format(version=answers.install.version, preset=answers.preset)
    if note := release.note:
        header += "".join(f"{line}\n" for line in textwrap.wrap(f"{note}.", 88))
    doc.yaml_set_start_comment(header)
    return doc

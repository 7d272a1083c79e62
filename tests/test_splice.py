"""Changes spliced into a hand-written ejabberd.yml: only the changed options' lines move.

``merge_onto`` is given the file (*mine*), what the wizard wrote before (*base*)
and what it writes now (*theirs*); these files are laid out as people write
them, in ways ruamel.yaml would not reproduce if it emitted the whole document.
"""

from __future__ import annotations

import difflib

import pytest
from ruamel.yaml import YAML

from wizard.ejabberd_yml.merge import merge_onto
from wizard.ejabberd_yml.yamltext import yaml_emitter

MINE = """\
# my server
hosts:
     - "a.example"   # mine
loglevel:    info     # aligned
listen:
  -
    port: 5222
    module: ejabberd_c2s
  -
    port: 5269
    module: ejabberd_s2s_in

modules:
     mod_ping: {}
     mod_roster: { versioning: true }
     mod_muc:
          hosts: [ "conference.a.example" ]
     mod_mine: {}
"""

BASE = """\
hosts:
  - "a.example"
loglevel: info
listen:
  - port: 5222
    module: ejabberd_c2s
  - port: 5269
    module: ejabberd_s2s_in
modules:
  mod_ping: {}
  mod_roster:
    versioning: true
  mod_muc:
    hosts:
      - "conference.a.example"
"""


def merged(mine: str, base: str, theirs: str) -> str:
    yaml = yaml_emitter()
    return merge_onto(mine, yaml.load(base), yaml.load(theirs)).text


def changed_lines(before: str, after: str) -> tuple[list[str], list[str]]:
    diff = list(difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0))
    removed = [line[1:] for line in diff if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in diff if line.startswith("+") and not line.startswith("+++")]
    return removed, added


def test_scalars_change_in_place_and_an_aligned_comment_keeps_its_column() -> None:
    theirs = BASE.replace("loglevel: info", "loglevel: debug").replace("port: 5222", "port: 15222")
    assert merged(MINE, BASE, theirs) == MINE.replace(
        "loglevel:    info     # aligned", "loglevel:    debug    # aligned").replace("port: 5222", "port: 15222")


def test_a_new_entry_goes_after_its_neighbour_at_the_files_indentation_with_the_wizards_comment() -> None:
    theirs = BASE.replace("  mod_ping: {}\n", "  mod_ping: {}\n  mod_stun_disco:  # STUN (XEP-0215)\n"
                                              "    offer_local_services: true\n")
    assert merged(MINE, BASE, theirs) == MINE.replace(
        "     mod_ping: {}\n",
        "     mod_ping: {}\n     mod_stun_disco:  # STUN (XEP-0215)\n       offer_local_services: true\n")


def test_entries_added_at_one_place_keep_the_rendered_order() -> None:
    theirs = BASE.replace("  mod_ping: {}\n", "  mod_ping: {}\n  mod_a: {}\n  mod_b: {}\n")
    assert merged(MINE, BASE, theirs) == MINE.replace("     mod_ping: {}\n",
                                                      "     mod_ping: {}\n     mod_a: {}\n     mod_b: {}\n")


def test_a_removed_entry_takes_its_lines_and_nothing_else() -> None:
    theirs = BASE.replace("  mod_muc:\n    hosts:\n      - \"conference.a.example\"\n", "")
    assert merged(MINE, BASE, theirs) == MINE.replace(
        '     mod_muc:\n          hosts: [ "conference.a.example" ]\n', "")


def test_items_of_a_list_with_dashes_on_their_own_lines_are_removed_and_added_whole() -> None:
    theirs = BASE.replace("  - port: 5269\n    module: ejabberd_s2s_in\n",
                          "  - port: 3478\n    module: ejabberd_stun\n    transport: udp\n")
    after = merged(MINE, BASE, theirs)
    assert after == MINE.replace("  -\n    port: 5269\n    module: ejabberd_s2s_in\n",
                                 "  - port: 3478\n    module: ejabberd_stun\n    transport: udp\n")


def test_a_flow_collection_is_rendered_again_in_flow_style() -> None:
    theirs = BASE.replace("    versioning: true", "    versioning: false").replace(
        '      - "conference.a.example"\n', '      - "conference.a.example"\n      - "conference.b.example"\n')
    assert merged(MINE, BASE, theirs) == MINE.replace("{ versioning: true }", "{versioning: false}").replace(
        '[ "conference.a.example" ]', '["conference.a.example", "conference.b.example"]')


def test_a_replaced_block_list_keeps_the_comment_on_its_key_line() -> None:
    mine = 'certfiles:  # my certificates\n     - "/etc/a.pem"\n     - "/etc/b.pem"\nloglevel: info\n'
    base = 'certfiles:\n  - "/etc/a.pem"\n  - "/etc/b.pem"\nloglevel: info\n'
    theirs = 'certfiles:\n  - "/etc/c.pem"\nloglevel: info\n'
    assert merged(mine, base, theirs) == 'certfiles:  # my certificates\n  - "/etc/c.pem"\nloglevel: info\n'


@pytest.mark.parametrize("change", [
    {"loglevel": "debug"},
    {"hosts": ["a.example", "b.example"]},
    {"modules": {"mod_ping": {}, "mod_roster": {"versioning": False}, "mod_muc": {"hosts": ["c.a.example"]}}},
], ids=["scalar", "list", "nested"])
def test_only_the_changed_options_lines_change(change: dict) -> None:
    yaml = yaml_emitter()
    theirs = yaml.load(BASE)
    theirs.update(change)
    result = merge_onto(MINE, yaml.load(BASE), theirs).text
    removed, _ = changed_lines(MINE, result)
    option_lines = {"loglevel": ["loglevel:    info     # aligned"], "hosts": ['     - "a.example"   # mine', "hosts:"],
                    "modules": ["     mod_roster: { versioning: true }", '          hosts: [ "conference.a.example" ]']}
    assert removed and set(removed) <= set(option_lines[next(iter(change))])
    expected = YAML(typ="safe").load(MINE)
    expected.update(change)
    if "modules" in change:
        expected["modules"] = {**change["modules"], "mod_mine": {}}
    assert YAML(typ="safe").load(result) == expected


@pytest.mark.parametrize(("mine", "base", "theirs", "expected"), [
    ("a: &x {b: 1, c: 2}\nd: *x\n", "a: {b: 1}\n", "a: {b: 3}\n", "a: &x {b: 3, c: 2}\nd: *x\n"),
    ("n: &s 1000\nm: *s\n", "m: 1000\n", "m: 5\n", "n: &s 1000\nm: 5\n"),
], ids=["inside-an-anchored-node", "an-alias-replaced"])
def test_anchors_stay_and_aliases_are_replaced_where_they_stand(mine: str, base: str, theirs: str,
                                                                expected: str) -> None:
    assert merged(mine, base, theirs) == expected


def test_a_change_the_text_cannot_take_falls_back_to_the_whole_document() -> None:
    # The anchored value changes, the alias keeps the old one: no splice says that,
    # so the document is emitted whole (with the same meaning).
    result = merge_onto("n: &s 1000\nm: *s\n", yaml_emitter().load("n: 1000\n"), yaml_emitter().load("n: 5\n"))
    assert result.changed == ["n"]
    assert YAML(typ="safe").load(result.text) == {"n": 5, "m": 1000}

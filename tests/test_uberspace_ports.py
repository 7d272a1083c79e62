"""Uberspace's opened ports into the answers (wizard.uberspace_ports): what the Ports step offers on the host."""

from __future__ import annotations

from typing import Any

import presets
from wizard.answers.build import build
from wizard.answers.given import Given
from wizard.answers.model import Answers
from wizard.machine import Machine, Platform
from wizard.uberspace_ports import assign, note, opened_needed

NEEDED = ["c2s", "s2s", "proxy65", "c2s_tls", "s2s_tls", "stun", "stuns", "turn_relay"]


def _answers(**given: Any) -> Answers:
    values = {"domains": {"hosts": ["isabell.example"]}, **given}
    # On the host, as the Ports step there: the account is the login running the wizard.
    host = Machine(login="isabell", home_dir="/home/isabell", platform=Platform("uberspace", "the uberspace command"))
    return build(presets.load("uberspace"), Given(values), host)


def test_the_ports_uberspace_opens_are_the_public_ones_not_the_web_ports() -> None:
    assert list(opened_needed(_answers())) == NEEDED
    assert "`uberspace port add` 8 times" in note(_answers())


def test_each_field_takes_an_opened_port_in_the_order_uberspace_lists_them() -> None:
    opened = list(range(41001, 41009))
    assignment = assign(_answers(), opened)
    assert assignment.numbers == dict(zip(NEEDED, opened, strict=True))
    assert assignment.missing == ()
    assert assignment.summary().startswith("Took the opened ports: ports.c2s: 41001, ports.s2s: 41002")


def test_a_field_holding_an_opened_port_keeps_it_and_the_others_take_the_rest() -> None:
    answers = _answers(ports={"s2s": 41005})
    assignment = assign(answers, [41001, 41005, 41002, 41003, 41004, 41006, 41007, 41008])
    assert assignment.numbers["s2s"] == 41005
    assert assignment.numbers["c2s"] == 41001 and assignment.numbers["proxy65"] == 41002
    assert sorted(assignment.numbers.values()) == list(range(41001, 41009))


def test_too_few_opened_ports_leaves_the_rest_and_says_how_many_to_open() -> None:
    assignment = assign(_answers(), [41001, 41002, 41001])  # a repeated line counts once
    assert assignment.numbers == {"c2s": 41001, "s2s": 41002}
    assert assignment.missing == tuple(NEEDED[2:])
    assert "run `uberspace port add` 6 more times" in assignment.summary()


def test_services_switched_off_need_no_port() -> None:
    answers = _answers(compliance={"stun": False, "turn": False})
    assert "stun" not in opened_needed(answers) and "turn_relay" not in opened_needed(answers)

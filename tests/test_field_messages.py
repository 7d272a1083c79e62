"""The wizard's own words for what pydantic and idna say, and fields named by their labels (issue 15)."""

from __future__ import annotations

from pathlib import Path

import pytest

import presets
from wizard.answers.catalogue import QUESTIONS, by_path, labelled
from wizard.answers.draft import Draft
from wizard.answers.field_messages import with_labels, without_own_path
from wizard.answers.given import Given
from wizard.machine import Machine
from wizard.session import Session

# What a person may type into any field: empty, a word, numbers out of range, a list, odd characters.
TYPED = ["", "x", "-1", "0", "99999999", "a,b", "isabell_example", "abc def", "1.5", "a..b", "-a.org", "777"]
# pydantic's and idna's own phrasing, meant for programmers.
LIBRARY_WORDS = ("Input should", "String should", "List should", "after validation", "Codepoint", "Label must",
                 "Empty Label", "pattern '^")


def test_no_question_answers_a_typed_value_in_a_library_s_words() -> None:
    for question in QUESTIONS:
        for text in TYPED:
            try:
                question.parse(text)
            except ValueError as refused:
                message = str(refused)
                assert not any(words in message for words in LIBRARY_WORDS), (question.path, text, message)
                assert "\n" not in message


@pytest.mark.parametrize(("path", "text", "expected"), [
    ("domains.hosts", "", "none given: expected at least 1 item"),
    ("domains.hosts", "isabell_example", "'isabell_example' is not a valid domain name: '_' (character 8) is not "
                                         "allowed in a domain name"),
    ("domains.hosts", "-a.org", "a part between dots starts or ends with '-'"),
    ("domains.hosts", "a..b", "two dots in a row"),
    ("upload.file_mode", "777", "'777' is not an octal file mode of four digits starting with 0, such as '0640'"),
    ("upload.path", "upload", "'upload' is not a path starting with '/'"),
    ("database.user", "a b", "'a b' is not a name of up to 80 letters"),
    ("upload.max_size", "-5", "-5 is too small: expected a number greater than or equal to 1"),
    ("security.password_strength", "200", "200 is too large: expected a number less than or equal to 128"),
    ("ports.listen_ip", "127.0.0.1", "'127.0.0.1' is not one of the choices: expected '::' or '0.0.0.0'"),
])
def test_a_refusal_says_what_is_wrong_and_what_is_expected(path: str, text: str, expected: str) -> None:
    with pytest.raises(ValueError) as refused:
        by_path(path).parse(text)
    assert expected in str(refused.value)


def test_messages_name_each_question_by_its_label_then_its_key() -> None:
    message = "ports.s2s: port 5222 is already used by ports.c2s; every service needs its own port"
    assert labelled(message) == ("“Server port” (ports.s2s): port 5222 is already used by “Client port (STARTTLS)” "
                                 "(ports.c2s); every service needs its own port")
    assert labelled("domains.hosts.1: 'x' is not valid") == "“XMPP domains” (domains.hosts.1): 'x' is not valid"
    # Not an answers path: files, module names, an unknown key.
    untouched = "see config/ejabberd.yml, mod_http_upload and ports.nonsense in ~/.my.cnf"
    assert labelled(untouched) == untouched
    assert with_labels("ports.c2s: taken", {}) == "ports.c2s: taken"


def test_a_message_shown_on_its_own_field_leaves_out_its_key() -> None:
    assert without_own_path("ports.c2s_tls: port 5222 is taken", "ports.c2s_tls") == "port 5222 is taken"
    assert without_own_path("ports.c2s_tls: port 5222 is taken", "ports.c2s") == "ports.c2s_tls: port 5222 is taken"
    assert without_own_path("domains.hosts.1: bad", "domains.hosts") == "bad"


def _session(tmp_path: Path, given: dict[str, object]) -> Session:
    draft = Draft.start(presets.load("arch"), Given(given), Machine(login="xmpp", home_dir="/home/xmpp"))
    return Session(draft, tmp_path / "out")


def test_the_session_tells_the_fields_and_the_review_by_label(tmp_path: Path) -> None:
    session = _session(tmp_path, {"domains": {"hosts": ["example.test"]}, "ports": {"s2s": 5222}})
    assert session.error_of("ports.s2s") == ("port 5222 is already used by “Client port (STARTTLS)” (ports.c2s); "
                                             "every service needs its own port")
    assert session.error_of("ports.c2s") is None
    blocking = session.blocking()
    assert blocking is not None and blocking[0] == "ports.s2s"
    assert blocking[1].startswith("“Server port” (ports.s2s): port 5222 is already used by “Client port (STARTTLS)”")
    session.edit(by_path("ports.proxy65"), "many")
    assert session.error_of("ports.proxy65") == "'many' is not a whole number"
    assert session.blocking() == ("ports.proxy65", "“File transfer proxy port” (ports.proxy65): 'many' is not a "
                                                   "whole number")

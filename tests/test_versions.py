"""The config is written for the target release: what one release takes, another rejects."""

from __future__ import annotations

import pytest
from ruamel.yaml import YAML

from tests.answers_helpers import everything_on
from wizard.answers import build_from
from wizard.given import Given
from wizard.render import ejabberd_config, scripts
from wizard.versions import SUPPORTED


def config_for(version: str) -> dict:
    answers = build_from(None, Given(everything_on("uberspace", install={"version": version})))
    return YAML(typ="safe").load(ejabberd_config.render(answers, "pw"))


@pytest.mark.parametrize("version", SUPPORTED)
def test_the_sql_schema_option_has_the_name_of_the_release(version: str) -> None:
    config = config_for(version)
    renamed = version >= "25.10"
    assert ("sql_schema_multihost" in config) is renamed
    assert ("new_sql_schema" in config) is not renamed


def test_20_04_gets_an_ipv4_stun_listener_and_later_releases_keep_ipv6() -> None:
    def stun_ips(version: str) -> set[str]:
        return {listener["ip"] for listener in config_for(version)["listen"] if listener["module"] == "ejabberd_stun"}

    assert stun_ips("20.04") == {"0.0.0.0"}
    assert stun_ips("23.01") == {"::"} == stun_ips("26.07")


def test_stun_services_and_upload_headers_never_rely_on_host_expansion() -> None:
    # Releases before 25.03 leave @HOST@ literal in these options.
    config = config_for("20.04")
    assert {s["host"] for s in config["modules"]["mod_stun_disco"]["services"]} == {"example.test"}
    assert "@HOST@" not in str(config["modules"]["mod_http_upload"]["custom_headers"])


@pytest.mark.parametrize(("version", "flag"), [("20.04", "--enable-new-sql-schema"),
                                               ("26.07", "--enable-multihost-sql-schema")])
def test_the_build_uses_the_schema_flag_of_the_release(version: str, flag: str) -> None:
    answers = build_from(None, Given(everything_on("uberspace", install={"version": version})))
    assert flag in scripts.install(answers)


def test_releases_before_20_04_are_refused() -> None:
    from wizard.errors import InputError

    with pytest.raises(InputError, match="install.version: ejabberd 19.08 is older than 20.04"):
        build_from(None, Given(everything_on("uberspace", install={"version": "19.08"})))

"""The building blocks of the answers model: its value types and the question declaration.

Each value type carries its validator, so a field declared with it is checked
wherever answers enter (answers file, TUI, plain mode, import).
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt, field_validator

from wizard.answers import validators as v

Domain = Annotated[str, AfterValidator(v.domain)]
Label = Annotated[str, AfterValidator(v.dns_label)]
# Strict: YAML's `true` must not become port 1.
Port = Annotated[StrictInt, AfterValidator(v.port)]
PortRange = Annotated[str, BeforeValidator(v.port_range)]
AbsolutePath = Annotated[str, AfterValidator(v.absolute_path)]
Text = Annotated[str, AfterValidator(v.safe_text)]
UserName = Annotated[str, AfterValidator(v.username)]
ContactURI = Annotated[str, AfterValidator(v.contact_uri)]
IPAddress = Annotated[str, AfterValidator(v.ip_address)]
IPv4Address = Annotated[str, AfterValidator(v.ipv4_address)]
IPv6Address = Annotated[str, AfterValidator(v.ipv6_address)]
# Strict like the ports: YAML's `true` must not become a size or a count of 1.
Count = StrictInt
# A number of bytes, also typed with a unit ("100MB", "1GiB").
ByteSize = Annotated[StrictInt, BeforeValidator(v.byte_size)]
# Certificate paths may name each domain that needs a certificate ({name}) or
# each host whose certificate also covers its subdomains ({host}).
CertPathTemplate = Annotated[str, AfterValidator(lambda s: v.path_template(s, frozenset({"name", "host"})))]


def question(title: str, why: str, step: str, *, when: dict[str, Any] | None = None, **field: Any) -> Any:
    """A model field that is also a question of the wizard.

    ``when`` maps other fields' dotted paths to the value they must have for this
    question to apply (e.g. ``{"database.backend": "mysql"}``).
    """
    extra: dict[str, Any] = {"step": step}
    if when:
        extra["when"] = when
    return Field(title=title, description=why, json_schema_extra=extra, **field)


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)

    # Every text answer, whatever its own type checks: a CR, LF or NUL in any of them would
    # end a line, a header or a C string of some generated file.
    _no_control_characters = field_validator("*", mode="before")(v.no_control_characters)

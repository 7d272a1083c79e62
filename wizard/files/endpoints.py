"""The public URLs of the web features, shared by the DNS, host-meta and README renderers."""

from __future__ import annotations

from dataclasses import dataclass

from wizard.answers.model import Answers


@dataclass(frozen=True)
class Endpoints:
    web_host: str  # the upload/web subdomain of the main domain
    websocket: str
    bosh: str

    @classmethod
    def of(cls, answers: Answers) -> Endpoints:
        # One set of endpoints serves every domain: the stream names the domain.
        web_host = answers.domains.subdomains(answers.domains.main)["upload"]
        return cls(web_host=web_host, websocket=f"wss://{web_host}/ws", bosh=f"https://{web_host}/bosh")

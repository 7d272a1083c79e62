"""The Conversations Compliance Tester (caas, iNPUTmice/caas) as verify counts it.

caas runs 25 tests (its ``@ComplianceTest`` classes): 21 are counted, 4 are
informational. Its web site lists a server as compliant when all 21 counted tests
pass and the informational ``xep0077`` (in-band registration) passes too. Each
caas test here rests on verify's own items, which are at least as strict as
caas's rule (``rule`` says what caas checks): the caas test passes when all of
its items pass, fails when one fails, and is not known when one could not run
here. The score is never rounded up: a test not run here is not a pass.
"""

from __future__ import annotations

from dataclasses import dataclass

from wizard.verify.outcome import ProbeStatus

LISTING_EXTRA = "xep0077"  # informational, yet required for caas's list of compliant servers


@dataclass(frozen=True)
class CaasTest:
    name: str  # caas's short_name, as its reports and help pages name the test
    title: str  # caas's full_name
    items: tuple[str, ...]  # the verify items it rests on
    rule: str  # what caas itself checks
    informational: bool = False


CAAS_TESTS: tuple[CaasTest, ...] = (
    CaasTest("xep0065", "XEP-0065: SOCKS5 Bytestreams (Proxy)", ("proxy65",), "a service announces bytestreams"),
    CaasTest("xep0115", "XEP-0115: Entity Capabilities", ("caps",), "<c/> among the stream features"),
    CaasTest("xep0163", "XEP-0163: Personal Eventing Protocol", ("pep",), "the account has a pubsub/pep identity"),
    CaasTest("xep0191", "XEP-0191: Blocking Command", ("blocking",), "the server announces urn:xmpp:blocking"),
    CaasTest("xep0198", "XEP-0198: Stream Management", ("sm",), "<sm/> among the stream features"),
    CaasTest("xep0280", "XEP-0280: Message Carbons", ("carbons",), "the server announces urn:xmpp:carbons:2"),
    CaasTest("xep0352", "XEP-0352: Client State Indication", ("csi",), "<csi/> among the stream features"),
    CaasTest("xep0357", "XEP-0357: Push Notifications", ("push",), "the account announces urn:xmpp:push:0"),
    CaasTest("xep0363", "XEP-0363: HTTP File Upload", ("upload",), "a service announces urn:xmpp:http:upload:0"),
    CaasTest("xep0368", "XEP-0368: SRV records for XMPP over TLS", ("direct_tls",),
             "an _xmpps-client SRV target speaks TLS with a certificate for the domain"),
    CaasTest("xep0384", "XEP-0384: OMEMO Encryption", ("omemo",),
             "a PEP node published with access model 'open' keeps it"),
    CaasTest("xep0313", "XEP-0313: Message Archive Management", ("mam",), "the account announces urn:xmpp:mam"),
    CaasTest("xep0313muc", "XEP-0313: Message Archive Management (Multi-User Chat)", ("muc_mam",),
             "a new room announces MAM or has a MAM option"),
    CaasTest("xep0398", "XEP-0398: User Avatar to vCard-Based Avatars Conversion", ("avatars",),
             "the account announces urn:xmpp:pep-vcard-conversion:0"),
    CaasTest("xep0411", "XEP-0411: Bookmarks Conversion", ("bookmarks_conversion",),
             "the account announces urn:xmpp:bookmarks-conversion:0"),
    CaasTest("xep0045", "XEP-0045: Multi-User Chat", ("muc",), "a service announces the MUC protocol"),
    CaasTest("xep0160", "XEP-0160: Best Practices for Handling Offline Messages", ("offline",),
             "the server announces msgoffline"),
    CaasTest("roster_versioning", "RFC 6121: Roster Versioning", ("roster_versioning",),
             "<ver/> among the stream features"),
    CaasTest("stun", "XEP-0215: External Service Discovery (STUN)", ("stun_disco",),
             "a stun/stuns service with host, port and tcp/udp"),
    CaasTest("turn", "XEP-0215: External Service Discovery (TURN)", ("turn",),
             "a turn/turns service with host, port, tcp/udp, username and password"),
    CaasTest("vcard_muc", "XEP-0153: vCard-Based Avatar (MUC)", ("vcard_muc",), "a new room announces vcard-temp"),
    # informational
    CaasTest("abuse-contact", "XEP-0157: Contact Addresses for XMPP Services (Abuse)", ("contact",),
             "the server's contact form has abuse-addresses", informational=True),
    CaasTest("xep0156", "XEP-0156: Discovering Alternative XMPP Connection Methods (HTTP)",
             ("host_meta", "host_meta_json", "websocket", "bosh"),
             "host-meta(.json) with 'Access-Control-Allow-Origin: *', and its links answer", informational=True),
    CaasTest("xep0363_cors", "XEP-0363: HTTP File Upload (CORS Headers)", ("upload_cors",),
             "OPTIONS of an upload slot answers the three Access-Control-Allow headers", informational=True),
    CaasTest("xep0077", "XEP-0077: In-Band Registration", ("ibr",),
             "a new stream offers <register/> among its features", informational=True),
)


@dataclass(frozen=True)
class Verdict:
    test: CaasTest
    status: ProbeStatus
    failing: tuple[str, ...]  # the items that failed (FAIL) or could not run (NOT TESTED)


@dataclass(frozen=True)
class Score:
    verdicts: tuple[Verdict, ...]

    def _of(self, informational: bool) -> list[Verdict]:
        return [v for v in self.verdicts if v.test.informational is informational]

    def passed(self, informational: bool = False) -> int:
        return sum(1 for v in self._of(informational) if v.status is ProbeStatus.PASS)

    def total(self, informational: bool = False) -> int:
        return len(self._of(informational))

    def untested(self, informational: bool = False) -> int:
        return sum(1 for v in self._of(informational) if v.status is ProbeStatus.NOT_TESTED)

    @property
    def listed(self) -> bool:
        """caas's list of compliant servers: every counted test and xep0077 pass."""
        return all(v.status is ProbeStatus.PASS for v in self.verdicts
                   if not v.test.informational or v.test.name == LISTING_EXTRA)

    def summary(self) -> str:
        def part(informational: bool) -> str:
            untested = self.untested(informational)
            return (f"{self.passed(informational)}/{self.total(informational)}"
                    + (f" ({untested} not tested here)" if untested else ""))

        if self.listed:
            listing = "listed as compliant"
        else:
            missing = [v.test.name for v in self.verdicts if v.status is not ProbeStatus.PASS
                       and (not v.test.informational or v.test.name == LISTING_EXTRA)]
            listing = f"not listed as compliant (needs {', '.join(missing)})"
        return f"{part(False)} counted, informational {part(True)}: {listing}"


def score(statuses: dict[str, ProbeStatus]) -> Score:
    """caas's verdicts from verify's item statuses (an item that did not run counts as not tested)."""
    verdicts = []
    for test in CAAS_TESTS:
        mine = {item: statuses.get(item, ProbeStatus.NOT_TESTED) for item in test.items}
        failed = tuple(item for item, status in mine.items() if status is ProbeStatus.FAIL)
        untested = tuple(item for item, status in mine.items() if status is ProbeStatus.NOT_TESTED)
        status = ProbeStatus.FAIL if failed else ProbeStatus.NOT_TESTED if untested else ProbeStatus.PASS
        verdicts.append(Verdict(test, status, failed or untested))
    return Score(tuple(verdicts))

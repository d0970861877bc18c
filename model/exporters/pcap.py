"""A replayed trace as a pcapng capture that Wireshark and tshark open like any other.

computed by scapy), stamped with the virtual clock, on the two capture points the plan
(`capture_plan`) names: ``internet`` (the client side of the load balancer) and ``vnet`` (the
VM side). So one NAT'ed connection shows as the same flow on both interfaces, with the frontend
address on one and the VM's private address on the other. Each packet carries, as pcapng
comments, the number, place and reason of every step that handled it; MAC addresses are
derived from the IP address.

This module builds and writes the packets with scapy (`write_pcapng`), and reads them back
(`read_pcapng`); scapy is imported only inside those, so planning a capture never loads it. It
also hands on the plan's and the payloads' public names, where callers have always found them.
"""

from __future__ import annotations

import hashlib
import struct
from decimal import Decimal
from pathlib import Path

from .capture_plan import (
    INTERFACES, INTERNET, VNET, Wire, flag_set, plan_capture, step_comment,
)
from .payloads import http_request, http_response, probe_request, tls_record
from ..net.addressing import IPv6, family_of
from ..net.packet import TCP, UDP

__all__ = ["DESCRIPTIONS", "INTERFACES", "INTERNET", "VNET", "Wire", "build_packet",
           "export_pcapng", "http_request", "http_response", "mac_of", "plan_capture",
           "probe_request", "read_pcapng", "step_comment", "tls_record", "write_pcapng"]

DESCRIPTIONS = {
    INTERNET: "lb6: client side of the load balancer (before inbound NAT, after reply NAT and SNAT)",
    VNET: "lb6: VM side of the load balancer (after inbound NAT, before reply NAT and SNAT)",
}


def mac_of(address: str) -> str:
    """A stable, locally administered MAC address for an IP address."""
    h = hashlib.sha256(address.encode()).digest()
    return "02:" + ":".join(f"{b:02x}" for b in h[:5])


_TCP_FLAGS = {"SYN": "S", "ACK": "A", "FIN": "F", "PSH": "P", "RST": "R", "URG": "U"}


def build_packet(w: Wire):
    """The scapy packet for a wire (checksums are computed when it is turned into bytes)."""
    from scapy.layers.dns import DNS, DNSQR, DNSRR
    from scapy.layers.inet import ICMP as ScapyICMP, IP, TCP as ScapyTCP, UDP as ScapyUDP
    from scapy.layers.inet6 import ICMPv6EchoReply, ICMPv6EchoRequest, IPv6 as ScapyIPv6
    from scapy.layers.l2 import Ether
    from scapy.packet import Raw

    v6 = family_of(w.src) == IPv6
    ip = ScapyIPv6(src=w.src, dst=w.dst, hlim=64) if v6 else \
        IP(src=w.src, dst=w.dst, ttl=64, id=(w.steps[0] if w.steps else 0) & 0xFFFF)
    if w.proto == TCP:
        flags = "".join(_TCP_FLAGS.get(f, "") for f in flag_set(w.flags))
        options = [("MSS", 1440 if v6 else 1460)] if "S" in flags else []
        l4 = ScapyTCP(sport=w.sport, dport=w.dport, flags=flags, seq=w.seq, ack=w.ack,
                      window=64240, options=options)
    elif w.proto == UDP:
        l4 = ScapyUDP(sport=w.sport, dport=w.dport)
        if w.dns is not None:
            qid, is_answer, qname, qtype, answers, ttl = w.dns
            qd = DNSQR(qname=qname, qtype=qtype)
            if is_answer:
                an = [DNSRR(rrname=qname, type=t, ttl=ttl, rdata=a) for t, a in answers]
                l4 = l4 / DNS(id=qid, qr=1, aa=1, rd=1, ra=1, qd=qd, an=an)
            else:
                l4 = l4 / DNS(id=qid, qr=0, rd=1, qd=qd)
    else:
        reply = "reply" in w.flags
        ident = w.steps[0] & 0xFFFF if w.steps else 0
        if v6:
            l4 = (ICMPv6EchoReply if reply else ICMPv6EchoRequest)(id=ident, seq=1)
        else:
            l4 = ScapyICMP(type=0 if reply else 8, id=ident, seq=1)
    # add_payload links the layers in place; `/` would copy each one (and cost 3x the time).
    pkt = Ether(src=mac_of(w.src), dst=mac_of(w.dst))
    pkt.add_payload(ip)
    ip.add_payload(l4)
    if w.payload:
        l4.lastlayer().add_payload(Raw(load=w.payload))
    return pkt


def write_pcapng(wires: list[Wire], path: str | Path) -> int:
    """Write the wires to `path` as pcapng, one interface per capture point; returns the count."""
    from scapy.utils import PcapNgWriter

    class Writer(PcapNgWriter):
        """Declares exactly the named capture points (scapy would add an unnamed one first).
        Timestamps go in as Decimals: a float would round 1.01 s down a microsecond."""

        def _write_header(self, pkt):
            if not self.header_present:
                self.header_present = True
                self._write_block_shb()
                self.interfaces2id = {}
                for i, name in enumerate(INTERFACES):
                    self._write_idb(name, DESCRIPTIONS[name])
                    self.interfaces2id[name.encode()] = i

        def _option(self, code: int, value: bytes) -> bytes:
            return struct.pack("<HH", code, len(value)) + self._add_padding(value)

        def _write_idb(self, name: str, description: str) -> None:
            """An Interface Description Block with if_name (2) and if_description (3)."""
            body = struct.pack("<HHI", self.linktype, 0, 262144)
            options = (self._option(2, name.encode()) + self._option(3, description.encode())
                       + struct.pack("<HH", 0, 0))
            self.f.write(self.build_block(struct.pack("<I", 1), body, options=options))

    with Writer(str(path)) as writer:
        writer.linktype = 1  # Ethernet
        writer.write_header(None)
        for w in wires:
            writer._write_packet(bytes(build_packet(w)), linktype=1,
                                 sec=Decimal(w.t_us) / Decimal(1_000_000),
                                 ifname=w.iface.encode(),
                                 comments=[c.encode("utf-8") for c in w.comments])
    return len(wires)


def export_pcapng(result, path: str | Path) -> list[Wire]:
    """Plan and write the capture of a replayed run; returns what was written."""
    wires = plan_capture(result)
    write_pcapng(wires, path)
    return wires


def read_pcapng(path: str | Path) -> list:
    """The packets of a pcapng file (each with `.sniffed_on`, `.comments` and `.time`)."""
    from scapy.utils import PcapNgReader

    with PcapNgReader(str(path)) as reader:
        return list(reader)

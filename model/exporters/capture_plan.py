"""The capture plan: a replayed trace as the packets two capture points would have seen.

Pure Python (no scapy), so a plan can be built and tested without writing a file. Each
simulated packet becomes a `Wire` on one of two capture points:

- ``internet``: the client side of the load balancer: packets before the inbound NAT and
  after the reply NAT, DNS, and a VM's outbound packets after SNAT;
- ``vnet``: the VM side: packets after the inbound NAT, before the reply NAT and before SNAT,
  traffic between VMs and other VNet hosts, and health probes from 168.63.129.16 (fact 64).

What the trace does not hold as packets is synthesised from the topology here: DNS (the
engine records a decision, not a message: the query and the answer go between the client and
``RESOLVER_V4``/``RESOLVER_V6``), health probes (a TCP handshake and 4-way close, fact 77, or
an HTTP GET, fact 78), TCP sequence numbers, and payload bytes (built by `payloads`).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from dataclasses import dataclass, field

from ..behaviours.dns import resolve
from ..behaviours.probing import PROBE_SOURCE_PORT
from ..deployment.node_ids import split_node_id
from ..deployment.nodes import HOST_INTERNET
from .payloads import http_request, http_response, probe_request, tls_record
from ..net.addressing import PROBE_SOURCE, IPv6, family_of
from ..net.packet import ICMP, TCP, UDP, Packet

INTERNET = "internet"
VNET = "vnet"
INTERFACES = (INTERNET, VNET)

# The resolver a client asks. The trace names none, so these are documentation addresses
# (RFC 5737 TEST-NET-1, RFC 3849) that no scenario uses for anything else.
RESOLVER_V4 = "192.0.2.53"
RESOLVER_V6 = "2001:db8:53::53"

HTTP_PORTS = frozenset({80, 8000, 8080})
TLS_PORTS = frozenset({443})
GAP_US = 100  # spacing of packets a single step stands for (a probe's handshake, say)


@dataclass
class Wire:
    """One packet on one capture point, ready to be built by scapy."""

    t_us: int
    iface: str
    proto: str
    src: str
    sport: int
    dst: str
    dport: int
    flags: str = ""
    seq: int = 0
    ack: int = 0
    payload: bytes = b""
    dns: tuple | None = None  # (id, is_answer, qname, qtype, ((type, address), ...), ttl)
    steps: list[int] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    def note(self, n: int, comment: str) -> None:
        self.steps.append(n)
        self.comments.append(comment)

    def summary(self) -> str:
        return f"{self.iface} {self.proto} {self.src}:{self.sport} > {self.dst}:{self.dport} {self.flags}"


def step_comment(step) -> str:
    """The pcapng comment for one step: number, time, place, decision and reason."""
    return (f"lb6 step {step.n} at {step.t_ms} ms, {step.node}, {step.kind}: "
            f"{step.disposition}. {step.reason}")


class _TcpStream:
    """Sequence numbers of one TCP connection, shared by its NAT'ed views."""

    __slots__ = ("sides", "next")

    def __init__(self, seed: str):
        h = hashlib.sha256(seed.encode()).digest()
        self.sides: dict[tuple[str, int], int] = {}
        self.next = [int.from_bytes(h[:4], "big"), int.from_bytes(h[4:8], "big")]


def _pair(p: Packet) -> frozenset:
    return frozenset({(p.src, p.sport), (p.dst, p.dport)})

def flag_set(flags: str) -> set[str]:
    """The TCP flags of a packet's "SYN, ACK" text, as a set of upper-case names."""
    return {f.strip().upper() for f in flags.split(",") if f.strip()}


class _Planner:
    def __init__(self, engine):
        self.engine = engine
        self.topology = engine.topology
        self.wires: list[Wire] = []
        self.journeys: dict[object, dict[tuple[str, Packet], Wire]] = {}
        self.streams: dict[frozenset, _TcpStream] = {}
        t = self.topology
        self._vnet_addresses = {a for a, o in t.owners.items() if o.kind == "vm"}
        for h in t.hosts:
            if h.kind != HOST_INTERNET:
                self._vnet_addresses.update(h.addresses)
        self._vnet_addresses.add(PROBE_SOURCE)

    # ---- where a packet is seen -------------------------------------------------------------

    def iface(self, p: Packet) -> str:
        for a in (p.src, p.dst):
            if a in self._vnet_addresses or self.topology.in_vnet(a):
                return VNET
        return INTERNET

    # ---- the plan -------------------------------------------------------------------------

    def plan(self) -> list[Wire]:
        for step in self.engine.records:
            if step.kind == "dns":
                self._dns(step)
            elif step.kind == "probe" and step.packet is not None:
                self._probe(step)
            elif step.packet is not None:
                self._hop(step)
        # Synthesised answers land after their query; a stable sort keeps step order for ties.
        return sorted(self.wires, key=lambda w: w.t_us)

    def _hop(self, step) -> None:
        key = step.conn or ("step", step.n)
        if step.kind == "send" or key not in self.journeys:
            self.journeys[key] = {}  # a new packet leaves its sender: a new journey
        journey = self.journeys[key]
        comment = step_comment(step)
        first = self._seen(journey, step.packet, step)
        first.note(step.n, comment)
        if step.after is not None and step.after != step.packet:
            where = (self.iface(step.after), step.after)
            second = journey.get(where)
            if second is None:
                self._link(step.packet, step.after)
                second = Wire(step.t_ms * 1000, where[0], step.after.proto, step.after.src,
                              step.after.sport, step.after.dst, step.after.dport,
                              step.after.flags, first.seq, first.ack, first.payload)
                journey[where] = second
                self.wires.append(second)
            second.note(step.n, comment)

    def _seen(self, journey: dict, p: Packet, step) -> Wire:
        where = (self.iface(p), p)
        wire = journey.get(where)
        if wire is None:
            seq, ack, payload = self._segment(p, step)
            wire = Wire(step.t_ms * 1000, where[0], p.proto, p.src, p.sport, p.dst, p.dport,
                        p.flags, seq, ack, payload)
            journey[where] = wire
            self.wires.append(wire)
        return wire

    # ---- TCP sequence numbers and payloads ----------------------------------------------

    def _stream(self, p: Packet, step) -> _TcpStream:
        flags = flag_set(p.flags)
        pair = _pair(p)
        stream = self.streams.get(pair)
        if stream is None or ("SYN" in flags and "ACK" not in flags):
            stream = _TcpStream(f"{step.conn}|{step.n}|{sorted(pair)}")
            self.streams[pair] = stream
        return stream

    def _link(self, before: Packet, after: Packet) -> None:
        """The NAT'ed view of a connection shares the original's sequence numbers."""
        if before.proto != TCP:
            return
        stream = self.streams.get(_pair(before))
        if stream is None:
            return
        self.streams[_pair(after)] = stream
        side = stream.sides.get((before.src, before.sport), 0)
        stream.sides[(after.src, after.sport)] = side
        stream.sides[(after.dst, after.dport)] = 1 - side

    def _segment(self, p: Packet, step) -> tuple[int, int, bytes]:
        """(seq, ack, payload) for a packet first seen at `step`."""
        if p.proto != TCP:
            return 0, 0, self._payload(p, step, request=True)
        stream = self._stream(p, step)
        flags = flag_set(p.flags)
        side = stream.sides.get((p.src, p.sport))
        if side is None:
            other = stream.sides.get((p.dst, p.dport))
            side = 0 if other is None else 1 - other
        stream.sides[(p.src, p.sport)] = side
        stream.sides[(p.dst, p.dport)] = 1 - side
        payload = self._payload(p, step, request=side == 0)
        seq = stream.next[side] & 0xFFFFFFFF
        ack = stream.next[1 - side] & 0xFFFFFFFF if "ACK" in flags else 0
        stream.next[side] += len(payload) + ("SYN" in flags) + ("FIN" in flags)
        return seq, ack, payload

    def _payload(self, p: Packet, step, request: bool) -> bytes:
        size = p.size
        if size <= 0:
            return b""
        if p.proto == ICMP:
            return b"\x00" * max(size - 8, 0)
        service_port = p.dport if request else p.sport
        if p.proto == TCP and service_port in HTTP_PORTS:
            if request:
                return http_request(self._host_header(p, step), size)
            return http_response(size)
        if p.proto == TCP and service_port in TLS_PORTS and size > 5:
            return tls_record(size, f"{step.n}")
        return b"\x00" * size

    def _host_header(self, p: Packet, step) -> str:
        conn = self.engine.connection(step.conn) if step.conn else None
        if conn is not None and conn.to and not _is_address(conn.to):
            return conn.to
        return f"[{p.dst}]" if family_of(p.dst) == IPv6 else p.dst

    # ---- synthesised exchanges -----------------------------------------------------------

    def _dns(self, step) -> None:
        """A query per record type the client asked, and the resolver's answers (facts 198-199)."""
        t = self.topology
        conn = self.engine.connection(step.conn) if step.conn else None
        name = t.dns_by_name.get(split_node_id(step.node)[1].lower())
        client = t.client_by_name.get(conn.origin) if conn is not None else None
        if name is None or client is None:
            return
        if client.ipv6:
            src, resolver = client.ipv6, RESOLVER_V6
        else:
            src, resolver = client.ipv4, RESOLVER_V4
        comment = step_comment(step)
        t0 = step.t_ms * 1000
        records = {"A": tuple(r.address for r in name.a),
                   "AAAA": tuple(r.address for r in name.aaaa)}
        for i, qtype in enumerate(resolve(client, name).asked):
            sport = 49152 + int(hashlib.sha256(f"{step.n}{qtype}".encode()).hexdigest()[:4], 16) % 16000
            qid = (step.n * 2 + i) & 0xFFFF
            query = Wire(t0 + i * GAP_US, INTERNET, UDP, src, sport, resolver, 53,
                         dns=(qid, False, name.name, qtype, (), name.ttl_s))
            delay = client.latency_ms + (name.aaaa_delay_ms if qtype == "AAAA" else 0)
            answers = tuple((qtype, a) for a in records[qtype])
            answer = Wire(t0 + delay * 1000 + i * GAP_US, INTERNET, UDP, resolver, 53, src, sport,
                          dns=(qid, True, name.name, qtype, answers, name.ttl_s))
            for w in (query, answer):
                w.note(step.n, comment)
                self.wires.append(w)

    def _probe(self, step) -> None:
        """The probe's packets on the VNet: handshake, optional HTTP GET, close (facts 77-78)."""
        p = step.packet
        probe = self.topology.probes.get(step.refs.probe) if step.refs.probe else None
        http = probe is not None and probe.protocol == "Http"
        comment = step_comment(step)
        h = hashlib.sha256(f"probe|{step.n}".encode()).digest()
        i, r = int.from_bytes(h[:4], "big"), int.from_bytes(h[4:8], "big")
        vm, prober = (p.dst, p.dport), (p.src, p.sport or PROBE_SOURCE_PORT)
        out: list[tuple[tuple, tuple, str, int, int, bytes]] = [(prober, vm, "SYN", i, 0, b"")]
        reason = step.reason
        status = re.search(r"answers HTTP (\d{3})", reason)
        if re.search(r"\bRST\b", reason) and not status:
            out.append((vm, prober, "RST,ACK", 0, i + 1, b""))
        elif step.disposition == "probe-ok" or status:
            out += [(vm, prober, "SYN,ACK", r, i + 1, b""), (prober, vm, "ACK", i + 1, r + 1, b"")]
            i, r = i + 1, r + 1
            if http:
                get = probe_request(probe.request_path or "/", p.dst)
                reply = http_response(None, int(status.group(1)) if status else 200)
                out += [(prober, vm, "PSH,ACK", i, r, get),
                        (vm, prober, "PSH,ACK", r, i + len(get), reply)]
                i, r = i + len(get), r + len(reply)
            out += [(prober, vm, "FIN,ACK", i, r, b""), (vm, prober, "ACK", r, i + 1, b""),
                    (vm, prober, "FIN,ACK", r, i + 1, b""), (prober, vm, "ACK", i + 1, r + 1, b"")]
        # else: no answer (the VM hangs, or an NSG drops the probe): the SYN alone.
        for k, (a, b, flags, seq, ack, payload) in enumerate(out):
            w = Wire(step.t_ms * 1000 + k * GAP_US, VNET, TCP, a[0], a[1], b[0], b[1], flags,
                     seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, payload)
            w.note(step.n, comment)
            self.wires.append(w)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
        return True
    except ValueError:
        return False



def plan_capture(result) -> list[Wire]:
    """The packets of a replayed run (`model.runner.Result`, or anything with `.engine`)."""
    engine = getattr(result, "engine", result)
    return _Planner(engine).plan()

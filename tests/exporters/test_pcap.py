"""`lb6 export --pcap`: the capture read back with scapy says what the trace says.

Packet counts per capture point are derived from the trace independently of the exporter; DNS
answers carry the scenario's A and AAAA records; the vnet interface shows the translated
addresses and ports of each NAT; checksums survive being recomputed; every packet carries the
steps that handled it as pcapng comments.
"""

from __future__ import annotations

import re
import shutil
import subprocess

import pytest

pytest.importorskip("scapy")

from scapy.layers.dns import DNS  # noqa: E402
from scapy.layers.inet import ICMP, IP, TCP, UDP  # noqa: E402
from scapy.layers.inet6 import ICMPv6EchoRequest, IPv6  # noqa: E402
from scapy.layers.l2 import Ether  # noqa: E402

from lb6.model.exporters.pcap import INTERNET, VNET, http_request, http_response, tls_record  # noqa: E402
from tests.model.helpers import farm, run  # noqa: E402

FARM = "dual_stack_web_farm"


def l3(pkt):
    return pkt[IPv6] if IPv6 in pkt else pkt[IP]


def l4(pkt):
    return pkt[TCP] if TCP in pkt else pkt[UDP]


def tuple_of(pkt):
    return (l3(pkt).src, l4(pkt).sport, l3(pkt).dst, l4(pkt).dport)


def on(packets, iface):
    return [p for p in packets if p.sniffed_on == iface]


def comments(pkt) -> list[str]:
    return [c.decode() if isinstance(c, bytes) else c for c in (pkt.comments or [])]


def asked(step) -> list[str]:
    """The record types a dns step says the client asked for ("asks AAAA then A for ...")."""
    return re.search(r"asks (.+?) for ", step.reason).group(1).split(" then ")


# ---- counts --------------------------------------------------------------------------------------


def expected_counts(result) -> dict[str, int]:
    """Packets per capture point, from the trace alone (the farm has no SNAT or VM-to-VM)."""
    internet = vnet = 0
    for s in result.engine.records:
        fields = {f for f, _, _ in s.rewrite}
        if s.kind == "dns":
            internet += 2 * len(asked(s))                # a query and an answer per type
        elif s.kind == "send" and s.node.startswith("client:"):
            internet += 1                                # before the inbound NAT
        elif s.kind == "nat" and "dst" in fields:
            vnet += 1                                    # after the inbound NAT
        elif s.kind == "nat" and "src" in fields:
            vnet += 1                                    # the VM's reply, before the reply NAT
            internet += 1                                # and after it
        elif s.kind == "probe":
            assert s.disposition == "probe-ok"
            vnet += 7                                    # handshake and 4-way close (fact 77)
    return {INTERNET: internet, VNET: vnet}


def test_packet_count_per_interface(capture):
    result, wires, packets, _ = capture(FARM)
    want = expected_counts(result)
    assert {i: len(on(packets, i)) for i in (INTERNET, VNET)} == want
    assert len(packets) == len(wires) == sum(want.values())
    assert all(Ether in p for p in packets)


def test_timestamps_follow_the_virtual_clock(capture):
    result, _, packets, _ = capture(FARM)
    times = [p.time for p in packets]
    assert times == sorted(times)
    for s in result.engine.records:
        if s.kind == "send":
            first = next(p for p in packets if comments(p) and comments(p)[0].startswith(
                f"lb6 step {s.n} "))
            assert first.time * 1000 == s.t_ms


# ---- DNS ---------------------------------------------------------------------------------------


def test_dns_answers_carry_the_a_and_aaaa_records(capture):
    result, _, packets, _ = capture(FARM)
    name = result.engine.topology.dns[0]
    want = {1: [r.address for r in name.a], 28: [r.address for r in name.aaaa]}
    assert want[1] == ["203.0.113.10"] and want[28] == ["2001:db8:1::10"]
    dns = [p for p in packets if DNS in p]
    queries = [p for p in dns if p[DNS].qr == 0]
    answers = [p for p in dns if p[DNS].qr == 1]
    assert len(queries) == len(answers) == sum(len(asked(s)) for s in result.engine.records
                                               if s.kind == "dns")
    seen = set()
    for a in answers:
        qtype = a[DNS].qd[0].qtype
        assert a[DNS].qd[0].qname.decode().rstrip(".") == name.name
        assert [rr.rdata for rr in a[DNS].an] == want[qtype]
        assert all(rr.type == qtype for rr in a[DNS].an)
        query = next(q for q in queries if q[DNS].id == a[DNS].id)
        assert tuple_of(query) == (tuple_of(a)[2], tuple_of(a)[3], tuple_of(a)[0], tuple_of(a)[1])
        assert query.time < a.time and a.sniffed_on == INTERNET
        seen.add(qtype)
    assert seen == {1, 28}
    # What the trace's dns steps say each client was told is what the answers carry.
    for s in result.engine.records:
        if s.kind != "dns":
            continue
        told = set(re.findall(r"\b(AAAA|A) ([0-9a-f:.]+)", s.reason.split(": ", 1)[1]))
        carried = {({1: "A", 28: "AAAA"}[rr.type], rr.rdata) for a in answers
                   if any(c.startswith(f"lb6 step {s.n} ") for c in comments(a)) for rr in a[DNS].an}
        assert told and told == carried, s.reason
    # The dual-stack client asks AAAA first, then A (fact 198), over IPv6.
    dana = [q for q in queries if l3(q).src == "2001:db8:c::20"]
    assert [q[DNS].qd[0].qtype for q in dana] == [28, 1]


def test_a_name_with_only_an_a_record_answers_aaaa_with_nothing(capture):
    result, _, packets, _ = capture("ipv6_only_client")
    no_answer = next(s for s in result.engine.records if s.disposition == "no-answer")
    answer = next(p for p in packets if DNS in p and p[DNS].qr == 1
                  and any(c.startswith(f"lb6 step {no_answer.n} ") for c in comments(p)))
    assert answer[DNS].qd[0].qtype == 28 and answer[DNS].rcode == 0 and not answer[DNS].an


# ---- NAT seen on both interfaces -------------------------------------------------------------------


def test_vnet_shows_the_translated_addresses_and_ports(capture):
    result, _, packets, _ = capture(FARM)
    nats = [s for s in result.engine.records if s.kind == "nat"]
    assert nats
    for s in nats:
        before, after = s.packet, s.after
        tag = f"lb6 step {s.n} "
        tagged = [p for p in packets if any(c.startswith(tag) for c in comments(p))]
        inbound = any(f == "dst" for f, _, _ in s.rewrite)
        outside, inside = (before, after) if inbound else (after, before)
        (vnet,) = [p for p in tagged if p.sniffed_on == VNET]
        (internet,) = [p for p in tagged if p.sniffed_on == INTERNET]
        assert tuple_of(vnet) == (inside.src, inside.sport, inside.dst, inside.dport)
        assert tuple_of(internet) == (outside.src, outside.sport, outside.dst, outside.dport)
        # The same TCP segment on both sides: NAT changes addresses and ports, nothing else.
        assert (vnet[TCP].seq, vnet[TCP].ack, vnet[TCP].flags) == \
            (internet[TCP].seq, internet[TCP].ack, internet[TCP].flags)
        assert bytes(vnet[TCP].payload) == bytes(internet[TCP].payload)
    # The IPv6 frontend on the Internet side, the VM's private IPv6 and port 8080 on the VNet.
    syn = next(s for s in nats if s.conn == "dana-web" and s.packet.flags == "SYN")
    assert (syn.packet.dst, syn.packet.dport, syn.after.dst, syn.after.dport) == \
        ("2001:db8:1::10", 80, syn.after.dst, 8080)
    assert syn.after.dst.startswith("fd00:10::")


def test_tcp_sequence_numbers_make_one_stream(capture):
    _, _, packets, _ = capture(FARM)
    dana = "2001:db8:c::20"
    conv = [p for p in on(packets, INTERNET) if TCP in p and dana in (l3(p).src, l3(p).dst)]
    syn, synack = conv[0][TCP], conv[1][TCP]
    assert str(syn.flags) == "S" and str(synack.flags) == "SA"
    assert synack.ack == syn.seq + 1
    request = next(p for p in conv if p[TCP].payload and p[TCP].sport == syn.sport)
    assert request[TCP].seq == syn.seq + 1 and request[TCP].ack == synack.seq + 1
    assert bytes(request[TCP].payload).startswith(b"GET / HTTP/1.1\r\nHost: contoso.")
    assert len(request[TCP].payload) == 200


def test_outbound_snat_shows_the_frontend_as_source_on_the_internet(capture):
    result, _, packets, _ = capture("outbound_ipv6_from_vm")
    s = next(s for s in result.engine.records if s.kind == "snat" and s.after is not None)
    tag = f"lb6 step {s.n} "
    tagged = {p.sniffed_on: p for p in packets if any(c.startswith(tag) for c in comments(p))}
    assert tuple_of(tagged[VNET]) == (s.packet.src, s.packet.sport, s.packet.dst, s.packet.dport)
    assert tuple_of(tagged[INTERNET]) == (s.after.src, s.after.sport, s.after.dst, s.after.dport)
    assert l3(tagged[INTERNET]).src == "2001:db8:1::10"


def test_icmpv6_echo_becomes_a_real_echo_request(capture):
    _, _, packets, _ = capture("ipv6_only_client")
    pings = [p for p in packets if ICMPv6EchoRequest in p]
    assert len(pings) == 1 and pings[0].sniffed_on == INTERNET


# ---- probes ---------------------------------------------------------------------------------


def test_tcp_probe_is_a_handshake_and_close_from_the_probe_source(capture):
    result, _, packets, _ = capture(FARM)
    probe = next(s for s in result.engine.records if s.kind == "probe")
    exchange = [p for p in packets if any(c.startswith(f"lb6 step {probe.n} ") for c in comments(p))]
    flags = [str(p[TCP].flags) for p in exchange]
    assert flags == ["S", "SA", "A", "FA", "A", "FA", "A"]
    assert {p.sniffed_on for p in exchange} == {VNET}
    assert l3(exchange[0]).src == "168.63.129.16" and l3(exchange[0]).dst == probe.packet.dst


def test_failing_tcp_probe_shows_the_syn_alone_or_a_reset(capture):
    result, _, packets, _ = capture("all_backends_down")
    failed = [s for s in result.engine.records if s.kind == "probe" and s.disposition == "probe-failed"]
    assert failed
    for s in failed:
        exchange = [p for p in packets if any(c.startswith(f"lb6 step {s.n} ") for c in comments(p))]
        flags = [str(p[TCP].flags) for p in exchange]
        assert flags == (["S", "RA"] if "RST" in s.reason else ["S"]), s.reason


def test_http_probe_sends_a_get_and_reads_the_status(tmp_path):
    from lb6.model.exporters.pcap import export_pcapng, read_pcapng
    http = ("{name: http, protocol: Http, port: 80, request_path: /health, interval_s: 5, "
            "number_of_probes: 2}")
    result = run(farm(probe=http, v4_probe="http", v6_probe="http", duration="6s"))
    probes = [s for s in result.engine.records if s.kind == "probe" and s.disposition == "probe-ok"]
    assert probes
    export_pcapng(result, tmp_path / "h.pcapng")
    packets = read_pcapng(tmp_path / "h.pcapng")
    exchange = [p for p in packets if any(c.startswith(f"lb6 step {probes[0].n} ") for c in comments(p))]
    payloads = [bytes(p[TCP].payload) for p in exchange if p[TCP].payload]
    assert payloads[0].startswith(b"GET /health HTTP/1.1\r\n") and b"Load Balancer Agent" in payloads[0]
    assert payloads[1].startswith(b"HTTP/1.1 200 OK\r\n")


# ---- checksums and comments -----------------------------------------------------------------------


def checksums_hold(pkt) -> bool:
    """Rebuild with every checksum deleted; the recomputed values must equal the stored ones."""
    layers = [cls for cls in (IP, TCP, UDP, ICMP) if cls in pkt]
    if IPv6 in pkt and ICMPv6EchoRequest in pkt:
        layers.append(ICMPv6EchoRequest)
    assert layers
    for cls in layers:
        clone = Ether(bytes(pkt))
        stored = clone[cls].cksum if cls is ICMPv6EchoRequest else clone[cls].chksum
        if cls is ICMPv6EchoRequest:
            del clone[cls].cksum
        else:
            del clone[cls].chksum
        rebuilt = Ether(bytes(clone))
        again = rebuilt[cls].cksum if cls is ICMPv6EchoRequest else rebuilt[cls].chksum
        if stored != again:
            return False
    return True


@pytest.mark.parametrize("name", [FARM, "ipv6_only_client", "outbound_ipv6_from_vm"])
def test_checksums_are_valid(capture, name):
    _, _, packets, _ = capture(name)
    assert all(checksums_hold(p) for p in packets)


def test_the_checksum_check_notices_a_corrupted_packet(capture):
    _, _, packets, _ = capture(FARM)
    good = next(p for p in packets if TCP in p and p[TCP].payload)
    raw = bytearray(bytes(good))
    raw[-1] ^= 0xFF  # a flipped payload byte, checksum left alone
    assert checksums_hold(good) and not checksums_hold(Ether(bytes(raw)))


def test_every_packet_carries_its_steps_as_comments(capture):
    result, _, packets, _ = capture(FARM)
    steps = {s.n: s for s in result.engine.records}
    for p in packets:
        notes = comments(p)
        assert notes, p.summary()
        for note in notes:
            n = int(re.match(r"lb6 step (\d+) at ", note).group(1))
            assert steps[n].reason in note
    # A delivered SYN on the VNet names the NAT that made it and the VM that took it.
    vnet_syn = next(p for p in on(packets, VNET) if TCP in p and str(p[TCP].flags) == "S"
                    and l3(p).src != "168.63.129.16")
    kinds = [re.search(r"ms, \S+, ([\w-]+):", c).group(1) for c in comments(vnet_syn)]
    assert kinds == ["nat", "deliver"]


# ---- payload helpers ------------------------------------------------------------------------------


@pytest.mark.parametrize("size", [0, 10, 64, 200, 1200, 9999])
def test_payloads_have_the_recorded_size(size):
    assert len(http_request("contoso.example", size)) == size
    assert len(http_response(size)) == size
    if size > 5:
        record = tls_record(size, "x")
        assert len(record) == size and record[:3] == b"\x17\x03\x03"


def test_an_empty_run_still_writes_both_interfaces(tmp_path):
    from lb6.model.exporters.pcap import write_pcapng
    path = tmp_path / "empty.pcapng"
    assert write_pcapng([], path) == 0
    data = path.read_bytes()
    assert data[:4] == b"\x0a\x0d\x0d\x0a" and b"internet" in data and b"vnet" in data
    assert b"client side of the load balancer" in data and b"VM side" in data  # if_description


# ---- tshark, when it is installed (never required) ----------------------------------------------


@pytest.mark.skipif(shutil.which("tshark") is None, reason="tshark is not installed")
def test_tshark_reads_the_capture(capture):
    _, _, packets, path = capture(FARM)
    out = subprocess.run(
        ["tshark", "-r", str(path), "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE",
         "-o", "ip.check_checksum:TRUE", "-T", "fields", "-e", "frame.interface_name",
         "-e", "_ws.col.Info", "-e", "_ws.expert.message"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    assert len(lines) == len(packets)
    text = out.stdout
    assert "Standard query response" in text and "AAAA 2001:db8:1::10" in text
    assert "A 203.0.113.10" in text and "GET / HTTP/1.1" in text
    assert {line.split("\t")[0] for line in lines} == {INTERNET, VNET}
    assert "Bad checksum" not in text and "Malformed" not in text

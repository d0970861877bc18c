"""DNS answers and the client's choice of family: RFC 8305 Happy Eyeballs timing (facts 31,
197-209) and the no-NAT64 case (fact 24)."""

from lb6.model.behaviours.dns import resolve
from lb6.model.deployment.nodes import Client, DnsName, DnsRecord

from .helpers import DANA_V4, DANA_V6, FE_V4, FE_V6, FQDN, conn_steps, engine, farm, first, run

NAME = DnsName(FQDN, (DnsRecord(FE_V4, "fe-v4"),), (DnsRecord(FE_V6, "fe-v6"),))
DUAL = Client("dana", "dual", DANA_V4, DANA_V6)


def connect(client="dana", to=FQDN, port=80, at="1s", cid="c1"):
    return f"- at: {at}\n  connect: {{id: {cid}, client: {client}, to: {to}, port: {port}}}\n"


def aaaa_delay(ms: int) -> str:
    return f"dns:\n  - {{name: {FQDN}, a: [fe-v4], aaaa: [fe-v6], aaaa_delay_ms: {ms}}}\n"


# ---- resolve(): who asks what -----------------------------------------------------------------


def test_ipv4_only_client_asks_a_only():
    res = resolve(Client("vera", "ipv4", "198.51.100.30"), NAME)
    assert res.asked == ("A",)
    assert res.answers == (("IPv4", FE_V4),)


def test_ipv6_only_client_asks_aaaa_only():
    res = resolve(Client("sixto", "ipv6", None, "2001:db8:c::40"), NAME)
    assert res.asked == ("AAAA",)
    assert res.answers == (("IPv6", FE_V6),)


def test_dual_stack_asks_aaaa_first_and_orders_ipv6_first():
    res = resolve(DUAL, NAME)
    assert res.asked == ("AAAA", "A")                # fact 198
    assert [f for f, _ in res.answers] == ["IPv6", "IPv4"]  # fact 207
    assert res.decide_after_ms == DUAL.latency_ms    # AAAA came first: no waiting


def test_late_aaaa_within_resolution_delay_still_goes_ipv6_first():
    name = DnsName(FQDN, NAME.a, NAME.aaaa, aaaa_delay_ms=30)
    res = resolve(DUAL, name)
    assert res.first_family == "IPv6"
    assert res.decide_after_ms == DUAL.latency_ms + 30


def test_aaaa_later_than_resolution_delay_lets_ipv4_go_first():
    name = DnsName(FQDN, NAME.a, NAME.aaaa, aaaa_delay_ms=80)
    res = resolve(DUAL, name)
    assert res.first_family == "IPv4"
    assert res.decide_after_ms == DUAL.latency_ms + 50   # fact 199: 50 ms resolution delay
    assert [f for f, _ in res.answers] == ["IPv4", "IPv6"]  # fact 200: late AAAA folded in


def test_empty_aaaa_goes_straight_to_ipv4():
    res = resolve(DUAL, DnsName(FQDN, NAME.a, ()))
    assert res.answers == (("IPv4", FE_V4),)
    assert res.decide_after_ms == DUAL.latency_ms


# ---- through the engine: timing of the race ---------------------------------------------------


def test_dual_stack_client_connects_over_ipv6_first():
    eng = engine(farm(timeline=connect()))
    eng.run(until=5_000)
    steps = conn_steps(eng, "c1")
    dns = first(steps, kind="dns")
    assert dns.t_ms == 1000 and "AAAA then A" in dns.reason
    syn = first(steps, kind="send")
    assert syn.packet.dst == FE_V6 and syn.packet.flags == "SYN"
    assert syn.t_ms == 1010                 # the AAAA answer after one latency, no delay
    conn = eng.connection("c1")
    assert conn.family == "IPv6" and conn.outcome == "delivered"
    assert conn.client_saw == FE_V6


def test_resolution_delay_50ms_when_aaaa_is_slow():
    eng = engine(farm(timeline=connect(), dns=aaaa_delay(80)))
    eng.run(until=5_000)
    steps = conn_steps(eng, "c1")
    syn = first(steps, kind="send")
    # A arrives at 1010; the client waits 50 ms for AAAA, then goes IPv4 (facts 199-200).
    assert syn.t_ms == 1060
    assert syn.packet.dst == FE_V4
    assert eng.connection("c1").family == "IPv4"


def test_aaaa_delay_inside_resolution_delay_waits_for_it():
    eng = engine(farm(timeline=connect(), dns=aaaa_delay(40)))
    eng.run(until=5_000)
    syn = first(conn_steps(eng, "c1"), kind="send")
    assert syn.t_ms == 1050 and syn.packet.dst == FE_V6


def test_ipv4_attempt_starts_250ms_later_when_ipv6_is_silently_dropped():
    # The guests have no DHCPv6: the IPv6 SYN vanishes without an answer (facts 8-9), so
    # Happy Eyeballs starts IPv4 one Connection Attempt Delay later (facts 202, 209).
    eng = engine(farm(timeline=connect(), vm_extra="dhcpv6: false"))
    eng.run(until=5_000)
    sends = [s for s in conn_steps(eng, "c1") if s.kind == "send" and "SYN" == s.packet.flags]
    assert [s.packet.dst for s in sends] == [FE_V6, FE_V4]
    assert sends[1].t_ms - sends[0].t_ms == 250
    conn = eng.connection("c1")
    assert conn.family == "IPv4" and conn.outcome == "delivered"
    assert conn.client_saw == FE_V4
    # The client never learnt that IPv6 failed: the attempt is cancelled, not failed (fact 204).
    assert [a.state for a in conn.attempts] == ["cancelled", "established"]
    assert conn.attempts[0].failure == "dropped-limitation"


def test_a_refused_attempt_starts_the_next_one_at_once():
    # Nothing listens on 8080, so the IPv6 SYN is answered with RST: the client knows it
    # failed and starts IPv4 straight away instead of waiting 250 ms (RFC 8305 section 5).
    eng = engine(farm(timeline=connect(), services="[{protocol: Tcp, port: 80}]"))
    eng.run(until=5_000)
    conn = eng.connection("c1")
    assert conn.family == "IPv4" and conn.outcome == "delivered"
    assert [a.state for a in conn.attempts] == ["failed", "established"]
    sends = [s for s in conn_steps(eng, "c1") if s.kind == "send" and s.packet.flags == "SYN"]
    assert sends[1].t_ms - sends[0].t_ms < 250


def test_connection_attempt_delay_is_configurable():
    clients = ("clients:\n  - {name: dana, stack: dual, ipv4: 198.51.100.20, "
               "ipv6: \"2001:db8:c::20\", connection_attempt_delay_ms: 100}\n")
    eng = engine(farm(timeline=connect(), vm_extra="dhcpv6: false", clients=clients))
    eng.run(until=5_000)
    sends = [s for s in conn_steps(eng, "c1") if s.kind == "send" and s.packet.flags == "SYN"]
    assert sends[1].t_ms - sends[0].t_ms == 100


def test_cancelled_attempt_when_both_race():
    # IPv6 hangs (the service accepts nothing on 8080), IPv4 answers: IPv4 wins after 250 ms,
    # and the pending IPv6 attempt is marked cancelled (fact 204).
    text = farm(timeline=connect() + "- at: 0s\n  fail_service: {vm: web1, port: 8080, mode: hang}\n"
                "- at: 0s\n  fail_service: {vm: web2, port: 8080, mode: hang}\n",
                v6_probe="")
    eng = engine(text)
    eng.run(until=5_000)
    conn = eng.connection("c1")
    assert [a.family for a in conn.attempts] == ["IPv6", "IPv4"]
    assert [a.state for a in conn.attempts] == ["cancelled", "established"]
    done = first(conn_steps(eng, "c1"), kind="receive")
    assert "IPv6 attempt is cancelled" in done.reason
    assert 204 in done.refs.facts


def test_ipv6_only_client_and_ipv4_only_name_is_no_nat64():
    dns = f"dns:\n  - {{name: v4only.example, a: [fe-v4]}}\n"
    r = run(farm(timeline=connect(client="sixto", to="v4only.example"), dns=dns,
                 expect="- {warning: no-nat64}\n- {connection: c1, outcome: no-answer}"))
    assert all(v.passed for v in r.verdicts), r.verdicts
    step = first(conn_steps(r.engine, "c1"), kind="dns")
    assert step.disposition == "no-answer"
    assert "no-nat64" in step.refs.ids and 24 in step.refs.facts


def test_ipv6_only_client_to_a_literal_ipv4_address_is_no_nat64():
    r = run(farm(timeline=connect(client="sixto", to=FE_V4)))
    conn = r.engine.connection("c1")
    assert conn.outcome == "dropped-limitation"
    assert [w.id for w in r.engine.warnings()] == ["no-nat64"]


def test_ipv4_only_client_with_aaaa_only_name_gets_no_answer_without_nat64_warning():
    dns = f"dns:\n  - {{name: v6only.example, aaaa: [fe-v6]}}\n"
    r = run(farm(timeline=connect(client="vera", to="v6only.example"), dns=dns))
    assert r.engine.connection("c1").outcome == "no-answer"
    assert not r.engine.warnings()


def test_shared_dns_label_gives_one_name_with_a_and_aaaa():
    t = engine(farm()).topology
    assert [d.name for d in t.dns] == [FQDN]
    name = t.dns_by_name[FQDN]
    assert [r.address for r in name.a] == [FE_V4]
    assert [r.address for r in name.aaaa] == [FE_V6]

"""Health probes: TCP and HTTP verdicts, thresholds both ways, defaults, stopped VMs, and one
IPv4 probe governing both families (facts 10, 64-81)."""

import pytest

from lb6.model.world.health import DOWN, UP, ProbeState

from .helpers import FE_V6, conn_steps, engine, farm, first, run

TCP3 = "{name: tcp-80, protocol: Tcp, port: 80, interval_s: 5, number_of_probes: 3}"
HTTP = ("{name: http, protocol: Http, port: 80, request_path: /health, interval_s: 5, "
        "number_of_probes: 3}")


def probe_steps(eng, vm, kind="probe"):
    return [s for s in eng.records if s.kind == kind and s.node == f"vm:{vm}"]


def flips(eng, vm):
    return [s for s in eng.records if s.kind == "probe-state" and s.reason.startswith(vm)]


# ---- ProbeState ---------------------------------------------------------------------------------


def test_threshold_counts_consecutive_results_both_ways():
    ps = ProbeState("p", "vm", 0)
    assert not ps.record(False, 2, 1) and ps.streak == 1
    assert not ps.record(True, 2, 2) and ps.streak == 0        # a success breaks the streak
    assert not ps.record(False, 2, 3)
    assert ps.record(False, 2, 4) and ps.state == DOWN and ps.changed_ms == 4
    assert not ps.record(True, 2, 5)
    assert ps.record(True, 2, 6) and ps.state == UP             # fact 69: same count to go up


def test_immediate_down_skips_the_threshold():
    ps = ProbeState("p", "vm", 0)
    assert ps.record(False, 5, 1, immediate_down=True) and ps.state == DOWN


# ---- through the engine -------------------------------------------------------------------------


def test_probes_come_from_168_63_129_16_to_the_ipv4_address():
    eng = engine(farm(duration="20s"))
    eng.run(until=20_000)
    steps = probe_steps(eng, "web1")
    assert steps
    for s in steps:
        assert (s.packet.src, s.packet.dst, s.packet.dport) == ("168.63.129.16", "10.0.0.4", 80)
        assert 64 in s.refs.facts


def test_probes_run_at_the_interval():
    eng = engine(farm(duration="30s"))
    eng.run(until=30_000)
    times = [s.t_ms for s in probe_steps(eng, "web1")]
    assert len(times) >= 5
    assert {b - a for a, b in zip(times, times[1:])} == {5_000}


def test_defaults_are_15s_and_2_probes():
    text = farm(probe="{name: tcp-80, protocol: Tcp, port: 80}", duration="70s")
    eng = engine(text)
    probe = eng.topology.probes["tcp-80"]
    assert (probe.interval_s, probe.number_of_probes) == (15, 2)   # facts 72-74
    eng.run(until=70_000)
    times = [s.t_ms for s in probe_steps(eng, "web1")]
    assert {b - a for a, b in zip(times, times[1:])} == {15_000}


def test_tcp_probe_needs_number_of_probes_failures_to_mark_down():
    eng = engine(farm(probe=TCP3, duration="40s",
                      timeline="- at: 1s\n  fail_service: {vm: web1, port: 80}\n"))
    eng.run(until=40_000)
    fails = [s for s in probe_steps(eng, "web1") if s.disposition == "probe-failed"]
    (flip,) = flips(eng, "web1")
    assert flip.disposition == "marked-down"
    assert flip.t_ms == fails[2].t_ms                      # the third failure in a row
    assert "1 of 3" in fails[0].reason and "2 of 3" in fails[1].reason
    assert "nothing listens" in fails[0].reason
    assert all(s.disposition == "probe-ok" for s in probe_steps(eng, "web2"))


def test_recovery_needs_number_of_probes_successes():
    eng = engine(farm(probe=TCP3, duration="60s",
                      timeline="- at: 1s\n  fail_service: {vm: web1, port: 80}\n"
                               "- at: 20s\n  restore_service: {vm: web1, port: 80}\n"))
    eng.run(until=60_000)
    down, up = flips(eng, "web1")
    assert (down.disposition, up.disposition) == ("marked-down", "marked-up")
    oks = [s for s in probe_steps(eng, "web1") if s.disposition == "probe-ok" and s.t_ms > 20_000]
    assert up.t_ms == oks[2].t_ms
    assert eng.state.probes[("tcp-80", "web1")].state == UP


def test_http_probe_200_is_up_and_non_200_is_down_at_once():
    eng = engine(farm(probe=HTTP, v4_probe="http", v6_probe="http", duration="20s",
                      timeline="- at: 1s\n  fail_service: {vm: web1, port: 80, mode: http_500}\n"))
    eng.run(until=20_000)
    assert all("HTTP 200" in s.reason for s in probe_steps(eng, "web2"))
    first_fail = first(probe_steps(eng, "web1"), disposition="probe-failed")
    assert "HTTP 500" in first_fail.reason and "http-probe-non-200" in first_fail.refs.ids
    (flip,) = flips(eng, "web1")
    assert flip.t_ms == first_fail.t_ms                    # fact 78: no threshold for non-200


def test_http_probe_reports_the_configured_status():
    services = "[{protocol: Tcp, port: 80, http_status: 404}, {protocol: Tcp, port: 8080}]"
    eng = engine(farm(probe=HTTP, v4_probe="http", v6_probe="http", duration="10s",
                      services=services))
    eng.run(until=10_000)
    fail = first(probe_steps(eng, "web1"), disposition="probe-failed")
    assert "HTTP 404" in fail.reason


def test_http_probe_without_an_answer_marks_down_at_once_after_its_timeout():
    # Fact 78: no reply within the shorter of the interval and 30 s marks an HTTP probe down
    # at once, like a non-200 status; fact 79: the verdict comes when that wait is over.
    eng = engine(farm(probe=HTTP, v4_probe="http", v6_probe="http", duration="30s",
                      timeline="- at: 1s\n  fail_service: {vm: web1, port: 80, mode: hang}\n"))
    eng.run(until=30_000)
    fails = [s for s in probe_steps(eng, "web1") if s.disposition == "probe-failed"]
    assert "no answer within 5 s" in fails[0].reason and "sent at" in fails[0].reason
    (flip,) = flips(eng, "web1")
    assert flip.t_ms == fails[0].t_ms


def test_http_probe_reset_marks_down_at_once():
    eng = engine(farm(probe=HTTP, v4_probe="http", v6_probe="http", duration="30s",
                      timeline="- at: 1s\n  fail_service: {vm: web1, port: 80, mode: refuse}\n"))
    eng.run(until=30_000)
    fails = [s for s in probe_steps(eng, "web1") if s.disposition == "probe-failed"]
    (flip,) = flips(eng, "web1")
    assert flip.t_ms == fails[0].t_ms and "RST" in fails[0].reason


def test_tcp_probe_detection_takes_interval_times_count_plus_phase():
    # Fact 70: with 2 probes 5 s apart a hung service is noticed just over 10 s up to a little
    # over 15 s after it fails: each unanswered probe fails only when the next one is due.
    eng = engine(farm(duration="60s",
                      timeline="- at: 20s\n  fail_service: {vm: web1, port: 80, mode: hang}\n"))
    eng.run(until=60_000)
    (flip,) = flips(eng, "web1")
    assert 10_000 < flip.t_ms - 20_000 <= 15_000


def test_tcp_probe_passes_on_a_service_answering_http_500():
    eng = engine(farm(duration="20s",
                      timeline="- at: 1s\n  fail_service: {vm: web1, port: 80, mode: http_500}\n"))
    eng.run(until=20_000)
    assert all(s.disposition == "probe-ok" for s in probe_steps(eng, "web1"))


def test_one_ipv4_probe_takes_both_families_out_of_rotation():
    eng = engine(farm(probe=TCP3, duration="60s",
                      timeline="- at: 1s\n  fail_service: {vm: web1, port: 80}\n"
                               f"- at: 30s\n  connect: {{id: c, client: sixto, to: \"{FE_V6}\", "
                               "port: 80, count: 8, every: 100ms}\n"))
    eng.run(until=60_000)
    (flip,) = flips(eng, "web1")
    assert "10.0.0.4 (rule-v4)" in flip.reason and "fd00:10::4 (rule-v6)" in flip.reason
    assert "ipv4-probe-governs-both" in flip.refs.ids and 10 in flip.refs.facts
    # The IPv6 service on 8080 is fine, yet web1 gets no new IPv6 flow (fact 10).
    assert {eng.connection(f"c.{n}").served_by for n in range(1, 9)} == {"web2"}


def test_stopped_vm_is_not_probed_and_returns_after_threshold_successes():
    eng = engine(farm(probe=TCP3, duration="60s",
                      timeline="- at: 3s\n  stop_vm: web1\n- at: 30s\n  start_vm: web1\n"))
    eng.run(until=60_000)
    between = [s for s in probe_steps(eng, "web1") if 3_000 < s.t_ms < 30_000]
    assert between == []                                    # fact 81
    assert eng.state.probes[("tcp-80", "web1")].stopped is False
    after = [s for s in probe_steps(eng, "web1") if s.t_ms > 30_000]
    (up,) = flips(eng, "web1")
    assert up.disposition == "marked-up" and up.t_ms == after[2].t_ms   # fact 80


def test_stopped_vm_takes_no_new_flows():
    eng = engine(farm(timeline="- at: 1s\n  stop_vm: web1\n"
                               "- at: 2s\n  connect: {id: c, client: vera, to: 203.0.113.10, "
                               "port: 80, count: 6, every: 100ms}\n"))
    eng.run(until=10_000)
    assert {eng.connection(f"c.{n}").served_by for n in range(1, 7)} == {"web2"}
    choice = first(conn_steps(eng, "c.1"), kind="backend-choice")
    assert "web1 10.0.0.4 stopped" in dict(choice.detail)["candidates"]


def test_rule_without_probe_keeps_a_dead_member_in_rotation():
    eng = engine(farm(v4_probe="", timeline="- at: 1s\n  fail_service: {vm: web1, port: 80}\n"
                      "- at: 30s\n  connect: {id: c, client: vera, to: 203.0.113.10, port: 80, "
                      "count: 8, every: 100ms}\n", duration="40s"))
    eng.run(until=40_000)
    outcomes = {eng.connection(f"c.{n}").outcome for n in range(1, 9)}
    assert outcomes == {"delivered", "refused"}             # fact 87


@pytest.mark.parametrize("seed", [1, 2])
def test_probe_phase_is_seeded_and_reproducible(seed):
    a = engine(farm(seed=seed, duration="20s"))
    b = engine(farm(seed=seed, duration="20s"))
    a.run(until=20_000)
    b.run(until=20_000)
    assert [s.t_ms for s in a.records] == [s.t_ms for s in b.records]

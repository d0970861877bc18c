"""Traces do not change when the engine gets faster.

Each shipped scenario's `lb6 run NAME --json` output is pinned by its SHA-256, recorded before
the performance work of issue 8, so an optimisation that changes a single step, flow, probe or
warning fails here. A generated load test (many flows, both families, TCP and UDP, a backend
failing) pins the hot paths the shipped scenarios exercise only lightly, and replaying it after
`goto` must give the same steps again.

A deliberate change to a trace (a new step, a reworded reason) updates the table: run
`python -m tests.model.test_trace_stability` and paste its output over PINNED.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json

import pytest

from lb6.model.scenario import library
from lb6.model.engine.engine import Engine

PINNED = {
    "all_backends_down": "30274389fe2c275611d904d21ae2e0da43730d2a99f622d13c9659d1a5485143",
    "backend_down_failover": "15528b7db0b9dc2f8195c9ec4ef55a81058a0c52e26ce9ad02fbbb8083a92491",
    "backend_port_reuse": "03292dcd444d22e11b929626892ae0aa83d80dca47ced7cff55d8efb7a1d2f55",
    "dns_label_format": "f230858e749eed0694fc74910829db536073201a97666c3a08b984382e0028b1",
    "dual_stack_web_farm": "7885affa6d065ed1a1a83f688c57a38fe7abb9231be7e8a9420bd749001e7f12",
    "empty_nsg_versus_no_nsg": "7ab357cdab23825b384c4e5f7f973ac85f3a4bbf10be4b690defec424ef4bded",
    "http_probe_non_200": "5e83f41ccea00572ba340e6d8b24283b61f154596442d4423d696c3cf675e1d4",
    "icmp_ping_is_dropped": "26f28539aadcefdad75aee27f9ec594f1302f939c5064ebab100f54d48b0a22d",
    "idle_timeout_keepalive": "2880a2a7d97ea053032cbd2b41ba71d856af2b0a12df2f10d08796712a539ca5",
    "inbound_nat_rule_rdp": "f056370a77aeb25645fc9e790f65cf8567478a7effc360aa6e1ccb732f081a36",
    "ipv6_added_to_existing_vm": "deb2c0839336740510ee69db7add08ec811275ff2f8355214407188ec1190283",
    "ipv6_in_a_scale_set": "41289f7ceaa2820ce98420255fc918a294eb500434bb2bf8c66a8e845e518b47",
    "ipv6_only_client": "4b01a7563565827477b76ea02a3d716cd87eff4d099531512395bb36a5140b76",
    "ipv6_rule_idle_timeout_ignored": "35b2caa6f0388197e091fd1f6aa684cf35c43ca14804356c517cfbc679db2929",
    "ipv6_rule_made_in_the_portal": "4babe53d2bd98e948982b75b476147c615e7a318f02fd75663d699bffb431c20",
    "ipv6_vm_in_a_cloud_service": "10351fd2507f59dd7a50ab5a12ec8c8767765c129d2427319f9a9cba42bbf45d",
    "lesson_1_first_dual_stack_request": "ed4ad3976b171a07c7701f201fe56dcc2f3d9a1d67ed69762a57c6ee5fc5cfc8",
    "lesson_2_probes_govern_both_families": "97de6f3335d0de6080037ac17e2d71693dd2e6a10674dc37f80899f769b4464f",
    "lesson_3_outbound_ipv6_and_snat": "d42bc4e7c0e79b7539df72c351f1f800b784cc55294a70ba59999f539d6db013",
    "lesson_4_security_nsg_and_rule_ports": "4c2ae14b00058815464b0b459d5ced2542b0964322445e0f6aeae0dbc0602ab1",
    "lesson_5_configurations_azure_refuses": "83cf0892a6fdaa471c12de8160e9ec141660dc79306682dda3b7f6c169eab308",
    "linux_without_dhcpv6": "9e706e5991cdb6ec781854af2a7242a169a38eaaab9fc9f6c70671124923b3ab",
    "nsg_on_dual_stack_vm": "ab3dcc38d51e46b9550c46c0b437c2b6697e4ba7dcde37cdb9dac45ff8283bef",
    "outbound_frontend_picked_by_basic": "59726e0ac6e935492c694d19361f9907f83891c5f0b055a43b241a502c4e7517",
    "outbound_ipv6_from_vm": "deb447f1cd709ea0bcff879b93bd3656bef186c9c29287f60da4761dde663a8c",
    "pool_mixes_availability_sets": "6a6ab90d1af3e32e51e399085596a4db0afb51dc35d00ac86165bbdbced6b534",
    "probe_misses_ipv6_port": "6c3aabaa64e06d05bba9da5b1ac8e53883da75d3c5e88f33bda7f17f0d44d0c1",
    "probe_thresholds_and_timing": "1a046b149c1ec596bfc7121338940fcd5516c0cf0f28a6e4e868e90076c4edd3",
    "public_ipv6_on_a_vm_nic": "8551e412d19f78848fdaee06c82b241855b772fb087cf0f25e99ec5722dfb872",
    "reverse_dns_for_public_ipv6": "ff3daf4a48a2536450a1376938bde6527b073fa542e0fb6d638739feb672df89",
    "rule_without_probe_keeps_dead_vm": "65e454e14ee6a843693db7ad3ae6afb6bb144ddf1544b3983f0fd1967c38710a",
    "secondary_nic_ipv6_in_pool": "0790adea9d92b304c68469cc563f41ee8f26b546ac8cec47369876c3a76d0297",
    "snat_exhaustion": "402b1343276155ad49245794b4a9a147b966a925ee3dd4a410a4fb93ee3ca2a7",
    "source_ip_affinity_ipv4_vs_ipv6": "2054b43ced400e965c3a426028e8351c2685d2e146696e636fd3419feb0b0589",
    "static_ipv6_public_ip": "12a098150a22fadc0d028f7c72f5dd585e5148f3bb4b3da8f36f1e7e1b9be0e9",
    "stopped_vm_leaves_rotation": "4f203a335d97b77802844d968b61f44a185c37d0e120e3d11391a7ec0a01d183",
    "two_ipv6_addresses_on_one_vm": "caf80372d521b761a1cc2f3dc6d4d155379c050517956bcb4b2d8039b88659ff",
    "udp_flow_moves": "9ca81fb91f0c8ef4ec1caa43bc9ab4d21e3e00face7a5efe4cb685eaeb59c493",
    "vm_to_vm_ipv6": "15994df41efdcbb9dceb04b3b3637e43a305883d36482ca8af748dfefdaacd0e",
}
LOAD_TEST_FLOWS = 300
PINNED_LOAD_TEST = "a858599402e09bb18051c3c243d52284e90079c5ed32d1001c29a6b800d81414"


def run_json(name: str) -> str:
    """What `lb6 run NAME --json` prints."""
    from lb6.tui.cli import main
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main(["run", name, "--json"])
    return out.getvalue()


def digest(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def load_test_json() -> str:
    from lb6.model.engine.runner import run_scenario, to_json
    from tests.perf.generate import load, load_test
    result = run_scenario(load(load_test(LOAD_TEST_FLOWS, span_ms=20_000), "load-test"))
    return json.dumps(to_json(result), indent=2)


@pytest.mark.parametrize("name", sorted(PINNED))
def test_shipped_trace_is_unchanged(name):
    if library.find(name) is None:
        pytest.skip(f"{name} is no longer shipped")
    assert digest(run_json(name)) == PINNED[name], (
        f"the --json trace of {name} changed; if that is intended, regenerate PINNED "
        "(see the module docstring)")


def test_load_test_trace_is_unchanged():
    assert digest(load_test_json()) == PINNED_LOAD_TEST


def test_going_back_replays_the_same_steps():
    from tests.perf.generate import load, load_test
    scenario = load(load_test(LOAD_TEST_FLOWS, span_ms=20_000))
    engine = Engine(scenario)
    engine.run(until=scenario.duration_ms)
    first = [s.to_json() for s in engine.records]
    for n in (len(first) // 3, 5, len(first) - 1, len(first) // 2):
        engine.goto(n)
        assert [s.to_json() for s in engine.records] == first[:n]
    engine.goto(len(first))
    assert [s.to_json() for s in engine.records] == first


if __name__ == "__main__":
    print("PINNED = {")
    for name in library.names():
        print(f'    "{name}": "{digest(run_json(name))}",')
    print("}")
    print(f'PINNED_LOAD_TEST = "{digest(load_test_json())}"')

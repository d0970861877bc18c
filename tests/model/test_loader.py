"""Bad input: every problem names the file, the line and the field and says what was expected.

Line numbers are checked exactly: the YAML below is written so each fault sits on a known
line (line 1 is the first line after the opening quotes).
"""

import textwrap

import pytest

from lb6.model.errors import ScenarioError
from lb6.model.scenario.document import load_scenario, load_scenario_text

from .helpers import farm

LB = """\
title: bad
public_ips:
  - {name: pip-v4, version: IPv4}
  - {name: pip-v6, version: IPv6}
load_balancer:
  frontends:
    - {name: fe-v4, public_ip: pip-v4}
    - {name: fe-v6, public_ip: pip-v6}
  backend_pools:
    - {name: pool}
  rules:
"""  # 11 lines; the first rule is on line 12


def problems(text: str, source: str = "scenarios/x.yaml") -> list[str]:
    with pytest.raises(ScenarioError) as info:
        load_scenario_text(text, source)
    return info.value.render().splitlines()


def only(text: str, source: str = "scenarios/x.yaml") -> str:
    lines = problems(text, source)
    assert len(lines) == 1, lines
    return lines[0]


# ---- structure --------------------------------------------------------------------------------


def test_dangling_frontend_lists_the_known_names():
    text = LB + ("    - {name: r1, frontend: fe-v4, backend_pool: pool, frontend_port: 80, backend_port: 80}\n"
                 "    - name: r2\n"
                 "      frontend: fe-v7\n"
                 "      backend_pool: pool\n"
                 "      frontend_port: 81\n"
                 "      backend_port: 81\n")
    assert only(text) == ("scenarios/x.yaml line 14, load_balancer.rules[1].frontend: "
                          "no frontend named 'fe-v7'; known: fe-v4, fe-v6")


@pytest.mark.parametrize("field, value, what, known", [
    ("backend_pool", "pool9", "backend pool", "pool"),
    ("probe", "p9", "probe", "none defined"),
])
def test_other_dangling_rule_references(field, value, what, known):
    rule = {"name": "r1", "frontend": "fe-v4", "backend_pool": "pool", "frontend_port": 80,
            "backend_port": 80}
    rule[field] = value
    flow = ", ".join(f"{k}: {v}" for k, v in rule.items())
    assert only(LB + f"    - {{{flow}}}\n") == (
        f"scenarios/x.yaml line 12, load_balancer.rules[0].{field}: no {what} named "
        f"'{value}'; known: {known}")


def test_unknown_key_names_the_allowed_ones():
    text = ("title: bad\nload_balancer:\n  probes:\n    - name: p\n      port: 80\n"
            "      intervall: 5\n")
    msg = only(text)
    assert msg.startswith("scenarios/x.yaml line 6, load_balancer.probes[0].intervall: "
                          "unknown field 'intervall'; expected one of: ")
    assert "interval_s" in msg


def test_unknown_top_level_key():
    assert only("title: t\ncolour: blue\n").startswith(
        "scenarios/x.yaml line 2, colour: unknown field 'colour'; expected one of: title,")


def test_duplicate_names_point_at_the_repeat():
    text = "title: t\npublic_ips:\n  - {name: a, version: IPv4}\n  - {name: a, version: IPv4}\n"
    assert only(text) == ("scenarios/x.yaml line 4, public_ips[1].name: duplicate public IP "
                          "name 'a' (first given at public_ips[0])")


def test_duplicate_yaml_key():
    assert only("title: t\nseed: 1\nseed: 2\n") == "scenarios/x.yaml line 3, seed: duplicate key 'seed'"


def test_duplicate_rule_names_and_claimed_frontend_port():
    text = LB + ("    - {name: r1, frontend: fe-v4, backend_pool: pool, frontend_port: 80, backend_port: 80}\n"
                 "    - {name: r1, frontend: fe-v4, backend_pool: pool, frontend_port: 80, backend_port: 81}\n")
    lines = problems(text)
    assert "scenarios/x.yaml line 13, load_balancer.rules[1].name: duplicate rule name 'r1' " \
           "(first given at load_balancer.rules[0])" in lines
    assert any(l.startswith("scenarios/x.yaml line 13, load_balancer.rules[1].frontend_port: "
                            "fe-v4 Tcp 80 is already used") for l in lines)


# ---- values -----------------------------------------------------------------------------------


def test_invalid_address():
    text = "title: t\nclients:\n  - {name: c, stack: ipv4, ipv4: 198.51.100.300}\n"
    assert only(text) == ("scenarios/x.yaml line 3, clients[0].ipv4: '198.51.100.300' is not "
                          "an IPv4 or IPv6 address")


def test_wrong_family_address():
    text = ("title: t\npublic_ips:\n  - name: p6\n    version: IPv6\n"
            "    address: 203.0.113.5\n")
    assert only(text) == ("scenarios/x.yaml line 5, public_ips[0].address: '203.0.113.5' is an "
                          "IPv4 address, expected IPv6")


def test_ipv6_address_in_an_ipv6_configuration_must_be_ipv6():
    text = ("title: t\nvms:\n  - name: a\n    nics:\n      - name: n\n        ip_configs:\n"
            "          - {name: v6, version: IPv6, address: 10.0.0.4}\n")
    assert only(text) == ("scenarios/x.yaml line 7, vms[0].nics[0].ip_configs[0].address: "
                          "'10.0.0.4' is an IPv4 address, expected IPv6")


def test_a_record_must_name_an_ipv4_frontend():
    text = LB + ("    - {name: r1, frontend: fe-v4, backend_pool: pool, frontend_port: 80, backend_port: 80}\n"
                 "dns:\n  - {name: x.example, a: [fe-v6]}\n")
    assert only(text) == ("scenarios/x.yaml line 14, dns[0].a[0]: frontend 'fe-v6' is IPv6; an "
                          "A record needs an IPv4 frontend")


@pytest.mark.parametrize("port, limit", [(70000, 65534), (-1, None)])
def test_port_out_of_range(port, limit):
    text = LB + ("    - name: r1\n      frontend: fe-v4\n      backend_pool: pool\n"
                 f"      frontend_port: {port}\n      backend_port: 80\n")
    msg = only(text)
    assert msg.startswith("scenarios/x.yaml line 15, load_balancer.rules[0].frontend_port: expected ")
    assert f"(got {port})" in msg


def test_service_port_zero_is_out_of_range():
    text = ("title: t\nvms:\n  - name: a\n    nics: [{name: n, ip_configs: [{name: c}]}]\n"
            "    services:\n      - {port: 0}\n")
    assert only(text).startswith("scenarios/x.yaml line 6, vms[0].services[0].port: expected "
                                 "greater than or equal to 1 (got 0)")


def test_unsupported_protocol():
    text = LB + ("    - name: r1\n      frontend: fe-v4\n      backend_pool: pool\n"
                 "      protocol: Sctp\n      frontend_port: 80\n      backend_port: 80\n")
    assert only(text) == ("scenarios/x.yaml line 15, load_balancer.rules[0].protocol: expected "
                          "'Tcp' or 'Udp' (got 'Sctp')")


def test_rule_to_a_pool_of_the_other_family_is_no_nat64():
    text = farm().replace("backend_pool: pool-v6, protocol", "backend_pool: pool-v4, protocol")
    msg = only(text, "inline.yaml")
    assert "rules[1].backend_pool" in msg and "fact 24" in msg


def test_bad_duration():
    assert only("title: t\nduration: forever\n") == (
        "scenarios/x.yaml line 2, duration: 'forever' is not a duration; use 250ms, 1.5s, 4m, "
        "4m30s, 2h or a number of seconds (got 'forever')")


# ---- timeline and expectations ----------------------------------------------------------------


def test_timeline_references_are_checked_with_lines():
    text = textwrap.dedent("""\
        title: t
        clients:
          - {name: c, stack: ipv4}
        timeline:
          - at: 1s
            connect: {client: c, to: nowhere.example, port: 80}
          - at: 2s
            connect: {client: d, to: 203.0.113.1, port: 80}
          - at: 3s
            fail_service: {vm: ghost, port: 80}
          - at: 5s
            set: {path: load_balancer.rules.nope.frontend_port, value: 81}
        expect:
          - {connection: c9, outcome: delivered}
          - {warning: no-such-id}
        """)
    lines = problems(text)
    assert lines[0] == ("scenarios/x.yaml line 6, timeline[0].connect.to: 'nowhere.example' is "
                        "neither a known name (none) nor an IPv4 or IPv6 address")
    assert lines[1] == "scenarios/x.yaml line 8, timeline[1].connect.client: no client named 'd'; known: c"
    assert lines[2] == ("scenarios/x.yaml line 10, timeline[2].fail_service.vm: no VM named "
                        "'ghost'; known: none defined")
    assert lines[3].startswith("scenarios/x.yaml line 12, timeline[3].set.path: ")
    assert lines[4] == "scenarios/x.yaml line 14, expect[0].connection: no connection named 'c9'; known: c1, c2"
    assert lines[5].startswith("scenarios/x.yaml line 15, expect[1].warning: no catalogue ID "
                               "named 'no-such-id'; known: all-backends-down,")


def test_timeline_entry_needs_exactly_one_event():
    text = "title: t\ntimeline:\n  - at: 1s\n    wait: 1s\n    stop_vm: a\n"
    assert only(text).startswith("scenarios/x.yaml line 3, timeline[0]: each timeline entry "
                                 "holds exactly one of")


def test_set_value_is_validated_like_the_file():
    text = farm(timeline="- at: 1s\n  set: {path: load_balancer.rules.rule-v4.frontend_port, value: 99999}")
    msg = only(text, "inline.yaml")
    assert "timeline[0].set.value: after this change, load_balancer.rules[0].frontend_port" in msg


def test_expectation_needs_a_subject():
    text = "title: t\nexpect:\n  - {outcome: delivered}\n"
    assert only(text).startswith("scenarios/x.yaml line 3, expect[0]: each expectation is about "
                                 "exactly one of")


def test_covers_must_be_catalogue_ids():
    assert only("title: t\ncovers: [made-up]\n").startswith(
        "scenarios/x.yaml line 2, covers[0]: no catalogue ID named 'made-up'")


# ---- files ------------------------------------------------------------------------------------


def test_yaml_syntax_error_names_the_line():
    assert only("title: t\nvms:\n  - name: a\n    nics: [\n") == (
        "scenarios/x.yaml line 4: YAML syntax error: expected the node content, but found "
        "'<stream end>'")


def test_tab_indentation_is_a_syntax_error():
    assert only("title: x\nvms:\n\t- name: a\n").startswith("scenarios/x.yaml line 3: YAML syntax error")


def test_empty_file():
    assert only("") == "scenarios/x.yaml: the file is empty; a scenario needs at least a title"
    assert only("# only a comment\n").endswith("the file is empty; a scenario needs at least a title")


def test_top_level_list():
    assert only("- title: t\n") == ("scenarios/x.yaml line 1: expected a mapping of scenario "
                                    "fields at the top level, got list")


def test_missing_title():
    assert only("seed: 1\n") == "scenarios/x.yaml line 1, title: required field 'title' is missing"


def test_alias_bomb_is_stopped_at_its_key():
    rows = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]']
    for prev, name in zip("abcdef", "bcdefg"):
        rows.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    text = "title: bomb\n" + "\n".join(rows) + "\n"
    msg = only(text)
    assert msg.startswith("scenarios/x.yaml line 7, f: the document expands to more than")
    assert "alias bomb" in msg


def test_python_object_tags_are_refused():
    msg = only("title: t\nseed: !!python/object/apply:os.system ['true']\n")
    assert msg.startswith("scenarios/x.yaml line 2, seed: unsupported YAML tag "
                          "tag:yaml.org,2002:python/object/apply:os.system")
    msg = only("title: !!python/name:os.system ''\n")
    assert msg.startswith("scenarios/x.yaml line 1, title: unreadable value")


def test_missing_file(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "nope.yaml")
    assert info.value.render() == f"{tmp_path / 'nope.yaml'}: no such file"


def test_directory(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    assert info.value.render() == f"{tmp_path}: is a directory, not a scenario file"


def test_binary_junk(tmp_path):
    path = tmp_path / "junk.yaml"
    path.write_bytes(b"\x7fELF\x02\x01\x01\x00" + bytes(range(256)))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "is this a binary file?" in info.value.render()


def test_nul_bytes_in_utf8(tmp_path):
    path = tmp_path / "nul.yaml"
    path.write_bytes(b"title: t\n\x00\x00\n")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert "NUL bytes" in info.value.render()


def test_every_problem_is_listed_with_its_own_line():
    text = ("title: t\nclients:\n  - {name: a, stack: ipv4, ipv4: 1.2.3.999}\n"
            "  - {name: b, stack: ipv6, ipv6: 10.0.0.1}\n")
    lines = problems(text)
    assert [l.split(",")[0] for l in lines] == ["scenarios/x.yaml line 3", "scenarios/x.yaml line 4"]


def test_a_good_file_loads():
    sc = load_scenario_text(farm(), "inline.yaml")
    assert sc.title == "inline test" and sc.seed == 3 and sc.duration_ms == 60_000


def test_assigned_addresses_skip_those_given_later_in_the_file():
    text = ("title: t\nvms:\n"
            "  - {name: a, nics: [{name: an, ip_configs: [{name: v4}, {name: v6, version: IPv6}]}]}\n"
            "  - {name: b, nics: [{name: bn, ip_configs: [{name: v4, address: 10.0.0.4}, "
            "{name: v6, version: IPv6, address: \"fd00:10::4\"}]}]}\n")
    t = load_scenario_text(text, "x.yaml").topology
    a, b = t.vm_by_name["a"], t.vm_by_name["b"]
    assert (b.address("IPv4"), b.address("IPv6")) == ("10.0.0.4", "fd00:10::4")
    assert a.address("IPv4") != "10.0.0.4" and a.address("IPv6") != "fd00:10::4"


def test_an_address_given_twice_is_reported_at_the_second_place():
    text = ("title: t\nclients:\n  - {name: a, stack: ipv4, ipv4: 198.51.100.7}\n"
            "  - {name: b, stack: ipv4, ipv4: 198.51.100.7}\n")
    assert only(text) == ("scenarios/x.yaml line 4, clients[1].ipv4: address 198.51.100.7 is "
                          "already used at clients[0].ipv4")


def test_control_character_names_its_line():
    assert only("title: t\nseed: 1\x07\n") == ("scenarios/x.yaml line 2: character U+0007 is not "
                                              "allowed in a YAML file (is this a binary file?)")


def test_a_number_too_long_for_python_is_bad_input():
    assert only("title: t\nseed: " + "9" * 5000 + "\n") == (
        "scenarios/x.yaml line 2, seed: number too long (5000 characters)")


def test_connection_count_is_bounded():
    text = farm(timeline="- at: 1s\n  connect: {client: vera, to: 203.0.113.10, port: 80, count: 1000000}")
    assert "timeline[0].connect.count: expected less than or equal to 100000" in only(text, "inline.yaml")


def test_deeply_nested_flow_collections_are_refused_quickly():
    import time
    start = time.process_time()
    msg = only("title: deep\nvms: " + "[" * 5000 + "]" * 5000 + "\n")
    assert msg == "scenarios/x.yaml line 2: nested more than 64 levels deep"
    assert time.process_time() - start < 0.5


def test_brackets_inside_scalars_and_quotes_do_not_count_as_nesting():
    text = farm(timeline="- at: 1s\n  set: {path: load_balancer.rules.rule-v4.idle_timeout_min, value: 5}",
                extra="summary: '" + "[" * 100 + "' # " + "{" * 100)
    assert load_scenario_text(text, "inline.yaml").summary == "[" * 100


def test_compound_durations_read_as_their_sum():
    from lb6.model.scenario.durations import parse_duration
    assert parse_duration("4m30s") == 270_000
    assert parse_duration("1h15m") == 4_500_000
    with pytest.raises(ValueError):
        parse_duration("4m30")  # every part needs its unit


# ---- one event validator: a file's timeline and a live injection say the same ---------------

BAD_EVENTS = [
    ("connect", {"client": "nobody", "to": "contoso.westus.cloudapp.azure.com", "port": 80}),
    ("connect", {"client": "dana", "to": "nowhere.example", "port": 80}),
    ("outbound", {"vm": "web1", "to": "api.example", "port": 443}),
    ("fail_service", {"vm": "web1", "protocol": "Tcp", "port": 81}),
    ("stop_vm", {"vm": "ghost"}),
    ("send", {"connection": "c7"}),
    ("set", {"path": "load_balancer.rules.rule-v4.frontend_port", "value": 99999}),
    ("set", {"path": "nowhere.x", "value": 1}),
    # the schema half: worded by the same code too
    ("connect", {"client": "dana", "to": "contoso.westus.cloudapp.azure.com", "port": 70000}),
    ("connect", {"client": "dana", "to": "contoso.westus.cloudapp.azure.com", "port": 80,
                 "bogus": 1}),
    ("stop_vm", {}),
]


@pytest.mark.parametrize("kind, body", BAD_EVENTS, ids=[f"{k}-{i}" for i, (k, _) in
                                                        enumerate(BAD_EVENTS)])
def test_a_bad_event_gives_the_same_message_in_a_file_and_live(kind, body):
    """Issue 14: one validator. The file's message is the live one with the file's place."""
    import json

    from lb6.model.engine.engine import Engine
    from lb6.model.scenario.document import TimedEvent
    from lb6.model.scenario.eventcheck import event_body

    # JSON is YAML: the event goes into the file exactly as the explorer would send it.
    text = farm(timeline=f"- {{at: 1s, {kind}: {json.dumps(body)}}}")
    in_file = only(text, "x.yaml")
    eng = Engine(load_scenario_text(farm(), "x.yaml"))

    def inject() -> None:  # as the explorer does: the schema first, then the engine's check
        conn_id = "live1" if kind in ("connect", "outbound") else None
        eng.inject(TimedEvent(eng.now, kind, event_body(kind, body), -1, conn_id))

    with pytest.raises(ValueError) as info:
        inject()
    live = str(info.value)
    assert "x.yaml" not in live and "timeline" not in live
    place, _, rest = in_file.partition(", timeline[0].")
    assert place.startswith("x.yaml line ")
    assert rest == live

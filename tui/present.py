"""Model → Rich text: the one place that decides how steps, packets and flows look.

Everything returns `rich.text.Text` built from plain strings, never markup strings, so an IPv6
endpoint such as `[fd00::4]:8080` is never mistaken for a style tag (STYLE.md's domain trap).
"""

from __future__ import annotations

from rich.console import Group
from rich.control import strip_control_codes
from rich.table import Table
from rich.text import Text

from ..model.deployment.node_ids import split_node_id
from ..model.net.addressing import endpoint
from ..model.scenario.durations import format_ms
from ..model.net.packet import Packet
from ..model.world.trace import FAILURES, Step

DISPOSITION_STYLES = {
    "delivered": "bold green",
    "answered": "green",
    "translated": "cyan",
    "forwarded": "blue",
    "chosen": "magenta",
    "probe-ok": "green",
    "probe-failed": "yellow",
    "marked-up": "bold green",
    "marked-down": "bold red",
    "config-changed": "magenta",
    "expired": "yellow",
    "cancelled": "dim",
}
SEVERITY_STYLES = {"error": "bold red", "warning": "yellow", "info": "cyan"}


def disposition_style(disposition: str) -> str:
    if disposition in FAILURES:
        return "bold red"
    return DISPOSITION_STYLES.get(disposition, "white")


def disposition_text(disposition: str) -> Text:
    return Text(disposition, style=disposition_style(disposition))


def packet_text(packet: Packet | None) -> Text:
    if packet is None:
        return Text("—", style="dim")
    return Text(packet.describe())


def rewrite_text(step: Step) -> Text:
    """Each changed field as `field old → new`, the new value highlighted."""
    out = Text()
    for i, (name, old, new) in enumerate(step.rewrite):
        if i:
            out.append(", ")
        out.append(f"{name} ")
        out.append(str(old), style="red")
        out.append(" → ")
        out.append(str(new), style="bold green")
    return out


def refs_text(step: Step) -> Text:
    r = step.refs
    out = Text(style="dim")
    parts = []
    if r.rule:
        parts.append(f"rule {r.rule}")
    if r.probe:
        parts.append(f"probe {r.probe}")
    if r.nsg_rule:
        parts.append(f"nsg {r.nsg_rule}")
    if r.ids:
        parts.append(" ".join(r.ids))
    if r.facts:
        parts.append("facts " + ",".join(str(f) for f in r.facts))
    out.append(" · ".join(parts))
    return out


def step_line(step: Step, width_node: int = 24) -> Text:
    """One trace line: number, time, place, disposition, reason, NAT as old → new."""
    line = Text()
    line.append(f"{step.n:>5} ", style="dim")
    line.append(f"{format_ms(step.t_ms)} ", style="cyan")
    line.append(f"{step.node[:width_node]:<{width_node}} ", style="bold")
    line.append_text(Text(f"{step.disposition:<15}", style=disposition_style(step.disposition)))
    line.append(" ")
    line.append(step.reason)
    if step.rewrite:
        line.append("  [", style="dim")
        line.append_text(rewrite_text(step))
        line.append("]", style="dim")
    if step.refs.ids:
        line.append(f"  ({', '.join(step.refs.ids)})", style="dim magenta")
    return line


def step_plain(step: Step, width_node: int = 24) -> str:
    """`step_line(step).plain` without building the styled text: `lb6 run` into a pipe or a
    file writes thousands of these (tests/test_present_plain.py keeps the two the same)."""
    text = (f"{step.n:>5} {format_ms(step.t_ms)} {step.node[:width_node]:<{width_node}} "
            f"{step.disposition:<15} {step.reason}")
    if step.rewrite:
        text += "  [" + ", ".join(f"{name} {old} → {new}" for name, old, new in step.rewrite) + "]"
    if step.refs.ids:
        text += f"  ({', '.join(step.refs.ids)})"
    return strip_control_codes(text)  # as Text does with every string appended to it


def time_left(deadline_ms: int, now: int) -> str:
    """A countdown (a flow's idle timeout, a probe's next round), never below zero."""
    return format_ms(max(0, deadline_ms - now))


def flow_tuple(five_tuple) -> str:
    """`src:port → dst:port` of a flow's (proto, src, sport, dst, dport) tuple, as plain text:
    a line-API view slices it to its column; a table cell must wrap it in `Text` (brackets)."""
    _, src, sport, dst, dport = five_tuple
    return f"{endpoint(src, sport)} → {endpoint(dst, dport)}"


def flows_table(flows, now: int, title: str = "Flow table") -> Table:
    table = Table(title=title, title_justify="left", expand=False)
    for col in ("id", "proto", "original", "translated", "vm", "rule", "state", "idle left",
                "pkts", "bytes"):
        table.add_column(col, no_wrap=True)
    for f in flows:
        table.add_row(str(f.id), f.proto.lower(), Text(flow_tuple(f.orig)),
                      Text(flow_tuple(f.xlat)), f.vm, f.rule, f.state,
                      time_left(f.deadline_ms, now), str(f.packets), str(f.bytes))
    return table


def probes_table(states, now: int) -> Table:
    table = Table(title="Probes", title_justify="left")
    for col in ("probe", "vm", "state", "streak", "last results", "next in"):
        table.add_column(col, no_wrap=True)
    for ps in states:
        style = "green" if ps.state == "up" and not ps.stopped else "red"
        table.add_row(ps.probe, ps.vm, Text("stopped" if ps.stopped else ps.state, style=style),
                      str(ps.streak), " ".join(ps.history[-5:]),
                      "—" if ps.stopped else time_left(ps.next_ms, now))
    return table


def findings_table(findings, title: str = "Findings"):
    """Findings as a list: severity, ID and subject on one line, the message indented below.

    A list reads better than a table at 80 columns, where four columns squeeze the message.
    """
    from rich.padding import Padding

    parts: list = [Text(title, style="bold")]
    for f in findings:
        head = Text()
        head.append(f"{f.severity.upper():<8}", style=SEVERITY_STYLES[f.severity])
        head.append(f"{f.id}  ", style="magenta")
        head.append(f.subject, style="bold")
        parts.append(head)
        parts.append(Padding(Text(f.message), (0, 0, 0, 8)))
    return Group(*parts)


def group_warnings(warnings) -> dict[tuple[str, str], list]:
    """Warnings by (catalogue ID, subject), in the order each was first raised."""
    grouped: dict[tuple[str, str], list] = {}
    for w in warnings:
        grouped.setdefault((w.id, w.subject), []).append(w)
    return grouped


def warnings_table(warnings) -> Table:
    table = Table(title="Warnings raised by traffic", title_justify="left")
    for col in ("id", "first step", "times", "subject", "message"):
        table.add_column(col, overflow="fold")
    for (wid, subject), items in group_warnings(warnings).items():
        table.add_row(Text(wid, style="yellow"), str(items[0].n), str(len(items)), Text(subject),
                      Text(items[0].message))
    return table


def verdict_line(verdict) -> Text:
    line = Text()
    line.append("  PASS " if verdict.passed else "  FAIL ",
                style="bold green" if verdict.passed else "bold red")
    line.append(verdict.text)
    if verdict.detail:
        line.append(f"  ({verdict.detail})", style="dim")
    return line


def inspector(step: Step | None, position: int, known: int, catalogue: dict) -> Group:
    """The step inspector: time, place, disposition, reason, packet before → after, refs."""
    from rich.table import Table as _Table

    if step is None:
        return Group(Text("At the start: nothing has happened yet.", style="bold"),
                     Text("Press → (or n) to take the first step, space to play.", style="dim"))
    parts: list = []
    head = Text()
    head.append(f"Step {step.n}", style="bold")
    head.append(f" of {known} known  ·  ", style="dim")
    head.append(format_ms(step.t_ms), style="cyan")
    head.append("  ·  ")
    head.append(step.node, style="bold")
    head.append(f"  ·  {step.kind}", style="dim")
    parts.append(head)
    parts.append(disposition_text(step.disposition))
    parts.append(Text(step.reason))
    if step.packet is not None:
        grid = _Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        grid.add_row("before", packet_text(step.packet))
        if step.after is not None:
            grid.add_row("after", packet_text(step.after))
        if step.rewrite:
            grid.add_row("changed", rewrite_text(step))
        parts.append(Text(""))
        parts.append(grid)
    if step.detail:
        grid = _Table.grid(padding=(0, 1))
        grid.add_column(style="dim", no_wrap=True)
        grid.add_column()
        for name, value in step.detail:
            grid.add_row(name, Text(value))
        parts.append(Text(""))
        title = "Why this VM" if step.kind == "backend-choice" else "Details"
        parts.append(Text(title, style="bold"))
        parts.append(grid)
    refs = refs_text(step)
    if refs.plain:
        parts.append(Text(""))
        parts.append(refs)
    for cid in step.refs.ids:
        entry = catalogue.get(cid)
        if entry is not None:
            line = Text()
            line.append(f"{cid}: ", style="magenta")
            line.append(entry.title)
            parts.append(line)
    return Group(*parts)


def node_config(topology, node_id: str) -> Group:
    """What a place on the map is configured as, for the node inspector."""
    import dataclasses
    from rich.pretty import Pretty

    if not topology.has_node(node_id):
        return Group(Text(f"{node_id}: not in the current configuration"))
    kind, name = split_node_id(node_id)
    obj = topology.node(node_id)
    return Group(Text(f"{kind} {name}", style="bold"), Pretty(dataclasses.asdict(obj), expand_all=False))


def comparison(cmp) -> Group:
    """The twin-stack comparison side by side; the first row that differs is highlighted."""
    from rich.table import Table as _Table

    table = _Table(title=f"{cmp.client} → {cmp.to}:{cmp.port} over IPv4 and over IPv6",
                   title_justify="left", expand=True)
    table.add_column("#", no_wrap=True, style="dim")
    table.add_column(f"IPv4 (ends {cmp.ipv4.outcome})", ratio=1)
    table.add_column(f"IPv6 (ends {cmp.ipv6.outcome})", ratio=1)
    rows = max(len(cmp.ipv4.steps), len(cmp.ipv6.steps))

    def cell(twin, i):
        if i >= len(twin.steps):
            return Text("—", style="dim")
        s = twin.steps[i]
        out = Text()
        out.append(f"{s.kind} ", style="bold")
        out.append_text(disposition_text(s.disposition))
        out.append(f"\n{s.node}: {s.reason}")
        return out

    for i in range(rows):
        style = "on dark_red" if i == cmp.first_difference else None
        table.add_row(str(i + 1), cell(cmp.ipv4, i), cell(cmp.ipv6, i), style=style)
    head = Text()
    if cmp.first_difference is None:
        head.append("Both families take the same decisions.", style="bold green")
    else:
        head.append(f"First difference at row {cmp.first_difference + 1}: ", style="bold red")
        head.append(cmp.why)
    return Group(head, table)


# ---- the explorer's panes: cells, status and narration ------------------------------------------


def status_line(position: int, known: int, now: int, flows: int, speed: int, playing: bool,
                score: tuple[int, int] | None) -> str:
    """The header's status: step, time, flows, speed; a lesson's score first, so a long title
    never hides it."""
    first = f"score {score[0]}/{score[1]} · " if score is not None else ""
    return (f"{first}step {position}/{known} · t {format_ms(now)} · {flows} flows · "
            f"speed {speed}/s{' ▶ playing' if playing else ''}")


def flow_summary(shown: int, total: int, filter_text: str, now: int) -> Text:
    """The line above the flow table. `Text`, since the filter may hold a bracketed IPv6
    endpoint that markup would swallow (STYLE.md's trap)."""
    matching = f" matching '{filter_text}'" if filter_text else ""
    return Text(f"{shown} of {total} flows{matching} · at {format_ms(now)} · "
                "o: sort by next column, O: reverse, /: filter")


def probe_cells(ps, probe, endpoints_governed, now: int) -> tuple:
    """One row of the explorer's probe table: probe, VM, state, last results, streak toward the
    threshold, the endpoints the probe puts in or out of rotation (one IPv4 probe can govern
    both families, fact 10), next probe."""
    up = ps.eligible
    state = Text("stopped" if ps.stopped else ps.state.upper(),
                 style="bold green" if up else "bold red")
    history = Text()
    for r in ps.history[-6:]:
        history.append("✓" if r == "ok" else "✗", style="green" if r == "ok" else "red")
    toward = "DOWN" if ps.state == "up" else "UP"
    streak = f"{ps.streak}/{probe.number_of_probes} → {toward}" if ps.streak else "—"
    endpoints = Text()
    for m in endpoints_governed:
        endpoints.append(f"{m.family} {m.address}  ", style="green" if up else "red strike")
    next_in = "not probed" if ps.stopped else time_left(ps.next_ms, now)
    return ps.probe, ps.vm, state, history, streak, endpoints, next_in


def warning_cells(items: list) -> tuple:
    """One row of the explorer's warnings table for a group of traffic warnings."""
    first = items[0]
    where = f"step {first.n}" + (f" +{len(items) - 1}" if len(items) > 1 else "")
    return (Text(where), Text("traffic", style="yellow"), first.id, Text(first.subject),
            Text(first.message))


def finding_cells(finding) -> tuple:
    """One row of the explorer's warnings table for a configuration finding."""
    return (Text("config", style="dim"),
            Text(finding.severity, style=SEVERITY_STYLES[finding.severity]), finding.id,
            Text(finding.subject), Text(finding.message))


def raised_at(n: int, reason: str) -> Text:
    """A step that raised a warning, as the warning dialog lists it."""
    return Text(f"step {n}: {reason[:70]}")


def checkpoint_label(name: str, at: int) -> Text:
    return Text(f"{name}  ({format_ms(at)})")


def narration(note_text: str | None, index: int | None, notes: int,
              score: tuple[int, int]) -> str:
    """The lesson box, Markdown: a short status line first (on a small terminal the box shows
    only its top lines), then the note in force."""
    text = note_text if note_text is not None else \
        "*This lesson starts when you press → (or space).*"
    where = f"note {index + 1}/{notes}" if index is not None else "no note yet"
    return (f"*{where} · score {score[0]}/{score[1]} · `]` `[` notes · `k` checkpoints · "
            f"`u` summary*\n\n{text}")


def answers_table(questions, answers: dict) -> Table:
    """A lesson's questions with the learner's prediction and what the engine did."""
    table = Table(show_header=True, box=None, padding=(0, 1))
    for col in ("question", "you said", "the engine did", ""):
        table.add_column(col, overflow="fold")
    for q in questions:
        j = answers.get(q.id)
        if j is None:
            table.add_row(Text(q.text), Text("not asked yet", style="dim"), "", "")
            continue
        mark = Text("✓", style="bold green") if j.right else Text("✗", style="bold red")
        table.add_row(Text(q.text), Text(j.given or "skipped"), Text(j.correct), mark)
    return table


def tally_line(choices, tally: dict[str, int], students: int) -> Text:
    """'IPv6 ▇▇ 2 · IPv4 ▇ 1 · skipped 0 · 3 of 4 answered' for the lead's question dialog."""
    answered = sum(tally.values())
    line = Text("Class: ", style="bold")
    for i, choice in enumerate([*choices, "(skipped)"]):
        count = tally.get(choice, 0)
        if choice == "(skipped)" and not count:
            continue
        if i:
            line.append(" · ")
        line.append(f"{choice} ")
        line.append("▇" * min(count, 20), style="green")
        line.append(f" {count}")
    line.append(f" · {answered} of {max(students, answered)} answered", style="dim")
    return line

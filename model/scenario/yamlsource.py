"""Safe YAML loading that remembers the line of every value and bounds alias expansion.

PyYAML's composer keeps anchors and aliases as shared nodes, so the walk below is where an
alias bomb would explode: it counts every value it produces and stops at a fixed budget.
Only plain data comes out (mappings, lists, strings, numbers, booleans, null): no tags that
build objects, no code.

Parsing uses libyaml (PyYAML's C composer) when it is available: on a 300-VM scenario it is
about twenty times faster than the pure-Python composer, and its nodes carry the same line marks.
When libyaml refuses a text (or the text is one it would read differently), the pure-Python
composer parses it again, so that every message (and its line) is the same with or without
libyaml.
"""

from __future__ import annotations

import re

import yaml

from ..errors import Path, Problem

MAX_VALUES = 200_000
MAX_DEPTH = 64
MAX_BYTES = 20 * 1024 * 1024
PLAIN_TAGS = ("tag:yaml.org,2002:map", "tag:yaml.org,2002:seq")
_FAST_LOADER = getattr(yaml, "CSafeLoader", None)  # None when PyYAML was built without libyaml
# Characters where libyaml and PyYAML part ways (see _compose): anything outside line breaks,
# printable ASCII and printable non-ASCII other than NEL, LS, PS and the BOM; and \t, ! and ?.
_NOT_FOR_LIBYAML = re.compile(
    "[^\n\r -~\xa0-\u2027\u202a-\ud7ff\ue000-\ufefe\uff00-\ufffd\U00010000-\U0010ffff]|[!?]")


class Located:
    """A loaded document with the line (1-based) where each path starts."""

    def __init__(self, data, lines: dict[Path, int]):
        self.data = data
        self.lines = lines

    def line_of(self, path: Path) -> int | None:
        """Line of `path`, or of its nearest ancestor that has one."""
        path = tuple(path)
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get(())


class LoadProblem(Exception):
    def __init__(self, problem: Problem):
        self.problem = problem
        super().__init__(problem.message)


class _Walker:
    def __init__(self):
        self.count = 0
        self.lines: dict[Path, int] = {}
        self.constructor = yaml.SafeLoader("")
        self.merged: dict[int, int] = {}  # id(mapping node) -> pairs that came from `<<`

    def value(self, node, path: Path, depth: int):
        self.count += 1
        if self.count > MAX_VALUES:
            # Aliases share their anchor's node, so the node's own line points at the anchor,
            # not at the use that exploded; name the top-level key being expanded instead.
            top = path[:1]
            raise LoadProblem(Problem(
                f"the document expands to more than {MAX_VALUES} values "
                "(YAML anchors and aliases are expanded; is this an alias bomb?)",
                top, self.lines.get(top, node.start_mark.line + 1)))
        if depth > MAX_DEPTH:
            raise LoadProblem(Problem(f"nested more than {MAX_DEPTH} levels deep", path,
                                      node.start_mark.line + 1))
        self.lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, (yaml.MappingNode, yaml.SequenceNode)) and node.tag not in PLAIN_TAGS:
            # The walk below would build a plain list or dict and silently drop the tag.
            raise LoadProblem(Problem(f"unsupported YAML tag {node.tag}: only plain data is "
                                      "allowed", path, node.start_mark.line + 1))
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            return [self.value(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self.scalar(node, path)

    def mapping(self, node, path: Path, depth: int) -> dict:
        merged = self.merged.get(id(node))
        if merged is None:
            explicit = sum(1 for k, _ in node.value if k.tag != "tag:yaml.org,2002:merge")
            try:
                self.constructor.flatten_mapping(node)  # resolves `<<` merge keys, in place
            except yaml.MarkedYAMLError as exc:  # `<<: 1`: a merge of something not a mapping
                mark = exc.problem_mark or node.start_mark
                raise LoadProblem(Problem(f"unreadable value: {exc.problem or exc}", path,
                                          mark.line + 1)) from None
            # Merged pairs come first; a key given beside the merge overrides them (YAML's
            # merge-key rule), so only a key repeated among the node's own keys is a duplicate.
            merged = self.merged[id(node)] = len(node.value) - explicit
        out: dict = {}
        overridable: set = set()  # keys that came from a merge and may be given again
        for i, (key_node, value_node) in enumerate(node.value):
            if not isinstance(key_node, yaml.ScalarNode):
                raise LoadProblem(Problem("a mapping key must be a plain value", path,
                                          key_node.start_mark.line + 1))
            key = self.scalar(key_node, path)
            if not isinstance(key, (str, int)) or isinstance(key, bool):
                key = str(key)
            if key in out and (i >= merged and key not in overridable):
                raise LoadProblem(Problem(f"duplicate key '{key}'", path + (key,),
                                          key_node.start_mark.line + 1))
            if i < merged:
                overridable.add(key)
            else:
                overridable.discard(key)
            self.lines[path + (key,)] = key_node.start_mark.line + 1
            out[key] = self.value(value_node, path + (key,), depth + 1)
        return out

    def scalar(self, node, path: Path):
        try:
            value = self.constructor.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise LoadProblem(Problem(f"unreadable value: {exc.problem or exc}", path,
                                      node.start_mark.line + 1)) from None
        except ValueError:
            # Python refuses to turn more than 4,300 digits into an int; no field needs one.
            raise LoadProblem(Problem(f"number too long ({len(node.value)} characters)", path,
                                      node.start_mark.line + 1)) from None
        if hasattr(value, "isoformat"):  # dates and timestamps: keep the text the author wrote
            return str(node.value)
        if isinstance(value, bytes):
            raise LoadProblem(Problem("binary values are not allowed", path,
                                      node.start_mark.line + 1))
        return value


def _syntax_problem(exc: yaml.MarkedYAMLError, text: str) -> Problem:
    """A syntax error at the line where it was found, never past the file's last line.

    At the end of the stream PyYAML marks the line after the last one; the construct left open
    (its context mark) is then the more useful place to point at.
    """
    last_line = max(1, text.count("\n") + (0 if text.endswith("\n") else 1))
    mark = exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark else None
    what = exc.problem or exc.context or "syntax error"
    if exc.context and exc.context_mark and exc.context_mark.line + 1 != line:
        what += f" ({exc.context} that starts on line {exc.context_mark.line + 1})"
    if line is not None and line > last_line:
        line = min(exc.context_mark.line + 1 if exc.context_mark else last_line, last_line)
    return Problem(f"YAML syntax error: {what}", (), line)


_NODE_START = ":-[{,"


def _flow_depth_problem(text: str) -> Problem | None:
    """Refuse flow collections nested deeper than MAX_DEPTH before PyYAML sees them.

    PyYAML's composer recurses once per level and only stops at Python's recursion limit,
    which takes seconds for thousands of `[`. This scan counts `[` and `{` where a node can
    start (after `:`, `-`, `,`, another bracket, or at a line's start), skipping quoted text
    and comments, so brackets inside plain scalars such as `rules[0]` do not count.
    """
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return None  # the usual case: too few brackets to nest that deep
    depth, prev, quote, line, i, n = 0, "\n", "", 1, 0, len(text)
    while i < n:
        c = text[i]
        if c == "\n":
            line += 1
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = ""
        elif c == "#" and (i == 0 or text[i - 1] in " \t\n"):
            end = text.find("\n", i)
            i = n if end < 0 else end
            continue
        elif c in "'\"" and (prev in _NODE_START or prev == "\n"):
            quote = c
        elif c in "[{" and (prev in _NODE_START or prev == "\n"):
            depth += 1
            if depth > MAX_DEPTH:
                return Problem(f"nested more than {MAX_DEPTH} levels deep", (), line)
        elif c in "]}" and depth:
            depth -= 1
        if c not in " \t":
            prev = c
        i += 1
    return None


def _compose(text: str):
    """The document's node tree: libyaml's if it reads the text, else the pure-Python one's.

    libyaml is used only where a differential fuzz of both (the shipped scenarios and
    thousands of mutations of them) found them to agree. It accepts tabs, and `?` inside flow
    collections, where PyYAML refuses them, reads an empty tag (`!`) differently and marks an
    empty document a line later; so a text with a tab, `!`, `?`, a Unicode line or paragraph
    separator, NEL or a byte-order mark, or whose document is not a mapping, goes to the
    pure-Python composer.
    """
    if _FAST_LOADER is not None and _NOT_FOR_LIBYAML.search(text) is None:
        try:
            node = yaml.compose(text, Loader=_FAST_LOADER)
        except Exception:  # noqa: BLE001 - the pure-Python composer below words the error
            node = None
        if isinstance(node, yaml.MappingNode):
            return node
    return yaml.compose(text, Loader=yaml.SafeLoader)


def load_yaml(text: str) -> Located:
    """Parse one YAML document; raise LoadProblem naming the line on any error."""
    if len(text) > MAX_BYTES:
        raise LoadProblem(Problem(f"file is larger than {MAX_BYTES // (1024 * 1024)} MiB"))
    if "\x00" in text:
        raise LoadProblem(Problem("file contains NUL bytes: this is not a YAML text file"))
    too_deep = _flow_depth_problem(text)
    if too_deep is not None:
        raise LoadProblem(too_deep)
    try:
        node = _compose(text)
    except yaml.MarkedYAMLError as exc:
        raise LoadProblem(_syntax_problem(exc, text)) from None
    except yaml.reader.ReaderError as exc:
        # A character YAML does not accept (control characters, binary): no mark, a position.
        line = text.count("\n", 0, exc.position) + 1
        char = exc.character if isinstance(exc.character, int) else ord(str(exc.character)[:1] or " ")
        raise LoadProblem(Problem(f"character U+{char:04X} is not allowed in a YAML file "
                                  "(is this a binary file?)", (), line)) from None
    except yaml.YAMLError as exc:
        raise LoadProblem(Problem(f"YAML error: {exc}")) from None
    except RecursionError:
        raise LoadProblem(Problem(f"nested more than {MAX_DEPTH} levels deep")) from None
    if node is None:
        raise LoadProblem(Problem("the file is empty; a scenario needs at least a title"))
    walker = _Walker()
    try:
        data = walker.value(node, (), 0)
    except RecursionError:
        raise LoadProblem(Problem(f"nested more than {MAX_DEPTH} levels deep")) from None
    return Located(data, walker.lines)

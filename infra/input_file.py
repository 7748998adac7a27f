"""Read a YAML or JSON file someone handed us, refusing what would hurt before it is expanded.

Every stack config, inventory, stack-output, preview, quarantine and health file the tool reads
goes through here. Refused, each with an `InputFileError` that names the file, what is wrong and
the fix (the CLI prints it and exits 2):

- more bytes than the kind of file ever needs (checked while reading, so `/dev/zero` or a FIFO
  cannot make us read forever);
- bytes that are not UTF-8 text, or that hold NUL (a binary file given by mistake);
- nesting deeper than `MAX_DEPTH`, checked while composing (PyYAML composes recursively, so a
  deep document would otherwise end in RecursionError) and, for JSON, after the C parser;
- YAML aliases that expand to more than `MAX_YAML_NODES` nodes ("billion laughs": a 2 KB file
  of nested anchors is 10^9 nodes once a consumer walks it), or that refer to themselves. The
  node graph is measured with memoised sizes before anything is constructed, so the refusal
  costs time and memory proportional to the file, not to its expansion. The same defence
  exists in the YAML library Pulumi's own CLI uses (go-yaml, CVE-2019-11254);
- a mapping key written twice (go-yaml v3, which reads Pulumi.<stack>.yaml for the Pulumi CLI,
  refuses it with "mapping key ... already defined"; PyYAML silently keeps the last).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

MAX_DEPTH = 64  # real stack/inventory/preview documents nest well under 20 levels
MAX_YAML_BYTES = 1 << 20  # a Pulumi.<stack>.yaml is a few KB; the 100k-GPU example is < 2 KB
MAX_YAML_NODES = 100_000  # after alias expansion
MAX_JSON_BYTES = 64 << 20  # a 12,500-node inventory is ~2 MB; previews of big stacks are larger


class TooDeepError(ValueError):
    """A JSON document nested deeper than MAX_DEPTH."""


class InputFileError(ValueError):
    """A file that was refused before it was used; `problem` and `fix` are one line each."""

    def __init__(self, path: Path, problem: str, fix: str) -> None:
        self.path = path
        self.problem = problem
        self.fix = fix
        super().__init__(f"{path}: {problem}; {fix}")


def read_text(path: Path, what: str, max_bytes: int) -> str:
    """The file's text, at most `max_bytes` bytes, UTF-8 and free of NUL bytes."""
    try:
        with path.open("rb") as handle:
            data = handle.read(max_bytes + 1)
    except OSError as exc:
        raise InputFileError(
            path, f"cannot read the {what}: {exc.strerror}", f"pass an existing {what} file"
        ) from None
    if len(data) > max_bytes:
        raise InputFileError(
            path,
            f"the {what} is larger than {max_bytes:,} bytes",
            f"pass the {what} itself (this size is never a real one)",
        )
    if b"\0" in data:
        raise InputFileError(
            path, f"the {what} holds NUL bytes (a binary file?)", f"pass the {what} as text"
        )
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputFileError(
            path,
            f"the {what} is not UTF-8 text (byte {data[exc.start]:#04x} at offset {exc.start})",
            "save it as UTF-8",
        ) from None


class _BoundedLoader(yaml.SafeLoader):
    """SafeLoader that refuses deep nesting while composing (before recursion can blow up)."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node | None:
        self._depth += 1
        if self._depth > MAX_DEPTH:
            mark = self.peek_event().start_mark
            raise _Refused(
                f"nested deeper than {MAX_DEPTH} levels (line {mark.line + 1})", "flatten it"
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _Refused(Exception):
    """A document refused while composing or measuring: what is wrong and the fix."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_keys(node: yaml.MappingNode) -> None:
    seen: dict[str, int] = {}
    for key, _ in node.value:
        if not isinstance(key, yaml.ScalarNode) or key.value == "<<":
            continue
        line = key.start_mark.line + 1
        if key.value in seen:
            raise _Refused(
                f"key {key.value!r} is written twice (lines {seen[key.value]} and {line})",
                "keep one of them",
            )
        seen[key.value] = line


def _measure(root: yaml.Node) -> None:
    """Refuse a node graph whose expansion is too big, too deep or cyclic (iterative, memoised)."""
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        key = id(node)
        if leaving:
            kids = _children(node)
            size[key] = 1 + sum(size[id(k)] for k in kids)
            depth[key] = 1 + max((depth[id(k)] for k in kids), default=0)
            open_nodes.discard(key)
            if size[key] > MAX_YAML_NODES:
                raise _Refused(
                    f"its aliases expand to more than {MAX_YAML_NODES:,} values "
                    f"(line {node.start_mark.line + 1})",
                    "write the values out instead of nesting aliases",
                )
            if depth[key] > MAX_DEPTH:
                raise _Refused(
                    f"its aliases nest deeper than {MAX_DEPTH} levels "
                    f"(line {node.start_mark.line + 1})",
                    "write the values out instead of nesting aliases",
                )
            continue
        if key in size:
            continue
        if key in open_nodes:
            raise _Refused(
                f"an alias refers to itself (line {node.start_mark.line + 1})",
                "an anchor's own value cannot contain its alias: remove it",
            )
        if isinstance(node, yaml.MappingNode):
            _check_keys(node)
        open_nodes.add(key)
        stack.append((node, True))
        stack.extend((k, False) for k in _children(node) if id(k) not in size)


def load_yaml(path: Path, what: str, max_bytes: int = MAX_YAML_BYTES) -> Any:
    """One YAML document from `path`, refused (InputFileError) if it is unsafe to expand."""
    text = read_text(path, what, max_bytes)
    try:
        loader = _BoundedLoader(text)
        try:
            node = loader.get_single_node()
            if node is None:
                return None
            _measure(node)
            return loader.construct_document(node)
        finally:
            loader.dispose()
    except _Refused as exc:
        raise InputFileError(path, f"the {what} is refused: {exc.problem}", exc.fix) from None
    except yaml.reader.ReaderError as exc:
        raise InputFileError(
            path,
            f"the {what} holds the control character #x{exc.character:04x} "
            f"(character {exc.position})",
            "remove it (YAML allows only printable characters)",
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise InputFileError(
            path, f"the {what} is not valid YAML{where}: {problem}", "fix the YAML there"
        ) from None


def parse_json(text: str) -> Any:
    """`json.loads` that refuses deep nesting (TooDeepError); JSONDecodeError as json raises it."""
    try:
        doc = json.loads(text)
    except RecursionError:
        raise TooDeepError(f"nested deeper than {MAX_DEPTH} levels") from None
    level: list[tuple[Any, int]] = [(doc, 1)]
    while level:
        value, d = level.pop()
        if d > MAX_DEPTH:
            raise TooDeepError(f"nested deeper than {MAX_DEPTH} levels")
        if isinstance(value, dict):
            level.extend((v, d + 1) for v in value.values())
        elif isinstance(value, list):
            level.extend((v, d + 1) for v in value)
    return doc


def load_json(path: Path, what: str, max_bytes: int = MAX_JSON_BYTES) -> Any:
    """One JSON document from `path`, refused (InputFileError) if too big, binary or too deep."""
    text = read_text(path, what, max_bytes)
    try:
        return parse_json(text)
    except json.JSONDecodeError as exc:
        raise InputFileError(
            path,
            f"the {what} is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
            "fix the JSON there",
        ) from None
    except TooDeepError as exc:
        raise InputFileError(path, f"the {what} is refused: {exc}", "flatten it") from None

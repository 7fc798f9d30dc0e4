"""Read YAML and remember where every value stands in the file.

Faults in the catalogue are reported as "parts[2].indicators[0].max (line 412)",
so the loader needs the line of each path. PyYAML's node tree carries the
positions; we walk it once next to the constructed data.
"""

from __future__ import annotations

from dataclasses import dataclass

import yaml

try:  # the C loader is many times faster on a 3,000-line file
    from yaml import CSafeLoader as SafeLoader
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader  # type: ignore[assignment]

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class YamlSyntaxError(Exception):
    line: int
    column: int
    problem: str


@dataclass(frozen=True)
class YamlDocument:
    data: object
    lines: dict[Path, int]

    def line_of(self, path: Path) -> int | None:
        """The line of `path`, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(path[:end])
            if line is not None:
                return line
        return None


def parse_yaml(text: str) -> YamlDocument:
    try:
        node = yaml.compose(text, Loader=SafeLoader)
        data = yaml.load(text, Loader=SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 0
        column = mark.column + 1 if mark else 0
        raise YamlSyntaxError(line, column, str(exc.problem or exc.context or exc)) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(0, 0, str(exc)) from None
    lines: dict[Path, int] = {}
    if node is not None:
        _collect(node, (), lines)
    return YamlDocument(data=data, lines=lines)


def _collect(node: yaml.Node, path: Path, lines: dict[Path, int]) -> None:
    lines[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            _collect(value_node, (*path, key), lines)
            # Point at the key, not the value: "max: 12" is where people look.
            lines[(*path, key)] = key_node.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _collect(item, (*path, index), lines)


def format_path(path: Path) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else str(part)
    return text

"""Caffe solver files (`solver.prototxt`): telling them from nets by content, and parsing them.

Every Caffe model folder keeps a solver beside its nets and both end in `.prototxt`, so the
file name says nothing. The top-level field names do: a solver writes `base_lr`, `net`,
`max_iter`... (SolverParameter), a net writes `name`, `layer`, `input`... (NetParameter).
Detection runs only after a file failed to parse as a net, so nets pay nothing for it.

A solver names files (`net`, `train_net`, `test_net`, `snapshot_prefix`); they are text to
dwsep and are never opened: Caffe resolves them against its own working directory.
"""

from __future__ import annotations

import re
from functools import cache
from typing import Any

# Strings, comments, braces, and identifiers; everything else (numbers, colons) is skipped
# except ':' which marks the identifier before it as a field name.
_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"?|\'(?:[^\'\\\n]|\\.)*\'?|#[^\n]*|[{}<>:]|[A-Za-z_]\w*')

# The fields that say which net a solver trains or tests (Caffe's InitTrainNet/InitTestNets).
TRAIN_NET_FIELDS = ("net", "net_param", "train_net", "train_net_param")


@cache
def _field_sets() -> tuple[frozenset[str], frozenset[str]]:
    from prototxt_tool import caffe_pb2

    solver = {f.name for f in caffe_pb2.SolverParameter.DESCRIPTOR.fields}
    net = {f.name for f in caffe_pb2.NetParameter.DESCRIPTOR.fields}
    return frozenset(solver - net), frozenset(net - solver)


def top_level_fields(text: str) -> list[str]:
    """Names of the fields written at the top level of a text-format message, in order."""
    names: list[str] = []
    depth = 0
    prev: str | None = None
    for m in _TOKEN.finditer(text):
        tok = m.group()
        if tok in "{<":
            if depth == 0 and prev is not None:
                names.append(prev)
            depth += 1
            prev = None
        elif tok in "}>":
            depth = max(depth - 1, 0)
            prev = None
        elif tok == ":":
            if depth == 0 and prev is not None:
                names.append(prev)
            prev = None
        elif tok[0] in "\"'#":
            prev = None
        else:
            prev = tok
    return names


def looks_like_solver(text: str) -> bool:
    """True when the top level has a solver-only field and no net-only one."""
    solver_only, net_only = _field_sets()
    names = set(top_level_fields(text))
    return bool(names & solver_only) and not names & net_only


def parse_solver(text: str, filename: str) -> tuple[Any, Any]:
    """SolverParameter and its ParseTree; ParseError at the position Caffe's parser reports."""
    from prototxt_tool import caffe_pb2, textformat

    message = caffe_pb2.SolverParameter()
    tree = textformat.parse(text, message, filename=filename)
    return message, tree


def named_nets(solver: Any) -> list[str]:
    """The net files a solver names (as written; never opened)."""
    files = [solver.net] if solver.HasField("net") else []
    if solver.HasField("train_net"):
        files.append(solver.train_net)
    return files + list(solver.test_net)

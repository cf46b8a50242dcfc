"""P002 unknown-field: field that does not exist in caffe.proto (a typo, or a fork-only field)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from prototxt_tool.lint.context import LintContext
from prototxt_tool.lint.registry import Issue, rule
from prototxt_tool.lint.rules._parse import parse_issue


@rule(
    "P002", "unknown-field", "error", stage="text", kinds=("net", "solver"),
    summary="Field that caffe.proto lacks: an error (with the near miss it is of, if any), or "
            "a warning naming the fork that defines it.",
    why="""BVLC Caffe aborts while reading the net. dwsep skips the field (as protobuf's
allow_unknown_field does) so the other rules and `dwsep analyze` still run, but a misspelt
field is never silently ignored: a known fork's field (e.g. NVIDIA's DataParameter.shuffle)
is a warning saying which fork needs it, anything else an error.""",
    bad="""
layer {
  name: "conv1"
  type: "Convolution"
  convolution_param { num_ouput: 64 }
}
""",
    good="""
layer {
  name: "conv1"
  type: "Convolution"
  convolution_param { num_output: 64 }
}
""",
)
def check(ctx: LintContext) -> Iterable[Issue]:
    """A solver stops at its first unknown field (parse error); a net's were all skipped."""
    issues = parse_issue(ctx.parse_error, "unknown-field")
    for field in ctx.skipped:
        issues.append(_skipped(field))
    return issues


def _skipped(field: Any) -> Issue:
    """A known fork's field is a warning naming the fork; anything else an error, with the
    field it is a near miss of when there is one."""
    from prototxt_tool import caffe_pb2, forks
    from prototxt_tool.typos import near_miss

    known = forks.lookup(field.message, field.name)
    if known is not None:
        return Issue(field.span, f'field "{field.name}" of {field.message} is defined by '
                     f"{forks.FORKS[known.fork].repo}, not BVLC Caffe (which refuses it); "
                     "dwsep skips it", severity="warning")
    message = f'message type "{field.message}" has no field named "{field.name}"'
    desc = caffe_pb2.DESCRIPTOR.pool.FindMessageTypeByName(field.message)
    guess = near_miss(field.name, desc.fields_by_name)
    if guess:
        message += f' (did you mean "{guess}"?)'
    return Issue(field.span, message)

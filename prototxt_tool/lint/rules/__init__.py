"""Lint rules, one per module; each registers itself with `prototxt_tool.lint.registry.rule`.

Code prefixes: P parse and schema, G graph, S shapes, D depthwise-separable conventions,
H hygiene, L lint's own housekeeping, W weights (only with --weights or `dwsep check`).
Modules whose name starts with `_` hold shared helpers.
"""

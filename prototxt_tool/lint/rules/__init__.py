"""Lint rules, one per module; each registers itself with `prototxt_tool.lint.registry.rule`.

Code prefixes: P parse and schema, G graph, S shapes, D depthwise-separable conventions,
H hygiene, L lint's own housekeeping. Modules whose name starts with `_` hold shared helpers.
"""

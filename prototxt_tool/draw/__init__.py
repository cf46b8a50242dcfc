"""Pictures of a net: graph model (model.py), layered layout (layout.py), SVG/DOT/HTML renderers.

Layered above analysis and report: nothing in analysis, shapes or report imports this package.
"""

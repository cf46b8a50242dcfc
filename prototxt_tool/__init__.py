"""dwsep: static analysis, generation and linting of Caffe network definitions.

Kept import-free on purpose: `dwsep --version` must not pay for protobuf or click.
"""

__version__ = "0.1.0"

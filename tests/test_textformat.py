"""textformat.parse: same message and same errors as protobuf's text_format, plus positions.

Every behaviour is checked against google.protobuf.text_format itself (the reference), on our
own small inputs; the corpus test then runs every real prototxt through both.
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from google.protobuf import (
    descriptor_pb2,
    descriptor_pool,
    duration_pb2,
    message_factory,
    struct_pb2,
    text_format,
)
from google.protobuf.message import Message

from prototxt_tool import caffe_pb2
from prototxt_tool.errors import DwsepError, ParseError
from prototxt_tool.textformat import ParseTree, Span, parse
from tests.conftest import corpus_or_skip

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "textformat"
Net = caffe_pb2.NetParameter
Layer = caffe_pb2.LayerParameter


def reference(text: str, cls: type[Message] = Net) -> tuple[Message, tuple[int, int] | None]:
    msg = cls()
    try:
        text_format.Parse(text, msg)
    except text_format.ParseError as err:
        return msg, (err.GetLine(), err.GetColumn())
    return msg, None


def ours(text: str, cls: type[Message] = Net) -> tuple[Message, tuple[int, int] | None]:
    msg = cls()
    try:
        parse(text, msg)
    except ParseError as err:
        return msg, (err.line, err.column)
    return msg, None


def assert_same(text: str, cls: type[Message] = Net) -> Message:
    """Both accept with byte-identical messages, or both reject at the same position."""
    want, want_err = reference(text, cls)
    got, got_err = ours(text, cls)
    assert got_err == want_err, text
    if want_err is None:
        assert got.SerializePartialToString(deterministic=True) == \
            want.SerializePartialToString(deterministic=True), text
    return got


# --- grammar accepted ----------------------------------------------------------------------

ACCEPTED = [
    # comments anywhere, optional ":" before "{", "<...>" blocks, separators
    'name: "n" # trailing comment\n# full line\nlayer { name: "a" }',
    'layer: { name: "a" } layer < name: "b" > layer: < name: "c" >',
    'layer { name: "a"; type: "ReLU", bottom: "x"; top: "y" },\nlayer { name: "b" };',
    'layer {\n  name: "a"  # c1\n  ;\n}',
    'layer { name: "a" } # no newline at the end',
    "",
    "   \n# only a comment\n",
    # lists of scalars and of messages; empty list
    "input_dim: [1, 3, 224, 224] input: []",
    'layer { param [ {lr_mult: 1}, <lr_mult: 2> ] bottom: ["a", \'b\'] }',
    'layer [ { name: "a" }, { name: "b" } ]; input: "x"',
    # strings: quotes, adjacent pieces (across lines and comments), escapes, unicode
    "name: 'single' input: \"dq\"",
    'name: "a" \'b\' "c"',
    'name: "a" # between\n "b"',
    r'name: "\n\t\r\a\b\f\v\\\'\"\?"',
    r'name: "\101\60\7\x41\x4\x7e"',
    r'name: "\u00e9\U0001F600"',
    'name: "héllo wörld ✓ 🚀"',
    "name: 'it''s' input: \"\"",
    # integers: hex, octal, signs, bounds
    "input_dim: 0x10 input_dim: 010 input_dim: -7 input_dim: 0",
    "layer { convolution_param { num_output: 4294967295 axis: -2147483648 } }",
    "layer { convolution_param { axis: 2147483647 } }",
    "input_shape { dim: 9223372036854775807 dim: -9223372036854775808 }",
    "input_dim: 0X1f input_dim: 0o17 input_dim: +5",
    # floats: exponents, ints, inf/nan spellings, trailing f
    "layer { loss_weight: [1, 1.5, -2e-3, .5, 1e10, 3.f, 1.0F, inf, -inf, infinity,"
    " -Infinity, nan, NaN, inff, 1E+2, 0, 0.0, -0] }",
    # bools
    "force_backward: true debug_info: 1",
    "force_backward: t debug_info: False",
    "force_backward: True debug_info: f",
    "force_backward: false debug_info: 0",
    # enums by name and by number
    "layer { convolution_param { engine: CUDNN } pooling_param { pool: 1 } }",
    "layer { phase: TEST include { phase: 0 } }",
    # whitespace of every kind, field names right against punctuation
    "layer{name:\"a\"type:\"b\"}\r\nlayer\t{\x0bname\x0c:\"c\"}",
    "name:\u00a0\"unicode space\"\u2003input: 'x'",
    # legacy V0/V1 shapes
    "layers { layer { name: \"c\" type: \"conv\" num_output: 8 } bottom: \"d\" }",
    "layers { name: \"r\" type: RELU }",
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # protobuf's own, on "\\?"
@pytest.mark.parametrize("text", ACCEPTED)
def test_accepted_like_text_format(text: str) -> None:
    _, err = reference(text)
    assert err is None, "fixture must be valid for protobuf"
    assert_same(text)


def test_values_are_the_expected_ones() -> None:
    net = Net()
    parse('name: "a" \'b\' input_dim: [0x10, 010, -7] force_backward: t '
          r'input: "\101\x42\u00e9"', net)
    assert net.name == "ab"
    assert list(net.input_dim) == [16, 8, -7]
    assert net.force_backward is True
    assert net.input == ["ABé"]
    layer = Layer()
    parse("loss_weight: [1.0f, -inf, nan, 2e3] convolution_param { engine: 2 }", layer)
    assert layer.loss_weight[:2] == [1.0, -math.inf]
    assert math.isnan(layer.loss_weight[2]) and layer.loss_weight[3] == 2000.0
    assert layer.convolution_param.engine == caffe_pb2.ConvolutionParameter.CUDNN


def test_features_fixture_file() -> None:
    text = (FIXTURES / "features.prototxt").read_text(encoding="utf-8")
    net = assert_same(text)
    assert len(net.layer) == 3 and net.layer[1].convolution_param.group == 32


def test_empty_message_blocks_are_present() -> None:
    layer = assert_same("convolution_param {} param {} param <>", Layer)
    assert layer.HasField("convolution_param") and len(layer.param) == 2
    layer = assert_same("convolution_param { weight_filler {} }", Layer)
    assert layer.convolution_param.HasField("weight_filler")


def test_merges_into_a_non_empty_message_like_text_format() -> None:
    for text in ['name: "again"', 'input: "more"', "state { level: 1 }", "layer { }"]:
        want, got = Net(name="n", state=caffe_pb2.NetState()), Net(name="n",
                                                                      state=caffe_pb2.NetState())
        want.input.append("first")
        got.input.append("first")
        want_err = got_err = None
        try:
            text_format.Parse(text, want)
        except text_format.ParseError as err:
            want_err = (err.GetLine(), err.GetColumn())
        try:
            parse(text, got)
        except ParseError as err:
            got_err = (err.line, err.column)
        assert got_err == want_err, text
        assert got == want


def test_other_schemas_are_read_from_their_descriptors() -> None:
    assert_same('name: "f.proto" message_type { name: "M" field [{ name: "x" number: 1 '
                'label: LABEL_REPEATED type: TYPE_INT64 }] nested_type { name: "N" } } '
                'options { java_package: "p" optimize_for: SPEED }',
                descriptor_pb2.FileDescriptorProto)


# --- oneofs, maps and implicit presence (generic protobuf features caffe.proto lacks) -------

@pytest.mark.parametrize("text", [
    'fields { key: "a" value { number_value: 1 } } fields { key: "b" value { string_value: "s" } }',
    'fields [ { key: "a" value { bool_value: true } }, { key: "a" value { null_value: 0 } } ]',
    'fields { key: "l" value { list_value { values { number_value: 2 } values {} } } }',
    'fields { key: "x" value { number_value: 1 string_value: "s" } }',  # oneof clash
    'fields { key: "x" value { number_value: 1 number_value: 2 } }',
    'fields { value { struct_value { fields { key: "in" value { number_value: 3 } } } } }',
])
def test_maps_and_oneofs(text: str) -> None:
    assert_same(text, struct_pb2.Struct)


@pytest.mark.parametrize("text", ["seconds: 1 nanos: 2", "seconds: 0 seconds: 5",
                                  "seconds: 5 seconds: 0", "seconds: -0 seconds: 1",
                                  "nanos: 0 nanos: 0 nanos: 7"])
def test_implicit_presence_duplicates(text: str) -> None:
    assert_same(text, duration_pb2.Duration)


def group_schema() -> type[Message]:
    """A proto2 message with a group and a bytes field, built at run time."""
    field = descriptor_pb2.FieldDescriptorProto
    file = descriptor_pb2.FileDescriptorProto(name="dwsep_group_test.proto",
                                              package="dwsep_test", syntax="proto2")
    outer = file.message_type.add(name="Outer")
    outer.nested_type.add(name="MyGroup").field.add(name="x", number=1, type=field.TYPE_INT32,
                                                    label=field.LABEL_OPTIONAL)
    outer.field.add(name="mygroup", number=2, type=field.TYPE_GROUP,
                    label=field.LABEL_REPEATED, type_name=".dwsep_test.Outer.MyGroup")
    outer.field.add(name="data", number=3, type=field.TYPE_BYTES, label=field.LABEL_OPTIONAL)
    pool = descriptor_pool.DescriptorPool()
    pool.Add(file)
    return message_factory.GetMessageClass(pool.FindMessageTypeByName("dwsep_test.Outer"))


@pytest.mark.parametrize("text", [
    'MyGroup { x: 1 } mygroup { x: 2 } data: "\\x00\\377ab" "c"',  # group by its type name
    "Mygroup { x: 1 }",
    'data: "é" data: "x"',
    'data: "\\xff"',  # bytes need not be UTF-8
])
def test_groups_and_bytes(text: str) -> None:
    assert_same(text, group_schema())


# --- errors: same line and column as text_format ------------------------------------------

BROKEN = [
    "layer { name: \"a\" ",  # missing "}" at the end
    "layer { name: \"a\"\n\n\n",
    "layer { convolution_param { num_output: 1 }\n",
    "layer { name: \"a\" } }",  # one "}" too many
    "}",
    "layer { nmae: \"a\" }",  # unknown field
    "layer { convolution_param { nmu_output: 1 } }",
    "layer { name: \"a\" name: \"b\" }",  # non-repeated field twice
    "layer { convolution_param { } convolution_param { } }",
    "name: \"a\" 'b' name: \"c\"",
    "layer { type: \"a\"\n  type: \"b\" \"c\" }",
    "layer { convolution_param { engine: CAFE } }",  # bad enum name / number / quoted
    "layer { convolution_param { engine: 7 } }",
    "layer { convolution_param { engine: \"CAFFE\" } }",
    "layer { convolution_param { num_output: -1 } }",  # range and type errors
    "layer { convolution_param { num_output: 4294967296 } }",
    "layer { convolution_param { axis: 2147483648 } }",
    "layer { convolution_param { axis: -2147483649 } }",
    "layer { convolution_param { num_output: 1.5 } }",
    "layer { convolution_param { num_output: 08 } }",
    "layer { convolution_param { num_output: \"3\" } }",
    "layer { convolution_param { num_output: abc } }",
    "layer { loss_weight: 01.5 }",
    "layer { loss_weight: 00 }",
    "layer { loss_weight: 1.5.5 }",
    "layer { loss_weight: x }",
    "layer { loss_weight: +inff }",
    "force_backward: yes",
    "force_backward: 2",
    "force_backward: TRUE",
    "name: unquoted",
    "name: \"unterminated\n",
    "name: 'mixed\"",
    "name: \"bad escape \\777\"",
    "name: \"ends in backslash \\\"",
    "name: \"\\xff\" input: \"x\"",  # not UTF-8: reported at the token after the string
    "name \"a\"",  # missing ":" before a scalar
    "layer { convolution_param num_output: 1 }",  # message without a brace
    "layer: 5",
    "layer { name: \"a\" >",  # mismatched closers
    "layer < name: \"a\" }",
    "input_dim: [1, 2 3]",  # lists
    "input_dim: [1, 2,]",
    "input_dim: [1; 2]",
    "input_dim: [",
    "layer [ { name: \"a\" } { name: \"b\" } ]",
    "layer [ { name: \"a\" }, name: \"b\" ]",
    "name: [\"a\"]",  # list syntax for a non-repeated field
    "name: \"a\";;",  # two separators
    ", name: \"a\"",
    "layer { ; }",
    "[caffe.ext]: 1",  # extension syntax
    "[caffe.ext: 1",
    "[1]: 1",
    "é: 1",
    "name: \"a\" \u00e9",
    "name:\u00a0\"a\"\u00a0'b'\u00a0c",
    "layer { name: \"a\" # }\n",
    "# comment only, then a stray brace\n\n  {",
    "layer {\r\n  name: \"a\"\r\n  bottom: \"b\" top: \"c\"\r\n  num-output: 1\r\n}",
    "layer {\n\tname:\t\"tab\"\n\tconvolution_param {\n\t\tgroup: -1\n\t}\n}",
]


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # protobuf's own, on "\\777"
@pytest.mark.parametrize("text", BROKEN)
def test_rejected_at_the_same_position(text: str) -> None:
    _, want = reference(text)
    assert want is not None, "fixture must be invalid for protobuf"
    _, got = ours(text)
    assert got == want


def test_error_is_one_clear_line_with_file_and_position() -> None:
    with pytest.raises(ParseError) as info:
        parse('layer {\n  name: "a"\n  convolution_param { group: two }\n}\n', Net(),
              filename="net.prototxt")
    err = info.value
    assert isinstance(err, DwsepError)
    assert (err.line, err.column, err.filename) == (3, 30, "net.prototxt")
    assert str(err) == ('net.prototxt:3:30: field "group" (uint32): expected an integer, '
                        'found "two"')
    assert "\n" not in str(err)


@pytest.mark.parametrize(("text", "words"), [
    ('layer { nmae: "a" }', 'message type "caffe.LayerParameter" has no field named "nmae"'),
    ('name: "a" name: "b"', 'field "name" of caffe.NetParameter is given twice'),
    ("layer { convolution_param { engine: CAFE } }",
     'enum caffe.ConvolutionParameter.Engine has no value named "CAFE"'),
    ("layer { convolution_param { axis: 2147483648 } }", "2147483648 is out of range for int32"),
    ("layer {", 'expected "}" to close "layer", found end of input'),
    ("name: x", 'field "name" (string): expected a quoted string, found "x"'),
    ("force_backward: yes", 'expected true or false, found "yes"'),
    ("input_dim: [1 2]", 'expected "," or "]" in the list of "input_dim", found "2"'),
    ("layer { name }", 'expected ":" after field name "name", found "}"'),
])
def test_error_messages_name_the_problem(text: str, words: str) -> None:
    with pytest.raises(ParseError) as info:
        parse(text, Net())
    assert words in info.value.message


def test_refuses_bytes() -> None:
    with pytest.raises(TypeError):
        parse(b'name: "a"', Net())  # type: ignore[arg-type]


def test_deep_nesting_does_not_recurse() -> None:
    depth = 5000
    text = "nested_type { " * depth + "} " * depth
    msg = descriptor_pb2.DescriptorProto()
    parse(text, msg)
    inner = msg
    for _ in range(depth):
        assert len(inner.nested_type) == 1
        inner = inner.nested_type[0]


# --- positions -------------------------------------------------------------------------------

POSITIONS = """\
name: "net"  # a comment
input_dim: [1, 3,
  224, 224]
layer {
  name: "conv1"
  type: 'Conv' "olution"
  bottom: "data" top: "conv1";
  convolution_param < num_output: 8 group: 2 >
  param [{lr_mult: 1}, {lr_mult: 2}]
}
layer { name: "relu" }
"""


def text_at(text: str, span: Span) -> str:
    lines = text.split("\n")
    if span.line == span.end_line:
        return lines[span.line - 1][span.column - 1:span.end_column]
    parts = [lines[span.line - 1][span.column - 1:]]
    parts += lines[span.line:span.end_line - 1]
    parts.append(lines[span.end_line - 1][:span.end_column])
    return "\n".join(parts)


def test_positions_of_fields_and_messages() -> None:
    tree = parse(POSITIONS, Net())
    assert tree.fields() == ["name", "input_dim", "layer"]
    assert tree.location("name") == Span(1, 1, 1, 11)
    assert [text_at(POSITIONS, tree.location("input_dim", i)) for i in range(4)] == \
        ["1", "3", "224", "224"]
    assert tree.location("input_dim", 2) == Span(3, 3, 3, 5)
    assert tree.count("layer") == 2 and tree.count("input_dim") == 4 and tree.count("x") == 0
    layer = tree.nested("layer")
    assert isinstance(layer, ParseTree)
    assert layer.span == Span(4, 7, 10, 1)
    assert tree.location("layer") == Span(4, 1, 10, 1)
    assert layer.fields() == ["name", "type", "bottom", "top", "convolution_param", "param"]
    assert text_at(POSITIONS, layer.location("name")) == 'name: "conv1"'
    assert text_at(POSITIONS, layer.location("type")) == "type: 'Conv' \"olution\""
    assert text_at(POSITIONS, layer.location("top")) == 'top: "conv1"'
    conv = layer.nested("convolution_param")
    assert conv is not None
    assert text_at(POSITIONS, conv.span) == "< num_output: 8 group: 2 >"
    assert conv.location("group") == Span(8, 37, 8, 44)
    assert text_at(POSITIONS, layer.location("param", 1)) == "{lr_mult: 2}"
    assert layer.nested("param", 1).location("lr_mult") == Span(9, 25, 9, 34)
    second = tree.nested("layer", 1)
    assert second is not None and second.location("name") == Span(11, 9, 11, 20)


def test_missing_positions_are_none() -> None:
    tree = parse(POSITIONS, Net())
    assert tree.location("force_backward") is None
    assert tree.nested("layer", 2) is None and tree.nested("layer", -1) is None
    assert tree.nested("name") is None  # a scalar has no tree
    assert tree.nested("layer").nested("convolution_param").nested("weight_filler") is None


def test_top_level_span_and_empty_text() -> None:
    assert parse("\n  name: 'x'  \n\n", Net()).span == Span(2, 3, 2, 11)
    empty = parse("# nothing\n", Net())
    assert empty.fields() == [] and empty.location("name") is None


def test_positions_count_characters_not_bytes() -> None:
    text = 'name: "ééé" input: "x"'
    assert parse(text, Net()).location("input") == Span(1, 13, 1, 22)


def test_positions_for_general_path_items() -> None:
    text = ('layer {\n  name: "a\\n" "b"\n  bottom: [ "x",\n "y" ]\n'
            '  include < phase: TEST >, exclude { stage: "s" }\n}')
    layer = parse(text, Net()).nested("layer")
    assert text_at(text, layer.location("name")) == 'name: "a\\n" "b"'
    assert text_at(text, layer.location("bottom", 1)) == '"y"'
    assert text_at(text, layer.location("include")) == "include < phase: TEST >"
    assert layer.nested("exclude").location("stage") == Span(5, 38, 5, 47)


# --- the corpus ------------------------------------------------------------------------------

def corpus_files() -> list[Path]:
    root = corpus_or_skip()
    return sorted(root.rglob("*.prototxt"))


def test_every_corpus_file_equals_text_format() -> None:
    files = corpus_files()
    assert files
    for path in files:
        text = path.read_text(encoding="utf-8")
        want, want_err = reference(text)
        got, got_err = ours(text)
        assert (got_err, got) == (want_err, want), path.name


def test_corpus_layer_positions_point_at_their_names() -> None:
    for path in corpus_files():
        text = path.read_text(encoding="utf-8")
        net = Net()
        tree = parse(text, net)
        field = "layer" if net.layer else "layers"
        for i, layer in enumerate(getattr(net, field)):
            sub = tree.nested(field, i)
            assert sub is not None
            if layer.name:
                where = sub.location("name")
                assert where is not None
                assert text_at(text, where).startswith("name"), (path.name, i)
                assert layer.name in text_at(text, where)


def test_line_index_answers_the_same_forwards_and_backwards() -> None:
    """_LineIndex counts newlines for offsets asked in order and bisects a table otherwise;
    both must give every offset's (line, column) as a plain scan of the text does."""
    import bisect
    import random

    from prototxt_tool.textformat import _LineIndex

    rng = random.Random(7)
    for _ in range(500):
        text = "".join(rng.choice(["a", "\n", "bc", "\n\n", "x\ny"])
                       for _ in range(rng.randint(0, 40)))
        starts = [0] + [i + 1 for i, c in enumerate(text) if c == "\n"]
        index = _LineIndex(text)
        offsets = sorted(rng.randint(0, len(text)) for _ in range(8))
        offsets += [rng.randint(0, len(text)) for _ in range(rng.choice([0, 4]))]
        for offset in offsets:
            row = bisect.bisect_right(starts, offset) - 1
            assert index.locate(offset) == (row + 1, offset - starts[row] + 1)


def test_lines_of_is_each_trees_line_in_any_order() -> None:
    """The analyzer's one-pass line numbers equal ParseTree.line, for layers in file order,
    out of order (a reordered view falls back to one lookup each) and missing trees."""
    from prototxt_tool.textformat import lines_of

    text = ('name: "n"\n\nlayer {\n  name: "a"\n}\nlayer { name: "b" }\n\n\n'
            'layer {\n name: "c" }\n')
    tree = parse(text, caffe_pb2.NetParameter())
    trees = tree.nested_all("layer")
    assert lines_of(trees) == [t.line for t in trees] == [3, 6, 9]
    assert lines_of([trees[2], None, trees[0]]) == [9, 0, 3]
    assert lines_of([None]) == [0] and lines_of([]) == []

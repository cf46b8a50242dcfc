"""Draw and report timings (run by hand, never as a test).

    .venv/bin/python bench/bench_draw.py [--runs N] [--no-grandalf]

For MobileNet v1 and ResNet-152 (corpus) and bench.py's 10,001-layer chain (folded and
--no-fold): nodes, edges, dummy-free crossings, and best-of-N time of the graph model, of
dwsep's layout, of the SVG and of the whole HTML report, with the report's size. Targets: the
ResNet-152 report under 2 MB; layout time that grows linearly (the chain's time per node no
worse than ResNet-152's by more than 3x). With grandalf installed (`pip install grandalf`, not
a dependency), its Sugiyama layout of the same graphs is timed too, for docs/draw.md's choice;
each grandalf run is cut off after GRANDALF_LIMIT seconds.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from bench import chain_text, corpus_dir  # noqa: E402
from prototxt_tool import analysis, pipeline  # noqa: E402
from prototxt_tool.draw import labels  # noqa: E402
from prototxt_tool.draw.html import render_report  # noqa: E402
from prototxt_tool.draw.layout import layout  # noqa: E402
from prototxt_tool.draw.model import Graph, build  # noqa: E402
from prototxt_tool.draw.svg import arrange, render_svg  # noqa: E402

REPORT_LIMIT = 2 * 1024 * 1024  # bytes, ResNet-152's report
GRANDALF_LIMIT = 120.0


def best(runs: int, fn: Callable[[], object]) -> tuple[float, object]:
    times, value = [], None
    for _ in range(runs):
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
    return min(times), value


def nets() -> dict[str, pipeline.Source]:
    out = {}
    for label, rel in (("mobilenet_v1", "mobilenet/mobilenet_deploy.prototxt"),
                       ("resnet152", "resnet/ResNet-152-deploy.prototxt")):
        path = corpus_dir() / rel
        if path.is_file():
            out[label] = pipeline.read_source(str(path))
        else:
            print(f"note: {path} not found (set DWSEP_CORPUS); skipping {label}")
    out["chain_10001"] = pipeline.Source("chain_10001", chain_text(10_001))
    return out


def layout_inputs(graph: Graph) -> tuple[list[tuple[float, float]], list[tuple[int, int]]]:
    sizes = [labels.node_size(labels.node_lines(graph, n)) for n in graph.nodes]
    return sizes, [(e.source, e.target) for e in graph.edges]


def grandalf_layout(sizes: list[tuple[float, float]], edges: list[tuple[int, int]]) -> None:
    from grandalf.graphs import Edge, Graph, Vertex
    from grandalf.layouts import SugiyamaLayout

    class View:
        def __init__(self, w: float, h: float):
            self.w, self.h, self.xy = w, h, (0.0, 0.0)

    vertices = [Vertex(i) for i in range(len(sizes))]
    for v, (w, h) in zip(vertices, sizes, strict=True):
        v.view = View(w, h)
    g = Graph(vertices, [Edge(vertices[s], vertices[t]) for s, t in edges])
    for component in g.C:
        sug = SugiyamaLayout(component)
        sug.init_all()
        sug.draw()


def _grandalf_child(sizes: list, edges: list, queue: multiprocessing.Queue) -> None:
    start = time.perf_counter()
    grandalf_layout(sizes, edges)
    queue.put(time.perf_counter() - start)


def time_grandalf(sizes: list, edges: list) -> str:
    queue: multiprocessing.Queue = multiprocessing.Queue()
    child = multiprocessing.Process(target=_grandalf_child, args=(sizes, edges, queue))
    child.start()
    child.join(GRANDALF_LIMIT)
    if child.is_alive():
        child.terminate()
        child.join()
        return f">{GRANDALF_LIMIT:.0f}s"
    return f"{queue.get():.3f}s" if not queue.empty() else "failed"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--no-grandalf", action="store_true")
    args = parser.parse_args()
    try:
        import grandalf  # noqa: F401
        with_grandalf = not args.no_grandalf
    except ImportError:
        with_grandalf = False
        print("note: grandalf not installed (pip install grandalf); its column is skipped")
    print(f"best of {args.runs}; times in seconds")
    head = (f"{'net':<22}{'layers':>7}{'nodes':>7}{'edges':>7}{'cross':>6}{'model':>8}"
            f"{'layout':>8}{'svg':>8}{'report':>8}{'KB':>8}{'us/node':>9}")
    print(head + (f"{'grandalf':>10}" if with_grandalf else ""))
    ok = True
    per_node: dict[str, float] = {}
    for label, source in nets().items():
        result = analysis.analyze(pipeline.load_net(source))
        for fold in (True, False):
            if label != "chain_10001" and not fold:
                continue
            name = label + ("" if fold else " --no-fold")
            t_model, graph = best(args.runs, lambda f=fold, a=result: build(a, f))
            sizes, edges = layout_inputs(graph)
            t_layout, lay = best(args.runs, lambda s=sizes, e=edges: layout(s, e))
            drawing = arrange(graph)
            t_svg, _ = best(args.runs, lambda d=drawing: render_svg(d))
            t_report, page = best(args.runs, lambda g=graph: render_report([g]))
            size = len(page.encode())
            per_node[name] = t_layout / len(graph.nodes) * 1e6
            row = (f"{name:<22}{len(result.layers):>7}{len(graph.nodes):>7}{len(edges):>7}"
                   f"{lay.crossings:>6}{t_model:>8.3f}{t_layout:>8.3f}{t_svg:>8.3f}"
                   f"{t_report:>8.3f}{size / 1024:>8.0f}{per_node[name]:>9.1f}")
            if with_grandalf:
                row += f"{time_grandalf(sizes, edges):>10}"
            print(row, flush=True)
            if label == "resnet152" and size >= REPORT_LIMIT:
                print(f"  FAIL: ResNet-152 report is {size:,} bytes (limit {REPORT_LIMIT:,})")
                ok = False
    if "resnet152" in per_node and "chain_10001 --no-fold" in per_node:
        ratio = per_node["chain_10001 --no-fold"] / per_node["resnet152"]
        print(f"layout time per node, 10,001-layer chain vs ResNet-152: {ratio:.2f}x "
              "(linear: about 1x; target under 3x)")
        ok = ok and ratio < 3
    print("ok" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

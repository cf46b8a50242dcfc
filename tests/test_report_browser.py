"""The HTML report in a real browser: Debian's headless Chromium through chromedriver.

One browser serves the whole module. Networking is off (offline emulation, every host name
unresolvable), so a report that tried to fetch anything would fail here. Skipped, with the
reason, where chromium, chromedriver or selenium is missing; .ci/run installs them.
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import CORPUS, FIXTURES

from prototxt_tool.cli import COMMANDS
from prototxt_tool.commands import build_cli

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMEDRIVER = shutil.which("chromedriver") or "/usr/bin/chromedriver"
MOBILENET = CORPUS / "mobilenet" / "mobilenet_deploy.prototxt"
CHAIN_LAYERS = 2_001  # above the report's 1,000-row threshold: the table is virtualised


def _missing() -> str | None:
    for path, what in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromedriver")):
        if not Path(path).exists():
            return f"{what} not installed (apt-get install chromium chromium-driver)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium not installed (pip install -e '.[test]')"
    return None


def write_report(path: Path, *args: str) -> dict:
    result = CliRunner().invoke(build_cli(COMMANDS), ["report", *args, "-o", str(path)],
                                catch_exceptions=False)
    assert result.exit_code == 0, result.stderr
    page = path.read_text()
    return json.loads(re.search(r'id="dwsep-data">(.*?)</script>', page, re.S).group(1))


def chain(layers: int) -> str:
    """Input, then Convolution / in-place ReLU pairs: `layers` layers in all."""
    out = ['name: "chain"\nlayer { name: "data" type: "Input" top: "data" '
           "input_param { shape { dim: 1 dim: 4 dim: 8 dim: 8 } } }\n"]
    blob = "data"
    for i in range(1, layers):
        if i % 2:
            out.append(f'layer {{ name: "conv{i}" type: "Convolution" bottom: "{blob}" '
                       f'top: "conv{i}" convolution_param {{ num_output: 4 kernel_size: 3 '
                       "pad: 1 } }\n")
            blob = f"conv{i}"
        else:
            out.append(f'layer {{ name: "relu{i}" type: "ReLU" bottom: "{blob}" '
                       f'top: "{blob}" }}\n')
    return "".join(out)


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    why = _missing()
    if why:
        pytest.skip(why)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu",
                 "--disable-background-networking", "--disable-component-update",
                 "--no-first-run", "--disable-sync", "--disable-extensions",
                 "--disable-dev-shm-usage", "--window-size=1280,1000",
                 "--host-resolver-rules=MAP * ~NOTFOUND",
                 f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    try:
        driver.execute_cdp_cmd("Network.enable", {})
        driver.execute_cdp_cmd("Network.emulateNetworkConditions", {
            "offline": True, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1})
        yield driver
    finally:
        driver.quit()


def open_page(driver: object, path: Path) -> list[dict]:
    """Load a report; returns the console messages of the load (SEVERE ones are errors)."""
    driver.get_log("browser")  # drop what earlier pages left
    driver.get(path.as_uri())
    driver.execute_script("return document.readyState")
    return driver.get_log("browser")


def rows(driver: object, view: int = 0) -> list[object]:
    return driver.find_elements("css selector", f"#view-{view} table.layers tbody tr[data-layer]")


def table(driver: object, view: int = 0) -> list[tuple[int, str]]:
    """(layer index, name cell's text) of every row in the DOM, in one round trip."""
    got = driver.execute_script(
        "return Array.from(document.querySelectorAll(arguments[0])).map(r => "
        "[+r.getAttribute('data-layer'), r.children[1].textContent]);",
        f"#view-{view} table.layers tbody tr[data-layer]")
    return [(i, name) for i, name in got]


@pytest.fixture(scope="module")
def mobilenet(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    net = MOBILENET if MOBILENET.exists() else FIXTURES / "draw" / "branches.prototxt"
    path = tmp_path_factory.mktemp("report") / "mobilenet.html"
    return path, write_report(path, str(net))


def test_loads_without_console_errors(browser: object, mobilenet: tuple[Path, dict]) -> None:
    path, _ = mobilenet
    logs = open_page(browser, path)
    assert [m for m in logs if m["level"] == "SEVERE"] == []
    assert browser.execute_script("return !!window.dwsepReport")  # the script ran under the CSP


def test_one_row_per_layer(browser: object, mobilenet: tuple[Path, dict]) -> None:
    path, data = mobilenet
    open_page(browser, path)
    layers = data["views"][0]["layers"]
    assert [name for _, name in table(browser)] == [x["name"] for x in layers]


def test_sort_by_macs_puts_heaviest_first(browser: object,
                                          mobilenet: tuple[Path, dict]) -> None:
    path, data = mobilenet
    open_page(browser, path)
    browser.find_element("css selector", '#view-0 th[data-col="macs"]').click()
    layers = data["views"][0]["layers"]
    heaviest = max(layers, key=lambda x: x["macs"] or 0)
    order = table(browser)
    assert order[0][1] == heaviest["name"]
    macs = [layers[i]["macs"] or 0 for i, _ in order]
    assert macs == sorted(macs, reverse=True)


def test_row_click_highlights_node_and_node_click_finds_row(
        browser: object, mobilenet: tuple[Path, dict]) -> None:
    path, data = mobilenet
    open_page(browser, path)
    layers = data["views"][0]["layers"]
    row = rows(browser)[5]
    index = int(row.get_attribute("data-layer"))
    row.click()
    selected = browser.find_elements("css selector", "#view-0 .node.selected")
    assert [s.get_attribute("data-node") for s in selected] == [str(layers[index]["node"])]
    row = browser.find_element("css selector", f'#view-0 tbody tr[data-layer="{index}"]')
    assert "selected" in row.get_attribute("class")  # the table re-renders its rows
    # and back: a click on another node selects it and scrolls its row into the table's view
    node = browser.find_element("css selector", "#v0-n2")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})",
                           browser.find_element("css selector", "#view-0 .graph"))
    browser.execute_script("window.dwsepReport.views[0].centre(2)")
    browser.execute_script("return new Promise(r => requestAnimationFrame(() => r()))")
    node.click()
    assert "selected" in node.get_attribute("class")
    picked = browser.find_elements("css selector", "#view-0 tbody tr.selected")
    first = data["views"][0]["nodes"][2][0]
    assert picked and picked[0].get_attribute("data-layer") == str(first)
    box = browser.find_element("css selector", "#view-0 .rows").rect
    at = picked[0].rect
    assert box["y"] <= at["y"] <= box["y"] + box["height"]


def test_filter_and_zoom(browser: object, mobilenet: tuple[Path, dict]) -> None:
    path, data = mobilenet
    open_page(browser, path)
    box = browser.find_element("css selector", "#view-0 .filter")
    box.send_keys("pooling")
    browser.implicitly_wait(0)
    browser.execute_script("return new Promise(r => setTimeout(r, 250))")
    kinds = [data["views"][0]["layers"][i]["kind"] for i, _ in table(browser)]
    assert kinds and set(kinds) == {"pooling"}
    vp = browser.find_element("css selector", "#v0-viewport")
    before = vp.get_attribute("transform")
    browser.find_element("css selector", '#view-0 button[data-act="in"]').click()
    browser.execute_script("return new Promise(r => requestAnimationFrame(() => r()))")
    after = vp.get_attribute("transform")
    assert before != after and "scale(" in after


def test_hostile_names_stay_text(browser: object, tmp_path: Path) -> None:
    path = tmp_path / "hostile.html"
    data = write_report(path, str(FIXTURES / "draw" / "hostile.prototxt"))
    logs = open_page(browser, path)
    assert [m for m in logs if m["level"] == "SEVERE"] == []
    dom = browser.execute_script("""
        const all = Array.from(document.querySelectorAll('*'));
        return {scripts: document.scripts.length, imgs: document.images.length,
                handlers: all.filter(e => Array.from(e.attributes)
                                         .some(a => a.name.startsWith('on'))).length};""")
    assert dom == {"scripts": 2, "imgs": 0, "handlers": 0}
    from selenium.common.exceptions import NoAlertPresentException

    with pytest.raises(NoAlertPresentException):
        browser.switch_to.alert.text  # noqa: B018  (no injected alert() ran)
    names = [name for _, name in table(browser)]
    assert names == [x["name"] for x in data["views"][0]["layers"]]
    assert names[0] == "</script><script>alert(1)</script>"


def test_big_net_table_is_virtualised(browser: object, tmp_path: Path) -> None:
    net = tmp_path / "chain.prototxt"
    net.write_text(chain(CHAIN_LAYERS))
    path = tmp_path / "chain.html"
    write_report(path, str(net))
    logs = open_page(browser, path)
    assert [m for m in logs if m["level"] == "SEVERE"] == []
    grid = browser.find_element("css selector", "#view-0 table.layers")
    assert grid.get_attribute("aria-rowcount") == str(CHAIN_LAYERS + 1)
    assert len(table(browser)) < 200  # only the rows in view are in the DOM
    browser.execute_script("const s = document.querySelector('#view-0 .rows');"
                           "s.scrollTop = s.scrollHeight;")
    browser.execute_script("return new Promise(r => setTimeout(r, 100))")
    assert table(browser)[-1][0] == CHAIN_LAYERS - 1


def test_hover_shows_shapes_and_costs(browser: object, mobilenet: tuple[Path, dict]) -> None:
    from selenium.webdriver.common.action_chains import ActionChains

    path, data = mobilenet
    open_page(browser, path)
    node = browser.find_element("css selector", "#v0-n1")
    ActionChains(browser).move_to_element(node).perform()
    tip = browser.find_element("css selector", "#tooltip")
    assert tip.is_displayed()
    text = tip.get_attribute("textContent")
    view = data["views"][0]
    for i in view["nodes"][1]:
        layer = view["layers"][i]
        assert layer["name"] in text and layer["out"] in text
        assert f"MACs {layer['macs']:,}" in text and f"params {layer['params']:,}" in text
    assert "memory" in text and "ops" in text

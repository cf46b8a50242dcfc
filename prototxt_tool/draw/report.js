/* dwsep report: pan/zoom of the pre-laid-out SVG, tooltips, the sortable, filterable table.
 * Net-supplied text only ever reaches the page through textContent. Per-frame work is constant:
 * panning and zooming change one transform attribute; the table renders only the rows in view
 * (all rows when there are few); hover looks a node up by its id. */
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('dwsep-data').textContent);
  var tooltip = document.getElementById('tooltip');
  var ALL_ROWS = 1000;   // up to this many rows the table is rendered whole
  var BUFFER = 15;       // extra rows above and below the visible window
  var COLUMNS = ['index', 'name', 'type', 'kind', 'out', 'macs', 'ops', 'params', 'memory'];
  var NUMERIC = { index: 1, macs: 1, ops: 1, params: 1, memory: 1 };

  function human(n) {
    if (n === null || n === undefined) { return '?'; }
    var units = [[1e18, 'E'], [1e15, 'P'], [1e12, 'T'], [1e9, 'G'], [1e6, 'M'], [1e3, 'K']];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(n) >= units[i][0]) {
        var v = n / units[i][0];
        return (v < 10 ? v.toFixed(2) : v.toFixed(1)) + units[i][1];
      }
    }
    return String(n);
  }
  function bytes(n) {
    if (n === null || n === undefined) { return '?'; }
    if (n >= 1048576) { return (n / 1048576).toFixed(2) + ' MiB'; }
    if (n >= 1024) { return (n / 1024).toFixed(1) + ' KiB'; }
    return n + ' B';
  }
  function exact(n) { return n === null || n === undefined ? 'unknown' : n.toLocaleString('en-US'); }

  function View(model, root, number) {
    this.model = model;
    this.root = root;
    this.number = number;
    this.layers = model.layers;
    this.selected = -1;        // node id
    this.initGraph();
    this.initTable();
  }

  // ---- graph -----------------------------------------------------------------------------
  View.prototype.initGraph = function () {
    var self = this;
    var box = this.box = this.root.querySelector('.graph');
    var svg = this.svg = box.querySelector('svg');
    this.vp = svg.querySelector('.viewport');
    this.width = parseFloat(svg.getAttribute('width'));
    this.height = parseFloat(svg.getAttribute('height'));
    svg.removeAttribute('viewBox');   // our one transform does all scaling
    this.s = 1; this.tx = 0; this.ty = 0; this.frame = 0;
    this.fit('auto');
    var down = null, dragging = false;
    box.addEventListener('pointerdown', function (e) {
      if (e.button !== 0) { return; }
      down = { x: e.clientX, y: e.clientY, tx: self.tx, ty: self.ty, target: e.target, id: e.pointerId };
      dragging = false;
    });
    box.addEventListener('pointermove', function (e) {
      if (down && !dragging && Math.abs(e.clientX - down.x) + Math.abs(e.clientY - down.y) > 4) {
        dragging = true;
        box.setPointerCapture(down.id);
        box.classList.add('dragging');
        tooltip.hidden = true;
      }
      if (dragging) {
        self.tx = down.tx + e.clientX - down.x;
        self.ty = down.ty + e.clientY - down.y;
        self.apply();
      } else {
        self.hover(e);
      }
    });
    box.addEventListener('pointerup', function () {
      if (down && !dragging) {
        var node = down.target.closest ? down.target.closest('.node') : null;
        if (node) { self.select(+node.getAttribute('data-node'), 'graph'); }
      }
      down = null; dragging = false;
      box.classList.remove('dragging');
    });
    box.addEventListener('pointerleave', function () { tooltip.hidden = true; });
    box.addEventListener('wheel', function (e) {
      e.preventDefault();
      var r = box.getBoundingClientRect();
      self.zoom(Math.exp(-e.deltaY * 0.0015), e.clientX - r.left, e.clientY - r.top);
    }, { passive: false });
    this.root.querySelector('.toolbar').addEventListener('click', function (e) {
      var act = e.target.getAttribute && e.target.getAttribute('data-act');
      if (act === 'in' || act === 'out') {
        self.zoom(act === 'in' ? 1.25 : 0.8, box.clientWidth / 2, box.clientHeight / 2);
      } else if (act) {
        self.fit(act);
      }
    });
  };

  View.prototype.apply = function () {
    var self = this;
    if (this.frame) { return; }
    this.frame = requestAnimationFrame(function () {
      self.frame = 0;
      self.vp.setAttribute('transform', 'translate(' + self.tx.toFixed(1) + ',' +
        self.ty.toFixed(1) + ') scale(' + self.s.toFixed(4) + ')');
    });
  };

  View.prototype.zoom = function (k, px, py) {
    var s = Math.min(8, Math.max(0.01, this.s * k));
    k = s / this.s;
    this.tx = px - (px - this.tx) * k;
    this.ty = py - (py - this.ty) * k;
    this.s = s;
    this.apply();
  };

  View.prototype.fit = function (how) {
    var bw = this.box.clientWidth || 800, bh = this.box.clientHeight || 600;
    var all = Math.min(bw / this.width, bh / this.height, 1);
    var wide = Math.min(bw / this.width, 1);
    if (how === 'auto') { how = all >= 0.4 * wide ? 'fit' : 'width'; }
    this.s = how === 'one' ? 1 : how === 'width' ? wide : all;
    this.tx = (bw - this.width * this.s) / 2;
    this.ty = how === 'fit' ? (bh - this.height * this.s) / 2 : 0;  // else from the top
    this.apply();
  };

  View.prototype.nodeElement = function (id) {
    return this.svg.querySelector('#v' + this.number + '-n' + id);
  };

  View.prototype.centre = function (id) {
    var el = this.nodeElement(id);
    if (!el) { return; }
    var b = el.getBBox();
    var content = el.parentNode.parentNode;   // <g class="content" transform="translate(0,y)">
    var m = content.transform.baseVal.consolidate();
    var dy = m ? m.matrix.f : 0;
    if (this.s < 0.6) { this.s = 0.9; }
    this.tx = this.box.clientWidth / 2 - (b.x + b.width / 2) * this.s;
    this.ty = this.box.clientHeight / 2 - (b.y + dy + b.height / 2) * this.s;
    this.apply();
  };

  View.prototype.hover = function (e) {
    var node = e.target.closest ? e.target.closest('.node') : null;
    if (!node) { tooltip.hidden = true; return; }
    var id = +node.getAttribute('data-node');
    if (tooltip.getAttribute('data-for') !== this.number + ':' + id) {
      tooltip.setAttribute('data-for', this.number + ':' + id);
      tooltip.textContent = this.describe(id);
    }
    tooltip.hidden = false;
    var x = e.clientX + 14, y = e.clientY + 14;
    var w = tooltip.offsetWidth, h = tooltip.offsetHeight;
    if (x + w > window.innerWidth - 4) { x = Math.max(4, e.clientX - w - 14); }
    if (y + h > window.innerHeight - 4) { y = Math.max(4, e.clientY - h - 14); }
    tooltip.style.left = x + 'px';
    tooltip.style.top = y + 'px';
  };

  View.prototype.describe = function (id) {
    var self = this;
    return this.model.nodes[id].map(function (i) {
      var r = self.layers[i];
      var io = function (list) {
        return list.length ? list.map(function (b) { return b[0] + ' ' + b[1]; }).join(', ') : '-';
      };
      return r.name + '  (' + r.type + ', ' + r.kind + ')\n' +
        '  in:  ' + io(r.bottoms) + '\n  out: ' + io(r.tops) + '\n' +
        '  MACs ' + exact(r.macs) + ' · ops ' + exact(r.ops) + ' · params ' + exact(r.params) +
        ' · memory ' + bytes(r.memory);
    }).join('\n');
  };

  View.prototype.select = function (id, from) {
    var old = this.selected >= 0 ? this.nodeElement(this.selected) : null;
    if (old) { old.classList.remove('selected'); }
    var i, edges = this.svg.querySelectorAll('.edge.selected');
    for (i = 0; i < edges.length; i++) { edges[i].classList.remove('selected'); }
    this.selected = id;
    var el = this.nodeElement(id);
    if (el) { el.classList.add('selected'); }
    edges = this.svg.querySelectorAll('.edge[data-source="' + id + '"], .edge[data-target="' +
      id + '"]');
    for (i = 0; i < edges.length; i++) { edges[i].classList.add('selected'); }
    if (from === 'graph') {
      this.scrollToLayer(this.model.nodes[id][0]);
    } else {
      this.centre(id);
    }
    this.render();
  };

  // ---- table -----------------------------------------------------------------------------
  View.prototype.initTable = function () {
    var self = this;
    this.scroller = this.root.querySelector('.rows');
    this.table = this.scroller.querySelector('table');
    this.tbody = this.table.querySelector('tbody');
    this.countEl = this.root.querySelector('.count');
    this.filterEl = this.root.querySelector('.filter');
    this.order = this.layers.map(function (_, i) { return i; });
    this.shown = this.order;
    this.rowHeight = 23;
    this.sortCol = 'index'; this.sortDir = 'asc';
    this.table.querySelector('thead').addEventListener('click', function (e) {
      var th = e.target.closest('th');
      if (th) { self.sort(th.getAttribute('data-col')); }
    });
    this.tbody.addEventListener('click', function (e) {
      var tr = e.target.closest('tr[data-layer]');
      if (tr) { self.select(self.layers[+tr.getAttribute('data-layer')].node, 'table'); }
    });
    var timer = 0;
    this.filterEl.addEventListener('input', function () {
      clearTimeout(timer);
      timer = setTimeout(function () { self.filter(); }, 120);
    });
    this.scroller.addEventListener('scroll', function () {
      if (self.shown.length <= ALL_ROWS || self.scrollFrame) { return; }
      self.scrollFrame = requestAnimationFrame(function () { self.scrollFrame = 0; self.render(); });
    });
    this.root.addEventListener('click', function (e) {   // heaviest layers, what-if rows
      var tr = e.target.closest ? e.target.closest('tr.jump') : null;
      if (!tr) { return; }
      var layer = +tr.getAttribute('data-layer');
      self.select(self.layers[layer].node, 'table');
      self.scrollToLayer(layer);
      self.box.scrollIntoView({ block: 'center' });
    });
    this.render();
  };

  View.prototype.value = function (i, col) {
    return col === 'index' ? i : this.layers[i][col];
  };

  View.prototype.sort = function (col) {
    var self = this;
    if (col === this.sortCol) {
      this.sortDir = this.sortDir === 'asc' ? 'desc' : 'asc';
    } else {
      this.sortCol = col;
      this.sortDir = NUMERIC[col] && col !== 'index' ? 'desc' : 'asc';
    }
    var sign = this.sortDir === 'asc' ? 1 : -1, numeric = !!NUMERIC[col];
    this.order.sort(function (a, b) {
      var x = self.value(a, col), y = self.value(b, col);
      if (x === null || x === undefined) { return (y === null || y === undefined) ? a - b : 1; }
      if (y === null || y === undefined) { return -1; }
      var c = numeric ? x - y : (x < y ? -1 : x > y ? 1 : 0);
      return c ? sign * c : a - b;
    });
    var ths = this.table.querySelectorAll('th');
    for (var i = 0; i < ths.length; i++) {
      var on = ths[i].getAttribute('data-col') === col;
      if (on) { ths[i].setAttribute('data-sort', this.sortDir); } else { ths[i].removeAttribute('data-sort'); }
      ths[i].setAttribute('aria-sort', on ? (this.sortDir === 'asc' ? 'ascending' : 'descending') : 'none');
    }
    this.filter();
  };

  View.prototype.filter = function () {
    var q = this.filterEl.value.trim().toLowerCase(), layers = this.layers;
    this.shown = !q ? this.order : this.order.filter(function (i) {
      var r = layers[i];
      return r.name.toLowerCase().indexOf(q) >= 0 || r.type.toLowerCase().indexOf(q) >= 0 ||
        r.kind.toLowerCase().indexOf(q) >= 0;
    });
    this.render();
  };

  View.prototype.scrollToLayer = function (layer) {
    var at = this.shown.indexOf(layer);
    if (at < 0) { this.filterEl.value = ''; this.filter(); at = this.shown.indexOf(layer); }
    var head = this.table.querySelector('thead').offsetHeight;
    this.scroller.scrollTop = Math.max(0, at * this.rowHeight - this.scroller.clientHeight / 2 + head);
    this.render();
  };

  View.prototype.row = function (i) {
    var r = this.layers[i], tr = document.createElement('tr');
    tr.setAttribute('data-layer', i);
    if (r.node === this.selected) { tr.className = 'selected'; }
    var cells = [String(i), r.name, r.type, r.kind, r.out, human(r.macs), human(r.ops),
      human(r.params), bytes(r.memory)];
    var titles = [null, r.name, r.type, r.kind, r.out, exact(r.macs), exact(r.ops),
      exact(r.params), exact(r.memory)];
    for (var c = 0; c < cells.length; c++) {
      var td = document.createElement('td');
      td.textContent = cells[c];
      if (titles[c] !== null) { td.title = titles[c]; }
      if (NUMERIC[COLUMNS[c]]) { td.className = 'num'; }
      tr.appendChild(td);
    }
    return tr;
  };

  View.prototype.pad = function (height) {
    var tr = document.createElement('tr'), td = document.createElement('td');
    tr.className = 'pad';
    td.colSpan = COLUMNS.length;
    td.style.height = height + 'px';
    tr.appendChild(td);
    return tr;
  };

  View.prototype.render = function () {
    var n = this.shown.length, first = 0, last = n;
    if (n > ALL_ROWS) {
      var top = this.scroller.scrollTop, height = this.scroller.clientHeight || 440;
      first = Math.max(0, Math.floor(top / this.rowHeight) - BUFFER);
      last = Math.min(n, Math.ceil((top + height) / this.rowHeight) + BUFFER);
    }
    var frag = document.createDocumentFragment();
    if (first > 0) { frag.appendChild(this.pad(first * this.rowHeight)); }
    for (var k = first; k < last; k++) { frag.appendChild(this.row(this.shown[k])); }
    if (last < n) { frag.appendChild(this.pad((n - last) * this.rowHeight)); }
    this.tbody.textContent = '';
    this.tbody.appendChild(frag);
    var sample = this.tbody.querySelector('tr[data-layer]');
    if (sample && sample.offsetHeight) { this.rowHeight = sample.offsetHeight; }
    this.table.setAttribute('aria-rowcount', String(n + 1));
    this.table.setAttribute('data-rows', String(n));
    this.countEl.textContent = n === this.layers.length ? n + ' layers'
      : n + ' of ' + this.layers.length + ' layers';
  };

  var views = [];
  for (var v = 0; v < data.views.length; v++) {
    views.push(new View(data.views[v], document.getElementById('view-' + v), v));
  }
  window.dwsepReport = { views: views };
}());

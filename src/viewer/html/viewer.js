// SPDX-License-Identifier: Apache-2.0
// The trace viewer. Two sources of data, one program: the spans embedded in the page as one
// OTLP/JSON ExportTraceServiceRequest (`ctxflow view --html`), or the JSON API of
// `ctxflow serve` (`<base>traces` for the list, `<base>traces/<id>` for one trace's spans).
// Every element is made with the DOM API (no markup built from data) and every handler is
// attached here, so the page runs under a strict Content-Security-Policy.
(function () {
  'use strict';

  var KINDS = ['unspecified', 'internal', 'server', 'client', 'producer', 'consumer'];
  var STATUS = ['unset', 'ok', 'error'];
  var MAX_LIST = 2000;  // trace list entries drawn at once; the rest are counted
  var FIRST_ROWS = 300;  // waterfall rows drawn with the trace; the rest follow a slice per frame
  var SLICE_ROWS = 500;

  var config = readJson('ctxflow-config') || {};
  var state = {
    mode: config.mode === 'api' ? 'api' : 'embedded',
    base: typeof config.apiBase === 'string' ? config.apiBase : 'api/',
    traces: [],          // summaries: {traceId, name, service, services, start, duration, spanCount, errorCount, spans?}
    byId: Object.create(null),
    selected: null,      // the trace shown
    selectedSpan: null,  // span id
    rows: [],            // {el, span, depth, hasChildren}
    query: parseQuery(''),
    requestSeq: 0,       // the latest list request; an older answer is dropped
    traceSeq: 0,         // the latest trace request
    drawGeneration: 0
  };

  var els = {
    search: document.getElementById('search'),
    status: document.getElementById('status'),
    list: document.getElementById('trace-list'),
    head: document.getElementById('trace-head'),
    rows: document.getElementById('rows'),
    details: document.getElementById('details')
  };

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) return null;
    var text = el.textContent.trim();
    if (!text) return null;
    try { return JSON.parse(text); } catch (e) { setStatus('unreadable data: ' + e.message); return null; }
  }

  function setStatus(text) { if (els && els.status) els.status.textContent = text; }

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }

  // ---- OTLP JSON ---------------------------------------------------------------------------

  function big(v) {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'number' && isFinite(v)) return BigInt(Math.trunc(v));
    if (typeof v === 'string' && /^[0-9]+$/.test(v)) return BigInt(v);
    return 0n;
  }

  function anyValue(v) {
    if (!v || typeof v !== 'object') return '';
    if ('stringValue' in v) return String(v.stringValue);
    if ('boolValue' in v) return v.boolValue ? 'true' : 'false';
    if ('intValue' in v) return String(v.intValue);
    if ('doubleValue' in v) return String(v.doubleValue);
    if ('bytesValue' in v) return 'base64:' + String(v.bytesValue);
    if ('arrayValue' in v) {
      var vals = (v.arrayValue && v.arrayValue.values) || [];
      return '[' + vals.map(function (x) {
        return x && 'stringValue' in x ? JSON.stringify(String(x.stringValue)) : anyValue(x);
      }).join(', ') + ']';
    }
    if ('kvlistValue' in v) {
      var kvs = (v.kvlistValue && v.kvlistValue.values) || [];
      return '{' + kvs.map(function (kv) { return kv.key + ': ' + anyValue(kv.value); }).join(', ') + '}';
    }
    return '';
  }

  function attrs(list) {
    var out = [];
    if (!Array.isArray(list)) return out;
    for (var i = 0; i < list.length; i++) {
      var kv = list[i];
      if (kv && typeof kv.key === 'string') out.push({ key: kv.key, value: anyValue(kv.value) });
    }
    return out;
  }

  function attrValue(list, key) {
    for (var i = 0; i < list.length; i++) if (list[i].key === key) return list[i].value;
    return undefined;
  }

  // Flattens an ExportTraceServiceRequest into span records.
  function readRequest(doc) {
    var spans = [];
    var rss = (doc && Array.isArray(doc.resourceSpans)) ? doc.resourceSpans : [];
    rss.forEach(function (rs) {
      var resource = attrs(rs && rs.resource && rs.resource.attributes);
      var service = attrValue(resource, 'service.name') || 'unknown';
      var sss = Array.isArray(rs && rs.scopeSpans) ? rs.scopeSpans : [];
      sss.forEach(function (ss) {
        var scope = (ss && ss.scope) || {};
        var scopeInfo = { name: scope.name || '', version: scope.version || '', attributes: attrs(scope.attributes) };
        (Array.isArray(ss && ss.spans) ? ss.spans : []).forEach(function (s) {
          if (!s || typeof s.spanId !== 'string' || typeof s.traceId !== 'string') return;
          var start = big(s.startTimeUnixNano);
          var end = big(s.endTimeUnixNano);
          if (end < start) end = start;
          var status = s.status || {};
          spans.push({
            traceId: s.traceId.toLowerCase(),
            spanId: s.spanId.toLowerCase(),
            parentSpanId: typeof s.parentSpanId === 'string' ? s.parentSpanId.toLowerCase() : '',
            name: typeof s.name === 'string' ? s.name : '',
            kind: KINDS[s.kind | 0] || 'unspecified',
            start: start,
            end: end,
            attributes: attrs(s.attributes),
            events: (Array.isArray(s.events) ? s.events : []).map(function (e) {
              return { name: (e && e.name) || '', time: big(e && e.timeUnixNano), attributes: attrs(e && e.attributes) };
            }),
            links: (Array.isArray(s.links) ? s.links : []).map(function (l) {
              return { traceId: String((l && l.traceId) || '').toLowerCase(), spanId: String((l && l.spanId) || '').toLowerCase(),
                       attributes: attrs(l && l.attributes) };
            }),
            statusCode: STATUS[status.code | 0] || 'unset',
            statusMessage: status.message || '',
            resource: resource,
            service: service,
            scope: scopeInfo
          });
        });
      });
    });
    return spans;
  }

  // Groups spans into trace summaries (the same fields the JSON API answers).
  function groupTraces(spans) {
    var map = Object.create(null);
    var order = [];
    spans.forEach(function (s) {
      var t = map[s.traceId];
      if (!t) { t = map[s.traceId] = { traceId: s.traceId, spans: [] }; order.push(t); }
      t.spans.push(s);
    });
    order.forEach(summarise);
    order.sort(function (a, b) { return a.start < b.start ? 1 : a.start > b.start ? -1 : 0; });  // newest first
    return order;
  }

  function summarise(t) {
    var ids = Object.create(null);
    t.spans.forEach(function (s) { ids[s.spanId] = true; });
    var root = null;
    var start = null;
    var end = null;
    var services = [];
    var errors = 0;
    t.spans.forEach(function (s) {
      if (start === null || s.start < start) start = s.start;
      if (end === null || s.end > end) end = s.end;
      if (services.indexOf(s.service) < 0) services.push(s.service);
      if (s.statusCode === 'error') errors++;
      var isRoot = !s.parentSpanId || /^0*$/.test(s.parentSpanId) || !ids[s.parentSpanId];
      if (isRoot && (!root || s.start < root.start)) root = s;
    });
    if (!root) root = t.spans.reduce(function (a, b) { return b.start < a.start ? b : a; });
    t.name = root.name;
    t.service = root.service;
    t.services = services;
    t.start = start;
    t.duration = end - start;
    t.spanCount = t.spans.length;
    t.errorCount = errors;
  }

  // ---- search --------------------------------------------------------------------------------

  // Terms separated by spaces; `key=value` matches an attribute (span or resource) of that key
  // whose value equals `value` (`name=` and `service=` match the span's name and service),
  // any other term is a case-insensitive text found in the name, an attribute key or value.
  function parseQuery(text) {
    var terms = [];
    String(text).trim().split(/\s+/).forEach(function (word) {
      if (!word) return;
      var eq = word.indexOf('=');
      if (eq > 0) terms.push({ key: word.slice(0, eq), value: word.slice(eq + 1) });
      else terms.push({ text: word.toLowerCase() });
    });
    return { text: String(text).trim(), terms: terms };
  }

  function termMatches(term, s) {
    var i;
    if (term.key !== undefined) {
      if (term.key === 'name') return s.name === term.value;
      if (term.key === 'service') return s.service === term.value;
      for (i = 0; i < s.attributes.length; i++)
        if (s.attributes[i].key === term.key && s.attributes[i].value === term.value) return true;
      for (i = 0; i < s.resource.length; i++)
        if (s.resource[i].key === term.key && s.resource[i].value === term.value) return true;
      return false;
    }
    if (s.name.toLowerCase().indexOf(term.text) >= 0) return true;
    for (i = 0; i < s.attributes.length; i++) {
      if (s.attributes[i].key.toLowerCase().indexOf(term.text) >= 0) return true;
      if (s.attributes[i].value.toLowerCase().indexOf(term.text) >= 0) return true;
    }
    return false;
  }

  function spanMatches(s) {
    var terms = state.query.terms;
    if (!terms.length) return false;
    for (var i = 0; i < terms.length; i++) if (!termMatches(terms[i], s)) return false;
    return true;
  }

  function traceMatches(t) {
    if (!state.query.terms.length) return true;
    if (state.mode === 'api' || !t.spans) return true;  // the server filtered the list
    for (var i = 0; i < t.spans.length; i++) if (spanMatches(t.spans[i])) return true;
    return false;
  }

  // ---- formatting ----------------------------------------------------------------------------

  function fmtDuration(ns) {
    var n = Number(ns);
    if (n < 1e3) return n + ' ns';
    if (n < 1e6) return (n / 1e3).toFixed(n < 1e4 ? 2 : 1) + ' \u00b5s';
    if (n < 1e9) return (n / 1e6).toFixed(n < 1e7 ? 2 : 1) + ' ms';
    return (n / 1e9).toFixed(2) + ' s';
  }

  function fmtTime(ns) {
    var ms = Number(ns / 1000000n);
    var d = new Date(ms);
    if (isNaN(d.getTime())) return String(ns);
    function p(x, w) { return String(x).padStart(w, '0'); }
    return d.getFullYear() + '-' + p(d.getMonth() + 1, 2) + '-' + p(d.getDate(), 2) + ' ' + p(d.getHours(), 2) + ':' +
      p(d.getMinutes(), 2) + ':' + p(d.getSeconds(), 2) + '.' + p(d.getMilliseconds(), 3);
  }

  function fmtClock(ns) { return fmtTime(ns).slice(11); }

  // Each service its own colour: the palette in the order services are first seen, then hues
  // spread by the golden angle.
  var PALETTE = ['#3b73c4', '#d9822b', '#2e9e6a', '#9b4dca', '#c2416b', '#1f9bb4', '#8a8f2a', '#c45a3b', '#5a5fd6', '#6b8e23'];
  var serviceColours = Object.create(null);
  var serviceCount = 0;
  function colour(service) {
    var c = serviceColours[service];
    if (c) return c;
    var n = serviceCount++;
    c = n < PALETTE.length ? PALETTE[n] : 'hsl(' + Math.round((n * 137.508) % 360) + ', 55%, 48%)';
    serviceColours[service] = c;
    return c;
  }

  // ---- trace list ----------------------------------------------------------------------------

  function drawList() {
    var frag = document.createDocumentFragment();
    var shown = 0;
    var matching = 0;
    state.traces.forEach(function (t) {
      if (!traceMatches(t)) return;
      matching++;
      if (shown >= MAX_LIST) return;
      shown++;
      var b = el('button', 'trace');
      b.type = 'button';
      b.setAttribute('role', 'option');
      b.dataset.traceId = t.traceId;
      b.dataset.spanCount = String(t.spanCount);
      b.dataset.errorCount = String(t.errorCount);
      b.dataset.name = t.name;
      b.dataset.service = t.service;
      b.setAttribute('aria-selected', state.selected && state.selected.traceId === t.traceId ? 'true' : 'false');
      b.appendChild(el('span', 'name', t.name));
      var svc = el('span', 'svc', t.services.length > 1 ? t.service + ' +' + (t.services.length - 1) : t.service);
      svc.title = t.services.join(', ');
      b.appendChild(svc);
      b.appendChild(el('span', 'start', fmtClock(t.start)));
      b.appendChild(el('span', 'num dur', fmtDuration(t.duration)));
      b.appendChild(el('span', 'num count', t.spanCount));
      b.appendChild(el('span', 'num errs' + (t.errorCount ? ' some' : ''), t.errorCount));
      b.title = t.traceId + ' started ' + fmtTime(t.start);
      frag.appendChild(b);
    });
    els.list.replaceChildren(frag);
    els.list.dataset.count = String(shown);
    if (!matching) els.list.appendChild(el('p', 'empty', state.traces.length ? 'No trace matches the search.' : 'No traces.'));
    var total = state.traces.length;
    setStatus((state.query.terms.length ? matching + ' of ' + total : String(total)) + ' trace' + (total === 1 ? '' : 's') +
      (shown < matching ? ' (first ' + shown + ' shown)' : ''));
  }

  // ---- waterfall -----------------------------------------------------------------------------

  // The spans of a trace in tree order: children by start time under their parent; spans whose
  // parent is not in the trace are roots. Each span appears once even if the ids form a cycle.
  function treeOrder(spans) {
    var byId = Object.create(null);
    spans.forEach(function (s) { byId[s.spanId] = s; });
    var children = Object.create(null);
    var roots = [];
    spans.forEach(function (s) {
      var p = s.parentSpanId;
      if (p && byId[p] && p !== s.spanId) (children[p] = children[p] || []).push(s);
      else roots.push(s);
    });
    function byStart(a, b) { return a.start < b.start ? -1 : a.start > b.start ? 1 : 0; }
    roots.sort(byStart);
    var out = [];
    var seen = Object.create(null);
    var stack = [];
    for (var r = roots.length - 1; r >= 0; r--) stack.push({ span: roots[r], depth: 0 });
    while (stack.length) {
      var top = stack.pop();
      var s = top.span;
      if (seen[s.spanId]) continue;
      seen[s.spanId] = true;
      var kids = (children[s.spanId] || []).slice().sort(byStart);
      out.push({ span: s, depth: top.depth, hasChildren: kids.length > 0 });
      for (var k = kids.length - 1; k >= 0; k--) stack.push({ span: kids[k], depth: top.depth + 1 });
    }
    // Spans on a parent cycle are reached from no root: show them at the top level.
    spans.forEach(function (s2) { if (!seen[s2.spanId]) { seen[s2.spanId] = true; out.push({ span: s2, depth: 0, hasChildren: false }); } });
    return out;
  }

  // The shown trace and span go into the address's fragment (#trace=ID&span=ID), so a link
  // or a reload opens the same place.
  function remember(traceId, spanId) {
    try {
      history.replaceState(null, '', '#trace=' + traceId + (spanId ? '&span=' + spanId : ''));
    } catch (e) { /* an opaque origin may refuse; the page works the same */ }
  }

  function wanted() {
    var m = /trace=([0-9a-fA-F]{32})(?:&span=([0-9a-fA-F]{16}))?/.exec(location.hash || '');
    return m ? { traceId: m[1].toLowerCase(), spanId: m[2] ? m[2].toLowerCase() : '' } : null;
  }

  function drawTrace(t) {
    state.selected = t;
    state.selectedSpan = null;
    remember(t.traceId, '');
    Array.prototype.forEach.call(els.list.querySelectorAll('.trace'), function (b) {
      b.setAttribute('aria-selected', b.dataset.traceId === t.traceId ? 'true' : 'false');
    });
    var head = el('div');
    head.appendChild(el('strong', null, t.name));
    head.appendChild(document.createTextNode(' \u2014 ' + t.spanCount + ' span' + (t.spanCount === 1 ? '' : 's') + ', ' +
      fmtDuration(t.duration) + ', ' + t.services.join(', ') + (t.errorCount ? ', ' + t.errorCount + ' error' + (t.errorCount === 1 ? '' : 's') : '') + ' \u2014 trace '));
    head.appendChild(el('span', 'id', t.traceId));
    els.head.replaceChildren(head);
    els.head.dataset.traceId = t.traceId;

    var order = treeOrder(t.spans);
    var t0 = t.start;
    var total = Number(t.duration) || 1;
    var frag = document.createDocumentFragment();
    state.rows = order.map(function (item, index) {
      var s = item.span;
      var row = el('div', 'row' + (s.statusCode === 'error' ? ' error' : ''));
      row.tabIndex = index === 0 ? 0 : -1;
      row.setAttribute('role', 'treeitem');
      row.setAttribute('aria-level', String(item.depth + 1));
      row.setAttribute('aria-selected', 'false');
      row.dataset.spanId = s.spanId;
      row.dataset.parentSpanId = s.parentSpanId;
      row.dataset.depth = String(item.depth);
      row.dataset.name = s.name;
      row.dataset.kind = s.kind;
      row.dataset.service = s.service;
      row.dataset.durationNano = String(s.end - s.start);
      if (s.statusCode === 'error') row.dataset.error = 'true';
      if (item.hasChildren) row.setAttribute('aria-expanded', 'true');

      var label = el('span', 'label');
      label.style.paddingLeft = (item.depth * 14) + 'px';
      var toggle = el('button', 'toggle' + (item.hasChildren ? '' : ' leaf'), item.hasChildren ? '\u25be' : '');
      toggle.type = 'button';
      toggle.tabIndex = -1;
      toggle.dataset.action = 'toggle';
      toggle.setAttribute('aria-label', 'collapse');
      label.appendChild(toggle);
      if (s.statusCode === 'error') { var mark = el('span', 'err-mark', '!'); mark.title = 'error'; label.appendChild(mark); }
      label.appendChild(el('span', 'name', s.name));
      label.appendChild(el('span', 'kind', s.kind));
      var svc = el('span', 'svc', s.service);
      svc.style.color = colour(s.service);
      label.appendChild(svc);
      row.appendChild(label);

      var track = el('span', 'track');
      var bar = el('span', 'bar');
      bar.style.left = (Number(s.start - t0) / total * 100).toFixed(3) + '%';
      bar.style.width = (Number(s.end - s.start) / total * 100).toFixed(3) + '%';
      bar.style.background = colour(s.service);
      track.appendChild(bar);
      row.appendChild(track);
      row.appendChild(el('span', 'dur', fmtDuration(s.end - s.start)));
      row.title = s.name + ' (' + s.kind + ', ' + s.service + ') ' + fmtDuration(s.end - s.start);
      return { el: row, span: s, depth: item.depth, hasChildren: item.hasChildren, collapsed: false };
    });
    // The first rows at once, the rest a slice per frame, so a trace of thousands of spans
    // shows at once and the page keeps answering while the rest is added.
    var generation = ++state.drawGeneration;
    var first = Math.min(state.rows.length, FIRST_ROWS);
    for (var i = 0; i < first; i++) frag.appendChild(state.rows[i].el);
    els.rows.replaceChildren(frag);
    els.rows.dataset.traceId = t.traceId;
    els.rows.dataset.complete = first === state.rows.length ? 'true' : 'false';
    var rows = state.rows;
    var next = first;
    function more() {
      if (generation !== state.drawGeneration) return;
      var slice = document.createDocumentFragment();
      var end = Math.min(rows.length, next + SLICE_ROWS);
      for (; next < end; next++) slice.appendChild(rows[next].el);
      els.rows.appendChild(slice);
      if (next < rows.length) requestAnimationFrame(more);
      else els.rows.dataset.complete = 'true';
    }
    if (next < rows.length) requestAnimationFrame(more);
    highlight();
    els.details.replaceChildren(el('p', 'hint', 'Click a span to see its details.'));
    delete els.details.dataset.spanId;
  }

  function highlight() {
    var n = 0;
    state.rows.forEach(function (r) {
      var m = spanMatches(r.span);
      r.el.classList.toggle('match', m);
      if (m) { r.el.dataset.match = 'true'; n++; } else delete r.el.dataset.match;
    });
    els.rows.dataset.matches = String(n);
  }

  // Hides the rows under collapsed spans.
  function applyCollapse() {
    var hideBelow = -1;
    state.rows.forEach(function (r) {
      if (hideBelow >= 0 && r.depth > hideBelow) { r.el.hidden = true; return; }
      hideBelow = -1;
      r.el.hidden = false;
      if (r.collapsed) hideBelow = r.depth;
    });
  }

  function setCollapsed(index, collapsed) {
    var r = state.rows[index];
    if (!r || !r.hasChildren || r.collapsed === collapsed) return;
    r.collapsed = collapsed;
    r.el.setAttribute('aria-expanded', collapsed ? 'false' : 'true');
    r.el.dataset.collapsed = collapsed ? 'true' : 'false';
    var t = r.el.querySelector('.toggle');
    t.textContent = collapsed ? '\u25b8' : '\u25be';
    t.setAttribute('aria-label', collapsed ? 'expand' : 'collapse');
    applyCollapse();
  }

  function rowIndex(rowEl) {
    for (var i = 0; i < state.rows.length; i++) if (state.rows[i].el === rowEl) return i;
    return -1;
  }

  function focusRow(index) {
    var r = state.rows[index];
    if (!r) return;
    state.rows.forEach(function (x) { x.el.tabIndex = -1; });
    r.el.tabIndex = 0;
    r.el.focus();
  }

  // ---- details -------------------------------------------------------------------------------

  function table(list, cls) {
    var tbl = el('table', cls);
    list.forEach(function (a) {
      var tr = el('tr');
      tr.dataset.attrKey = a.key;
      tr.appendChild(el('td', 'mono', a.key));
      tr.appendChild(el('td', 'mono', a.value));
      tbl.appendChild(tr);
    });
    return tbl;
  }

  function section(parent, title, control) {
    var h = el('h3', null, title);
    parent.appendChild(h);
    var div = el('div');
    div.dataset.section = control;
    parent.appendChild(div);
    return div;
  }

  function jumpButton(traceId, spanId, label) {
    var b = el('button', 'jump', label);
    b.type = 'button';
    b.dataset.action = 'jump';
    b.dataset.jumpTrace = traceId;
    b.dataset.jumpSpan = spanId;
    return b;
  }

  function showSpan(spanId) {
    var idx = -1;
    for (var i = 0; i < state.rows.length; i++) if (state.rows[i].span.spanId === spanId) { idx = i; break; }
    if (idx < 0) return false;
    // Open the collapsed ancestors so the row can be seen.
    var depth = state.rows[idx].depth;
    for (var j = idx - 1; j >= 0 && depth > 0; j--) {
      if (state.rows[j].depth < depth) { depth = state.rows[j].depth; setCollapsed(j, false); }
    }
    state.rows.forEach(function (r, k) { r.el.setAttribute('aria-selected', k === idx ? 'true' : 'false'); });
    var row = state.rows[idx];
    state.selectedSpan = spanId;
    remember(row.span.traceId, spanId);
    drawDetails(row.span);
    row.el.scrollIntoView({ block: 'nearest' });
    return true;
  }

  function drawDetails(s) {
    var t = state.selected;
    var d = els.details;
    var frag = document.createDocumentFragment();
    var h = el('h2', s.statusCode === 'error' ? 'status-error' : null, s.name);
    frag.appendChild(h);
    var facts = [
      { key: 'service', value: s.service },
      { key: 'kind', value: s.kind },
      { key: 'duration', value: fmtDuration(s.end - s.start) },
      { key: 'start', value: fmtTime(s.start) + ' (+' + fmtDuration(s.start - t.start) + ')' },
      { key: 'status', value: s.statusCode + (s.statusMessage ? ': ' + s.statusMessage : '') },
      { key: 'trace id', value: s.traceId },
      { key: 'span id', value: s.spanId }
    ];
    var ft = table(facts, 'facts');
    ft.dataset.section = 'facts';
    var parentRow = el('tr');
    parentRow.dataset.attrKey = 'parent';
    parentRow.appendChild(el('td', 'mono', 'parent'));
    var pcell = el('td', 'mono');
    if (s.parentSpanId && !/^0*$/.test(s.parentSpanId)) {
      var inTrace = t.spans.some(function (x) { return x.spanId === s.parentSpanId; });
      pcell.appendChild(inTrace ? jumpButton(s.traceId, s.parentSpanId, s.parentSpanId) : document.createTextNode(s.parentSpanId + ' (not in the data)'));
    } else {
      pcell.textContent = '(root)';
    }
    parentRow.appendChild(pcell);
    ft.appendChild(parentRow);
    if (s.statusCode === 'error') ft.querySelector('tr[data-attr-key="status"] td:last-child').className = 'mono status-error';
    frag.appendChild(ft);

    var sa = section(frag, 'Attributes (' + s.attributes.length + ')', 'attributes');
    sa.appendChild(table(s.attributes, 'attributes'));

    var se = section(frag, 'Events (' + s.events.length + ')', 'events');
    s.events.forEach(function (e) {
      var div = el('div', 'event');
      div.dataset.eventName = e.name;
      div.appendChild(el('span', 'event-time', '+' + fmtDuration(e.time > s.start ? e.time - s.start : 0n)));
      div.appendChild(el('strong', null, e.name));
      div.title = fmtTime(e.time);
      if (e.attributes.length) div.appendChild(table(e.attributes, 'event-attributes'));
      se.appendChild(div);
    });

    var sl = section(frag, 'Links (' + s.links.length + ')', 'links');
    s.links.forEach(function (l) {
      var div = el('div', 'link mono');
      div.dataset.linkTraceId = l.traceId;
      div.dataset.linkSpanId = l.spanId;
      if (findSpanLocal(l.traceId, l.spanId) || state.mode === 'api') {
        div.appendChild(jumpButton(l.traceId, l.spanId, l.traceId + ' / ' + l.spanId));
      } else {
        div.appendChild(document.createTextNode(l.traceId + ' / ' + l.spanId + ' (not in the data)'));
      }
      if (l.attributes.length) div.appendChild(table(l.attributes, 'link-attributes'));
      sl.appendChild(div);
    });

    var sr = section(frag, 'Resource', 'resource');
    sr.appendChild(table(s.resource, 'resource'));
    var sc = section(frag, 'Scope', 'scope');
    sc.appendChild(table([{ key: 'name', value: s.scope.name }, { key: 'version', value: s.scope.version }].concat(s.scope.attributes), 'scope'));

    d.replaceChildren(frag);
    d.dataset.spanId = s.spanId;
  }

  function findSpanLocal(traceId, spanId) {
    var t = state.byId[traceId];
    if (!t || !t.spans) return null;
    for (var i = 0; i < t.spans.length; i++) if (t.spans[i].spanId === spanId) return t.spans[i];
    return null;
  }

  // ---- selection and loading -----------------------------------------------------------------

  function selectTrace(traceId, spanId) {
    var t = state.byId[traceId];
    if (state.mode === 'embedded') {
      if (!t) return false;
      drawTrace(t);
      if (spanId) showSpan(spanId);
      return true;
    }
    var seq = ++state.traceSeq;
    setStatus('loading trace ' + traceId + '\u2026');
    fetch(state.base + 'traces/' + encodeURIComponent(traceId), { headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (doc) {
        if (seq !== state.traceSeq) return;
        var spans = readRequest(doc);
        if (!spans.length) throw new Error('the trace has no spans');
        var full = groupTraces(spans)[0];
        state.byId[traceId] = full;
        var i = state.traces.findIndex(function (x) { return x.traceId === traceId; });
        if (i >= 0) state.traces[i] = full; else state.traces.unshift(full);
        drawTrace(full);
        if (spanId) showSpan(spanId);
        setStatus(state.traces.length + ' trace' + (state.traces.length === 1 ? '' : 's'));
      })
      .catch(function (e) { if (seq === state.traceSeq) setStatus('cannot load trace ' + traceId + ': ' + e.message); });
    return true;
  }

  function apiListUrl() {
    var params = [];
    var names = [];
    state.query.terms.forEach(function (term) {
      if (term.key === 'service') params.push('service=' + encodeURIComponent(term.value));
      else if (term.key === 'name') names.push(term.value);
      else if (term.text !== undefined) names.push(term.text);
    });
    if (names.length) params.push('name=' + encodeURIComponent(names.join(' ')));
    params.push('limit=' + MAX_LIST);
    return state.base + 'traces?' + params.join('&');
  }

  function loadList() {
    var seq = ++state.requestSeq;
    document.body.dataset.loaded = 'false';
    setStatus('loading\u2026');
    fetch(apiListUrl(), { headers: { Accept: 'application/json' } })
      .then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        return r.json();
      })
      .then(function (body) {
        if (seq !== state.requestSeq) return;
        var list = Array.isArray(body && body.traces) ? body.traces : [];
        state.traces = list.map(function (x) {
          var old = state.byId[x.traceId];
          return {
            traceId: String(x.traceId), name: String(x.name || ''), service: String(x.service || ''),
            services: Array.isArray(x.services) ? x.services.map(String) : [String(x.service || '')],
            start: big(x.startTimeUnixNano), duration: big(x.durationNano),
            spanCount: x.spanCount | 0, errorCount: x.errorCount | 0, spans: old && old.spans
          };
        });
        state.traces.forEach(function (x) {
          if (!x.spans) delete x.spans;
          state.byId[x.traceId] = x;
        });
        drawList();
        document.body.dataset.loaded = 'true';
        var w = wanted();
        if (!state.selected && w) selectTrace(w.traceId, w.spanId);
        else if (!state.selected && state.traces.length) selectTrace(state.traces[0].traceId);
      })
      .catch(function (e) { if (seq === state.requestSeq) setStatus('cannot load the trace list: ' + e.message); });
  }

  // ---- events --------------------------------------------------------------------------------

  els.list.addEventListener('click', function (ev) {
    var b = ev.target.closest('.trace');
    if (b) selectTrace(b.dataset.traceId);
  });

  els.rows.addEventListener('click', function (ev) {
    var rowEl = ev.target.closest('.row');
    if (!rowEl) return;
    var idx = rowIndex(rowEl);
    if (ev.target.closest('[data-action="toggle"]')) {
      setCollapsed(idx, !state.rows[idx].collapsed);
      return;
    }
    showSpan(rowEl.dataset.spanId);
    focusRow(idx);
  });

  els.rows.addEventListener('keydown', function (ev) {
    var rowEl = ev.target.closest('.row');
    if (!rowEl) return;
    var idx = rowIndex(rowEl);
    var r = state.rows[idx];
    var step = function (dir) {
      for (var i = idx + dir; i >= 0 && i < state.rows.length; i += dir) if (!state.rows[i].el.hidden) return focusRow(i);
    };
    switch (ev.key) {
      case 'ArrowDown': step(1); break;
      case 'ArrowUp': step(-1); break;
      case 'ArrowLeft':
        if (r.hasChildren && !r.collapsed) setCollapsed(idx, true);
        else for (var p = idx - 1; p >= 0; p--) if (state.rows[p].depth < r.depth) { focusRow(p); break; }
        break;
      case 'ArrowRight': if (r.hasChildren && r.collapsed) setCollapsed(idx, false); else step(1); break;
      case 'Enter': case ' ': showSpan(r.span.spanId); break;
      default: return;
    }
    ev.preventDefault();
  });

  els.details.addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-action="jump"]');
    if (!b) return;
    var traceId = b.dataset.jumpTrace;
    var spanId = b.dataset.jumpSpan;
    if (state.selected && state.selected.traceId === traceId) { showSpan(spanId); return; }
    if (state.mode === 'embedded' && state.query.terms.length && !traceMatches(state.byId[traceId])) {
      els.search.value = '';
      applySearch();
    }
    selectTrace(traceId, spanId);
  });

  var searchTimer = 0;
  function applySearch() {
    state.query = parseQuery(els.search.value);
    els.search.dataset.query = state.query.text;
    if (state.mode === 'api') { loadList(); highlight(); return; }
    drawList();
    highlight();
    if (state.query.terms.length && state.selected && !traceMatches(state.selected)) {
      var first = els.list.querySelector('.trace');
      if (first) selectTrace(first.dataset.traceId);
    }
  }
  els.search.addEventListener('input', function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(applySearch, 120);
  });
  els.search.addEventListener('keydown', function (ev) {
    if (ev.key === 'Enter') { clearTimeout(searchTimer); applySearch(); }
  });

  // ---- start ---------------------------------------------------------------------------------

  document.body.dataset.mode = state.mode;
  if (state.mode === 'api') {
    loadList();
  } else {
    var spans = readRequest(readJson('ctxflow-data'));
    state.traces = groupTraces(spans);
    state.traces.forEach(function (t) { state.byId[t.traceId] = t; });
    spans.map(function (s) { return s.service; }).sort().forEach(colour);
    drawList();
    var w = wanted();
    if (!state.traces.length) els.rows.replaceChildren(el('p', 'empty', 'The page holds no spans.'));
    else if (!(w && selectTrace(w.traceId, w.spanId))) drawTrace(state.traces[0]);
    document.body.dataset.loaded = 'true';
  }
  document.body.dataset.ready = 'true';
})();

// SPDX-License-Identifier: Apache-2.0
// Checks a ctxflow trace viewer page in headless Chromium (puppeteer-core, the system browser).
//
//   node check_page.mjs --url URL [--expect FILE] [--trace ID] [--row DEPTH:NAME]...
//        [--click SPAN_ID_OR_NAME --expect-attr KEY=VALUE [--follow-link TRACE:SPAN]]
//        [--search TEXT --expect-traces N
//        [--expect-matches N]]... [--screenshot FILE.png] [--browser PATH] [--timeout MS]
//
// URL is file:// (a page made by render_html_page / `ctxflow view --html`) or http:// (the page
// `ctxflow serve` answers at `/`). In order, it: opens the page and waits until it has drawn;
// selects trace ID in the list (the first trace when not given); checks that the waterfall's rows
// are the given names at the given depths, in that order; collapses the first row that has
// children and checks that its subtree is hidden, then opens it again; clicks the span and
// checks the details show KEY with VALUE and that a reload shows the same span; follows the span's first link, checking that it shows
// span SPAN of trace TRACE, and goes back; saves the screenshot; types each search and checks
// how many traces the list keeps (and how many rows of the shown trace are highlighted).
// Console errors, page errors and failed requests fail the check.
//
// --expect FILE reads the same expectations from JSON:
//   {"traceId": "...", "rows": [{"name": "...", "depth": 0}, ...],
//    "click": {"span": "...", "key": "...", "value": "..."}, "follow": {"trace": "...", "span": "..."},
//    "searches": [{"text": "...", "traces": 1, "matches": 3}, ...]}
// Exit status: 0 when every check passed, 1 when one failed, 2 for a usage error.
import { readFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';

function usage(message, status = 2) {
  if (message) console.error(`check_page: ${message}`);
  console.error('usage: node check_page.mjs --url URL [--expect FILE] [--trace ID] [--row DEPTH:NAME]... ' +
    '[--click SPAN --expect-attr KEY=VALUE [--follow-link TRACE:SPAN]] [--search TEXT --expect-traces N [--expect-matches N]]... ' +
    '[--screenshot FILE] [--browser PATH] [--timeout MS]');
  process.exit(status);
}

function parseArgs(argv) {
  const opts = {
    url: '', browser: process.env.CTXFLOW_CHROMIUM || '/usr/bin/chromium', timeout: 30000,
    traceId: '', rows: null, click: null, follow: null, searches: [], screenshot: ''
  };
  let attr = null;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      if (i + 1 >= argv.length) usage(`${flag} needs a value`);
      return argv[++i];
    };
    switch (flag) {
      case '--url': opts.url = value(); break;
      case '--browser': opts.browser = value(); break;
      case '--timeout': opts.timeout = Number(value()); break;
      case '--screenshot': opts.screenshot = value(); break;
      case '--trace': opts.traceId = value(); break;
      case '--expect': {
        const path = value();
        let doc;
        try { doc = JSON.parse(readFileSync(path, 'utf8')); } catch (e) { usage(`cannot read ${path}: ${e.message}`); }
        if (doc.traceId) opts.traceId = doc.traceId;
        if (Array.isArray(doc.rows)) opts.rows = doc.rows.map((r) => ({ name: String(r.name), depth: Number(r.depth) }));
        if (doc.click) opts.click = { span: String(doc.click.span), key: String(doc.click.key), value: String(doc.click.value) };
        if (doc.follow) opts.follow = { trace: String(doc.follow.trace), span: String(doc.follow.span) };
        if (Array.isArray(doc.searches)) opts.searches.push(...doc.searches);
        break;
      }
      case '--row': {
        const text = value();
        const colon = text.indexOf(':');
        if (colon <= 0 || !/^[0-9]+$/.test(text.slice(0, colon))) usage(`--row wants DEPTH:NAME, not '${text}'`);
        (opts.rows ||= []).push({ depth: Number(text.slice(0, colon)), name: text.slice(colon + 1) });
        break;
      }
      case '--click': opts.click = { ...(opts.click || {}), span: value() }; break;
      case '--expect-attr': {
        const text = value();
        const eq = text.indexOf('=');
        if (eq <= 0) usage(`--expect-attr wants KEY=VALUE, not '${text}'`);
        attr = { key: text.slice(0, eq), value: text.slice(eq + 1) };
        break;
      }
      case '--follow-link': {
        const text = value();
        const [trace, span] = text.split(':');
        if (!trace || !span) usage(`--follow-link wants TRACE:SPAN, not '${text}'`);
        opts.follow = { trace, span };
        break;
      }
      case '--search': opts.searches.push({ text: value() }); break;
      case '--expect-traces':
      case '--expect-matches': {
        const last = opts.searches[opts.searches.length - 1];
        if (!last) usage(`${flag} follows a --search`);
        const n = value();
        if (!/^[0-9]+$/.test(n)) usage(`${flag} wants a count, not '${n}'`);
        last[flag === '--expect-traces' ? 'traces' : 'matches'] = Number(n);
        break;
      }
      case '-h': case '--help': usage('', 0); break;
      default: usage(`unknown argument '${flag}'`);
    }
  }
  if (attr) opts.click = { ...(opts.click || {}), ...attr };
  if (!opts.url) usage('--url is required');
  if (opts.click && (!opts.click.span || opts.click.key === undefined)) usage('--click and --expect-attr go together');
  if (opts.follow && !opts.click) usage('--follow-link needs --click');
  if (!(opts.timeout > 0)) usage('--timeout wants milliseconds');
  return opts;
}

const opts = parseArgs(process.argv.slice(2));
const problems = [];   // console errors, page errors, failed requests
let failures = 0;

const started = Date.now();
function elapsed() { return `${((Date.now() - started) / 1000).toFixed(1)} s`; }
function ok(message) { console.log(`check_page: ok: ${message} [${elapsed()}]`); }
function fail(message) { failures++; console.log(`check_page: FAIL: ${message}`); }

// Runs the named query over the elements selector finds, inside the page (page.$$eval makes one
// handle per element, which takes seconds for thousands of rows).
function all(page, selector, fn) {
  return page.evaluate((sel, body) => {
    const els = Array.from(document.querySelectorAll(sel));
    switch (body) {
      case 'count': return els.length;
      case 'rows': return els.map((r) => ({
        name: r.dataset.name, depth: Number(r.dataset.depth), spanId: r.dataset.spanId,
        hidden: r.hidden, expandable: r.hasAttribute('aria-expanded')
      }));
      case 'hidden': return els.map((r) => r.hidden);
      case 'attributes': return els.map((tr) => [tr.dataset.attrKey, tr.cells[1].textContent]);
      default: throw new Error(`unknown query ${body}`);
    }
  }, selector, fn);
}

async function main() {
  let puppeteer;
  try {
    puppeteer = (await import('puppeteer-core')).default;
  } catch (e) {
    fail('puppeteer-core is not installed beside this script: use the copy in the build folder, ' +
      'after `npm ci` there (the fixture of `ctest -L browser` runs it)');
    return;
  }
  const browser = await puppeteer.launch({
    executablePath: opts.browser,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--allow-file-access-from-files'],
    timeout: opts.timeout
  });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(opts.timeout);
    await page.setViewport({ width: 1400, height: 800 });
    page.on('console', (msg) => {
      if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`));
    page.on('response', (res) => {
      if (res.status() >= 400) problems.push(`HTTP ${res.status()} for ${res.url()}`);
    });

    await page.goto(opts.url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-loaded="true"]');
    const listed = await all(page, '#trace-list .trace', 'count');
    ok(`page loaded (${await page.title()}), ${listed} trace(s) listed`);

    // Select the trace and wait for its waterfall.
    let traceId = opts.traceId;
    if (!traceId) traceId = await page.$eval('#trace-list .trace', (b) => b.dataset.traceId).catch(() => '');
    if (!traceId) { fail('no trace is listed'); return; }
    const button = await page.$(`#trace-list .trace[data-trace-id="${traceId}"]`);
    if (!button) { fail(`trace ${traceId} is not in the list`); return; }
    await button.click();
    await page.waitForSelector(`#rows[data-trace-id="${traceId}"][data-complete="true"] .row`);
    const selected = await page.$eval(`#trace-list .trace[data-trace-id="${traceId}"]`, (b) => b.getAttribute('aria-selected'));
    if (selected === 'true') ok(`trace ${traceId} selected`); else fail(`trace ${traceId} is not marked selected`);

    const rows = await all(page, '#rows .row', 'rows');
    if (opts.rows) {
      const got = rows.map((r) => `${r.depth}:${r.name}`);
      const want = opts.rows.map((r) => `${r.depth}:${r.name}`);
      if (got.join('\n') === want.join('\n')) {
        ok(`${rows.length} waterfall rows in tree order, names and depths as expected`);
      } else {
        let at = 0;
        while (at < got.length && at < want.length && got[at] === want[at]) at++;
        fail(`waterfall rows differ at row ${at + 1}: expected '${want[at] ?? '(end)'}', found '${got[at] ?? '(end)'}' ` +
          `(${want.length} expected, ${got.length} found)\n  found: ${got.join(' | ')}`);
      }
    }

    // Collapse the first subtree, check it is hidden, open it again.
    const parentIndex = rows.findIndex((r) => r.expandable);
    if (parentIndex >= 0) {
      let end = parentIndex + 1;
      while (end < rows.length && rows[end].depth > rows[parentIndex].depth) end++;
      const under = end - parentIndex - 1;
      const toggle = `#rows .row[data-span-id="${rows[parentIndex].spanId}"] [data-action="toggle"]`;
      await page.click(toggle);
      const hiddenNow = await all(page, '#rows .row', 'hidden');
      const subtreeHidden = hiddenNow.slice(parentIndex + 1, end).every(Boolean);
      const othersShown = hiddenNow.filter((h, i) => (i <= parentIndex || i >= end) && h).length === 0;
      if (subtreeHidden && othersShown) ok(`collapsing '${rows[parentIndex].name}' hides its ${under} descendant row(s) and nothing else`);
      else fail(`collapsing '${rows[parentIndex].name}' hid the wrong rows: ${JSON.stringify(hiddenNow)}`);
      await page.click(toggle);
      const hiddenAfter = await all(page, '#rows .row[hidden]', 'count');
      if (hiddenAfter === 0) ok('opening it again shows every row'); else fail(`${hiddenAfter} row(s) stay hidden after opening`);
    }

    // Click a span and read its details.
    if (opts.click) {
      let target = rows.find((r) => r.spanId === opts.click.span) || rows.find((r) => r.name === opts.click.span);
      if (!target) {
        fail(`no row for span '${opts.click.span}'`);
      } else {
        await page.click(`#rows .row[data-span-id="${target.spanId}"] .name`);
        await page.waitForSelector(`#details[data-span-id="${target.spanId}"]`);
        const shown = await all(page, '#details [data-section="attributes"] tr', 'attributes');
        const hit = shown.find(([k]) => k === opts.click.key);
        if (hit && hit[1] === opts.click.value) ok(`clicking '${target.name}' shows ${opts.click.key}=${opts.click.value}`);
        else fail(`clicking '${target.name}' shows ${hit ? `${opts.click.key}=${hit[1]}` : `no attribute ${opts.click.key}`} ` +
          `(attributes: ${shown.map(([k, v]) => `${k}=${v}`).join(', ') || 'none'})`);
        // The address now names the trace and the span: a reload opens the same place.
        await page.reload({ waitUntil: 'load' });
        await page.waitForSelector('body[data-loaded="true"]');
        try {
          await page.waitForSelector(`#rows[data-trace-id="${traceId}"] .row[data-span-id="${target.spanId}"][aria-selected="true"]`);
          await page.waitForSelector(`#details[data-span-id="${target.spanId}"]`);
          ok('reloading the page shows the same trace and span');
        } catch (e) {
          fail(`reloading the page does not show span ${target.spanId} of trace ${traceId} (${page.url()})`);
        }
      }
    }

    if (opts.follow && opts.click) {
      const jump = await page.$('#details [data-section="links"] [data-action="jump"]');
      if (!jump) {
        fail('the clicked span shows no link to follow');
      } else {
        await jump.click();
        await page.waitForSelector(`#rows[data-trace-id="${opts.follow.trace}"][data-complete="true"] .row[data-span-id="${opts.follow.span}"][aria-selected="true"]`);
        await page.waitForSelector(`#details[data-span-id="${opts.follow.span}"]`);
        ok(`following the link shows span ${opts.follow.span} of trace ${opts.follow.trace}`);
        // Back to the trace and span of before, for the screenshot and the searches.
        await page.click(`#trace-list .trace[data-trace-id="${traceId}"]`);
        await page.waitForSelector(`#rows[data-trace-id="${traceId}"][data-complete="true"] .row`);
        const target = rows.find((r) => r.spanId === opts.click.span) || rows.find((r) => r.name === opts.click.span);
        await page.click(`#rows .row[data-span-id="${target.spanId}"] .name`);
        await page.waitForSelector(`#details[data-span-id="${target.spanId}"]`);
      }
    }

    if (opts.screenshot) {
      mkdirSync(dirname(opts.screenshot), { recursive: true });
      await page.screenshot({ path: opts.screenshot, fullPage: false });
      ok(`screenshot saved to ${opts.screenshot}`);
    }

    for (const search of opts.searches) {
      await page.click('#search', { clickCount: 3 });
      await page.keyboard.press('Backspace');
      await page.type('#search', search.text);
      await page.keyboard.press('Enter');
      await page.waitForFunction((text) => document.getElementById('search').dataset.query === text.trim() &&
        document.body.dataset.loaded === 'true', {}, search.text);
      if (opts.url.startsWith('http')) await page.waitForNetworkIdle({ idleTime: 200 });
      const count = await all(page, '#trace-list .trace', 'count');
      if (search.traces !== undefined) {
        if (count === search.traces) ok(`search '${search.text}' keeps ${count} trace(s)`);
        else fail(`search '${search.text}' keeps ${count} trace(s), expected ${search.traces}`);
      }
      if (search.matches !== undefined) {
        const matches = await all(page, '#rows .row[data-match="true"]', 'count');
        if (matches === search.matches) ok(`search '${search.text}' highlights ${matches} row(s)`);
        else fail(`search '${search.text}' highlights ${matches} row(s), expected ${search.matches}`);
      }
    }
  } finally {
    await browser.close();
  }
}

try {
  await main();
} catch (e) {
  fail(`${e.message}`);
}
for (const p of problems) fail(p);
console.log(failures ? `check_page: ${failures} check(s) failed` : 'check_page: all checks passed');
process.exit(failures ? 1 : 0);

// Shared pieces of the editor's end-to-end tests: a static server for dist/,
// Debian's Chromium through playwright-core, and a page wrapper that records
// everything that must not happen (page errors, console errors, CSP
// violations, requests after the page has loaded).

import { createServer } from 'node:http';
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, join, normalize, resolve, sep } from 'node:path';
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';

const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  // instantiateStreaming needs exactly this type.
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

/** The dist directory under test, from NETPOLKIT_DIST (absolute). */
export function distDir() {
  const dist = process.env.NETPOLKIT_DIST;
  if (!dist || !isAbsolute(dist)) {
    throw new Error('set NETPOLKIT_DIST to the absolute path of the dist/ that `trunk build` wrote');
  }
  return dist;
}

/** Serves `root` on 127.0.0.1 at a free port; resolves to { url, close }. */
export async function serve(dir) {
  const root = resolve(dir);
  const server = createServer(async (req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    if (!file.startsWith(root + sep)) {
      res.writeHead(403).end();
      return;
    }
    try {
      const body = await readFile(file);
      res.writeHead(200, {
        'content-type': MIME[extname(file)] ?? 'application/octet-stream',
        'cache-control': 'no-store',
      });
      res.end(body);
    } catch {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

/** Debian's Chromium, headless, with the flags a root user on a closed network needs. */
export function launch() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-dev-shm-usage',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--disable-quic',
      '--no-first-run',
    ],
  });
}

/**
 * Opens the editor at `url` and waits until the app has rendered its first
 * results. Returns the page and what it recorded; `afterLoad` holds the
 * requests made once the load was complete (the page promises none).
 */
export async function openEditor(browser, url) {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const recorded = { pageErrors: [], consoleErrors: [], consoleWarnings: [], requests: [], afterLoad: [] };
  let loaded = false;
  page.on('pageerror', (e) => recorded.pageErrors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') recorded.consoleErrors.push(m.text());
    if (m.type() === 'warning') recorded.consoleWarnings.push(m.text());
  });
  page.on('request', (r) => {
    recorded.requests.push(r.url());
    if (loaded) recorded.afterLoad.push(r.url());
  });
  // Runs before any page script, outside the page's CSP (it is injected by
  // the browser, not an inline <script>), and keeps every violation.
  await page.addInitScript(() => {
    window.__cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.__cspViolations.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('#summary');
  await page.waitForLoadState('networkidle');
  loaded = true;
  return { page, recorded };
}

/** Nothing went wrong on the page: no exception, no console error, no CSP violation, no request after load. */
export async function assertClean({ page, recorded }) {
  assert.deepEqual(recorded.pageErrors, [], 'page errors');
  assert.deepEqual(recorded.consoleErrors, [], 'console errors');
  assert.deepEqual(await cspViolations(page), [], 'CSP violations');
  assert.deepEqual(recorded.afterLoad, [], 'requests after the page had loaded');
}

/** The CSP violations the page saw so far. */
export function cspViolations(page) {
  return page.evaluate(() => window.__cspViolations);
}

/** 1-based line and column (in Unicode scalar values, as netpolkit counts) of a UTF-16 offset in `text`. */
export function lineColumn(text, utf16Offset) {
  const before = text.slice(0, utf16Offset);
  const lines = before.split('\n');
  return { line: lines.length, column: [...lines[lines.length - 1]].length + 1 };
}

/** The textarea's value and selection. */
export function selection(page) {
  return page.$eval('#editor', (t) => ({
    value: t.value,
    start: t.selectionStart,
    end: t.selectionEnd,
    focused: document.activeElement === t,
  }));
}

/** The diagnostics list as plain data. */
export function diagnostics(page) {
  return page.$$eval('#diagnostics .diag', (items) =>
    items.map((b) => ({
      code: b.dataset.code,
      line: Number(b.dataset.line),
      column: Number(b.dataset.column),
      text: b.textContent,
    })),
  );
}

/** The Findings tab's list as plain data (the tab must be shown). */
export function findings(page) {
  return page.$$eval('#panel-findings .finding', (items) =>
    items.map((f) => {
      const main = f.querySelector('.finding-main');
      const ends = [...f.querySelectorAll('.ends .end')].map((e) => ({
        other: e.classList.contains('other'),
        line: Number(e.dataset.line),
        column: Number(e.dataset.column),
        text: e.textContent,
      }));
      return {
        code: f.dataset.code,
        line: Number(main.dataset.line),
        column: Number(main.dataset.column),
        group: f.closest('.finding-group').querySelector('h2').textContent,
        policy: f.closest('.finding-policy').querySelector('h3').textContent,
        text: main.textContent,
        hint: f.querySelector('.hint')?.textContent ?? null,
        ends,
      };
    }),
  );
}

// The editor, end to end: dist/ as `trunk build --release` wrote it, served
// locally and driven in Debian's Chromium.
//
//   NETPOLKIT_DIST=/abs/path/to/dist node --test      (from tests/e2e)

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import { assertClean, cspViolations, diagnostics, distDir, findings, launch, lineColumn, openEditor, selection, serve } from './helpers.mjs';

const example = (stem) => readFile(new URL(`../../examples/${stem}.yaml`, import.meta.url), 'utf8');

let server;
let browser;

before(async () => {
  server = await serve(distDir());
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

test('opens with the getting-started example and its deliberate typo', async () => {
  const session = await openEditor(browser, server.url);
  const { page } = session;
  try {
    const { value } = await selection(page);
    assert.equal(value, (await example('getting-started')).replace(/\r\n/g, '\n'));
    assert.equal(await page.$eval('#example', (s) => s.value), 'getting-started');

    // The typo in Problems, and a precedence finding under Findings: the
    // namespace's egress isolation blocks DNS. The counts take in both.
    const found = await diagnostics(page);
    assert.deepEqual(found.map((d) => d.code), ['NP101'], JSON.stringify(found));
    assert.equal(found[0].line, 35);
    assert.match(found[0].text, /unknown-field/);
    assert.match(found[0].text, /did you mean/);
    assert.match(await page.textContent('#summary'), /\b1 error\b.*\b1 warning\b/);
    assert.equal(await page.textContent('#tab-problems'), 'Problems (1)');
    assert.equal(await page.textContent('#tab-findings'), 'Findings (1)');
    assert.match(await page.textContent('#findings-pointer'), /1 precedence finding\b/);
    await page.click('#findings-pointer button');
    assert.equal(await page.getAttribute('#tab-findings', 'aria-selected'), 'true');
    const listed = await findings(page);
    assert.deepEqual(listed.map((f) => f.code), ['NP519'], JSON.stringify(listed));
    assert.match(listed[0].text, /kube-dns/);

    // The typo is underlined in the layer behind the text, and its line is marked in the gutter.
    assert.equal(await page.textContent('.highlight .mark.error'), 'podSelecter');
    assert.equal(await page.$eval('.gutter .ln:nth-child(35)', (e) => e.className), 'ln error');
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('typing re-checks after a pause, and a diagnostic selects its exact range', async () => {
  const session = await openEditor(browser, server.url);
  const { page } = session;
  try {
    await page.click('#editor');
    await page.keyboard.press('Control+A');
    const policy = [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata:',
      '  name: db',
      'spec:',
      '  podSelecter: {}',
      '',
    ].join('\n');
    await page.keyboard.type(policy);
    assert.equal((await selection(page)).value, policy);

    const typo = page.locator('#diagnostics .diag[data-code="NP101"][data-line="6"]');
    await typo.waitFor({ timeout: 5000 });
    assert.equal(await typo.getAttribute('data-column'), '3');
    assert.match(await page.textContent('#summary'), /1 document\b/);

    await typo.click();
    const sel = await selection(page);
    assert.ok(sel.focused, 'the editor has the focus after a click on a diagnostic');
    assert.deepEqual(lineColumn(sel.value, sel.start), { line: 6, column: 3 });
    assert.equal(sel.value.slice(sel.start, sel.end), 'podSelecter');
    assert.equal(await page.getAttribute('#diagnostics .diag.active', 'data-line'), '6');
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('positions after astral characters map to the right UTF-16 range', async () => {
  const session = await openEditor(browser, server.url);
  const { page } = session;
  try {
    const text = [
      'apiVersion: networking.k8s.io/v1',
      'kind: NetworkPolicy',
      'metadata: {name: db, annotations: {a: "😀😀"}, labels: {note: "é😀"}}',
      'spec: {podSelector: {}}',
      '',
    ].join('\n');
    await page.fill('#editor', text);
    const label = page.locator('#diagnostics .diag[data-code="NP203"]');
    await label.waitFor({ timeout: 5000 });
    // Columns count characters, so the emoji before it count once each.
    assert.equal(await label.getAttribute('data-line'), '3');
    assert.equal(await label.getAttribute('data-column'), String([...text.split('\n')[2]].indexOf('é') ));

    await label.click();
    const sel = await selection(page);
    assert.equal(sel.value.slice(sel.start, sel.end), '"é😀"');
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('the example picker and the Cilium version both re-check', async () => {
  const session = await openEditor(browser, server.url);
  const { page } = session;
  try {
    await page.selectOption('#example', 'online-boutique');
    assert.equal((await selection(page)).value, await example('online-boutique'));
    assert.match(await page.textContent('#summary'), /\b0 errors\b/);
    // Only a finding: cart's egress isolation leaves it without DNS.
    assert.deepEqual((await diagnostics(page)).map((d) => d.code), []);
    assert.equal(await page.textContent('#tab-findings'), 'Findings (1)');
    await page.click('#tab-findings');
    assert.deepEqual((await findings(page)).map((f) => f.code), ['NP519']);
    await page.click('#tab-problems');
    assert.ok((await page.locator('#documents li').count()) > 3, 'the documents of the example are listed');
    assert.equal(new URL(page.url()).hash, '#example=online-boutique');

    await page.selectOption('#example', 'common-mistakes');
    const mistakes = await diagnostics(page);
    assert.ok(mistakes.length >= 5, JSON.stringify(mistakes));
    assert.ok(mistakes.every((d) => d.line > 0 && d.column > 0));

    // A document in the list moves the caret to its first line.
    const second = page.locator('#documents .document').nth(1);
    const line = Number(await second.getAttribute('data-line'));
    await second.click();
    const sel = await selection(page);
    assert.deepEqual(lineColumn(sel.value, sel.start), { line, column: 1 });

    // enableDefaultDeny came with Cilium 1.16.
    await page.fill(
      '#editor',
      'apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata:\n  name: web\nspec:\n  endpointSelector: {}\n' +
        '  enableDefaultDeny:\n    ingress: true\n  ingress:\n  - fromEntities:\n    - world\n',
    );
    await page.waitForFunction(() => /0 errors/.test(document.querySelector('#summary').textContent) && /1 document\b/.test(document.querySelector('#summary').textContent));
    await page.selectOption('#cilium', '1.14');
    const gated = await diagnostics(page);
    assert.deepEqual(gated.map((d) => d.code), ['NP313']);
    assert.match(gated[0].text, /1\.16/);
    await page.selectOption('#cilium', '1.20');
    assert.equal(await page.locator('#diagnostics .diag').count(), 0);
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('a link to #example=<stem> opens that example', async () => {
  const session = await openEditor(browser, `${server.url}#example=common-mistakes`);
  const { page } = session;
  try {
    assert.equal(await page.$eval('#example', (s) => s.value), 'common-mistakes');
    assert.equal((await selection(page)).value, await example('common-mistakes'));
    assert.ok((await diagnostics(page)).length >= 5);
    // An error only the Cilium agent reports says that kubectl apply succeeds.
    const agent = await page.$eval('.diag[data-code="NP301"]', (d) => d.textContent);
    assert.match(agent, /Cilium agent refuses the policy/);
    const apiServer = await page.$eval('.diag[data-code="NP201"]', (d) => d.textContent);
    assert.doesNotMatch(apiServer, /Cilium agent/);
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('Tab indents inside the editor; Esc then Tab leaves it', async () => {
  const session = await openEditor(browser, server.url);
  const { page } = session;
  try {
    await page.fill('#editor', 'a');
    await page.focus('#editor');
    await page.keyboard.press('End');
    await page.keyboard.press('Tab');
    let sel = await selection(page);
    assert.equal(sel.value, 'a  ');
    assert.ok(sel.focused);
    // The browser's undo history is kept.
    await page.keyboard.press('Control+Z');
    assert.equal((await selection(page)).value, 'a');

    await page.keyboard.press('Escape');
    await page.keyboard.press('Tab');
    sel = await selection(page);
    assert.equal(sel.value, 'a');
    assert.ok(!sel.focused, 'focus moved on');
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('the page loads only from its origin, once, and its CSP is enforced', async () => {
  const session = await openEditor(browser, server.url);
  const { page, recorded } = session;
  try {
    // Everything at start-up comes from this origin, and each file once: the
    // preloads are used, not fetched again.
    assert.ok(recorded.requests.every((u) => u.startsWith(server.url)), recorded.requests.join('\n'));
    assert.equal(new Set(recorded.requests).size, recorded.requests.length, recorded.requests.join('\n'));
    assert.ok(recorded.requests.some((u) => u.endsWith('.wasm')));

    // Work with the page a little: nothing may be fetched.
    await page.selectOption('#example', 'cilium-l7-and-fqdn');
    await page.selectOption('#cilium', '1.16');
    await page.click('#editor');
    await page.keyboard.type('# more\n');
    await page.click('#tab-convert');
    await page.selectOption('#convert-target', 'knp');
    await page.waitForSelector('#convert-proof');
    await page.waitForTimeout(400);
    await assertClean(session);
    assert.deepEqual(recorded.consoleWarnings, [], 'console warnings');

    // The detector works: an inline script is refused and reported.
    await page.evaluate(() => {
      const s = document.createElement('script');
      s.textContent = 'window.__inlineRan = true';
      document.head.append(s);
    });
    await page.waitForFunction(() => window.__cspViolations.length > 0);
    assert.match((await cspViolations(page))[0], /script-src/);
    assert.equal(await page.evaluate(() => window.__inlineRan), undefined);
  } finally {
    await page.close();
  }
});

// The editor's Convert tab, end to end: the output follows the text and the
// target, losses are listed and marked in the editor, the proof badge, Copy
// and Download (a Blob URL: no request). What a conversion writes is the
// core's, as `netpolkit convert` prints it:
//
//   netpolkit convert --to cnp knp.yaml     ingress: [{}] is fromEntities: [all] (cilium-semantics §1.8)
//   netpolkit convert --to knp cnp.yaml     NP401 at egressDeny[0]; NP403, and the proof differs
//
//   NETPOLKIT_DIST=/abs/path/to/dist node --test      (from tests/e2e)

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import { assertClean, distDir, launch, lineColumn, openEditor, selection, serve } from './helpers.mjs';
// The npm tests' inputs (plain data, no dependencies).
import { CNP_EGRESS_DENY, KNP_OPEN_INGRESS as KNP } from '../npm/fixtures.mjs';

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

/** The text of the output pane. */
const output = (page) => page.$eval('#convert-output', (o) => o.textContent);

/** The proof badge as { state, text }. */
const proof = (page) =>
  page.$eval('#convert-proof', (b) => ({ state: b.dataset.proof, text: b.textContent.trim() }));

test('a NetworkPolicy converted to a CiliumNetworkPolicy, live, with its proof; Copy and Download', async () => {
  const session = await openEditor(browser, server.url);
  const { page } = session;
  try {
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: new URL(server.url).origin });
    await page.click('#tab-convert');
    assert.equal(await page.getAttribute('#tab-convert', 'aria-selected'), 'true');
    assert.deepEqual(
      await page.$$eval('#convert-target option', (o) => o.map((e) => [e.value, e.textContent])),
      [['knp', 'NetworkPolicy'], ['cnp', 'CiliumNetworkPolicy'], ['ccnp', 'CiliumClusterwideNetworkPolicy']],
    );

    await page.fill('#editor', KNP);
    await page.waitForFunction(() => /\b1 document\b/.test(document.querySelector('#summary').textContent));
    await page.selectOption('#convert-target', 'ccnp');
    await page.waitForFunction(() => /kind: CiliumClusterwideNetworkPolicy/.test(document.querySelector('#convert-output')?.textContent));
    await page.selectOption('#convert-target', 'cnp');
    await page.waitForFunction(() => /kind: CiliumNetworkPolicy\n/.test(document.querySelector('#convert-output')?.textContent));
    const text = await output(page);
    assert.match(text, /^apiVersion: cilium\.io\/v2\nkind: CiliumNetworkPolicy\n/);
    // cilium-semantics §1.8: a rule without peers is every entity; ports default to TCP.
    assert.match(text, /\n  ingress:\n  - fromEntities:\n    - all\n/);
    assert.match(text, /- port: "80"\n        protocol: TCP\n/);
    assert.equal(await page.locator('#convert-clean').count(), 1, 'nothing lost');
    assert.equal(await page.locator('#convert-output-diagnostics').count(), 0);

    let badge = await proof(page);
    assert.equal(badge.state, 'equivalent');
    assert.match(badge.text, /^equivalent: \d+ flows?$/);
    await page.uncheck('#convert-prove');
    await page.waitForSelector('#convert-proof[data-proof="off"]');
    assert.equal((await proof(page)).text, 'not proven');
    await page.check('#convert-prove');
    await page.waitForSelector('#convert-proof[data-proof="equivalent"]');

    // Live: an edit is converted after the typing pause.
    await page.fill('#editor', KNP.replace('name: web', 'name: frontend'));
    await page.waitForFunction(() => /name: frontend/.test(document.querySelector('#convert-output')?.textContent));
    const edited = await output(page);

    // Download: a Blob URL of the output, named converted.yaml.
    const href = await page.getAttribute('#convert-download', 'href');
    assert.match(href, /^blob:/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#convert-download')]);
    assert.equal(download.url(), href);
    assert.equal(download.suggestedFilename(), 'converted.yaml');
    assert.equal(await readFile(await download.path(), 'utf8'), edited);

    // Copy: the clipboard holds the output.
    await page.click('#convert-copy');
    await page.waitForFunction(() => document.querySelector('#convert-copy-status')?.textContent === 'Copied.');
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), edited);
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('a CiliumNetworkPolicy with egressDeny to NetworkPolicy: NP401 listed and marked, strict, the proof differs', async () => {
  const session = await openEditor(browser, server.url);
  const { page } = session;
  try {
    await page.fill('#editor', CNP_EGRESS_DENY);
    await page.waitForFunction(() => /\b3 documents\b/.test(document.querySelector('#summary').textContent));
    await page.click('#tab-convert');
    await page.selectOption('#convert-target', 'knp');
    const lost = page.locator('#convert-diagnostics .diag[data-code="NP401"]');
    await lost.waitFor({ timeout: 5000 });
    assert.equal(await lost.count(), 1);
    const line = Number(await lost.getAttribute('data-line'));
    const denyLine = CNP_EGRESS_DENY.split('\n').indexOf('  egressDeny:') + 1;
    assert.ok([denyLine, denyLine + 1].includes(line), `NP401 on line ${line}, egressDeny on ${denyLine}`);
    assert.match(await lost.textContent(), /no-equivalent/);
    assert.match(await lost.getAttribute('class'), /\bwarning\b/);
    assert.match(await output(page), /^apiVersion: networking\.k8s\.io\/v1\nkind: NetworkPolicy\n/);
    assert.doesNotMatch(await output(page), /egressDeny/);

    // Marked in the editor like the other diagnostics, and its line in the gutter.
    const mark = page.locator('.highlight .mark.warning');
    assert.ok((await mark.count()) >= 1, 'the loss is underlined in the editor');
    assert.match(await page.$eval(`.gutter .ln:nth-child(${line})`, (e) => e.className), /\bwarning\b/);
    // Selecting it selects its range in the editor.
    await lost.click();
    const sel = await selection(page);
    assert.ok(sel.focused);
    assert.equal(lineColumn(sel.value, sel.start).line, line);
    assert.ok(sel.end > sel.start);
    assert.match(await page.getAttribute('#convert-diagnostics .diag[data-code="NP401"]', 'class'), /\bactive\b/);
    // The picked loss is outlined in the editor, over exactly its range.
    const outlined = await page.$$eval('.highlight .mark.active', (m) => m.map((e) => e.textContent).join(''));
    assert.equal(outlined, sel.value.slice(sel.start, sel.end));

    // Strict: the loss is an error.
    await page.check('#convert-strict');
    await page.waitForSelector('#convert-diagnostics .diag.error[data-code="NP401"]');
    assert.match(await page.getAttribute('#convert-status', 'class'), /\bfailed\b/);
    await page.uncheck('#convert-strict');
    await page.waitForSelector('#convert-diagnostics .diag.warning[data-code="NP401"]');

    // The conversion's marks go with its tab; its settings stay.
    // Only the report's own marks (its precedence findings) stay.
    const withConversion = await page.locator('.highlight .mark').count();
    await page.click('#tab-problems');
    await page.waitForFunction(
      (before) => document.querySelectorAll('.highlight .mark').length < before,
      withConversion,
    );
    await page.click('#tab-convert');
    await page.waitForSelector('.highlight .mark.warning');
    assert.equal(await page.$eval('#convert-target', (s) => s.value), 'knp');

    // The lost deny changes verdicts: the badge says so and lists the flows.
    await page.waitForSelector('#convert-proof[data-proof="differs"]', { timeout: 5000 });
    const badge = await proof(page);
    assert.match(badge.text, /^differs: \d+ of \d+ flows$/);
    const [, differing, flows] = badge.text.match(/(\d+) of (\d+)/).map(Number);
    assert.ok(differing > 0 && differing <= flows);
    const first = await page.textContent('#convert-differences li');
    assert.match(first, /TCP\/5432: denied before, allowed after/);
    assert.ok(await page.locator('#convert-diagnostics .diag[data-code="NP403"]').count() === 1, 'the policy is blamed');

    await assertClean(session);
  } finally {
    await page.close();
  }
});

// The editor's Migrate tab, end to end, on examples/aks-migration.yaml: the
// target cluster controls, the verdict, a breaking change picked and marked
// in the editor, one edit applied with its diff, then every edit applied and
// the flows proven restored. What the tab says is the core's, as
//
//   netpolkit migrate --from azure-npm --to aks examples/aks-migration.yaml
//
// prints it (cli/tests/snapshots/aks-migration.md).
//
//   NETPOLKIT_DIST=/abs/path/to/dist node --test      (from tests/e2e)

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { assertClean, distDir, launch, openEditor, selection, serve } from './helpers.mjs';

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

const verdict = (page) => page.getAttribute('#migrate-verdict', 'data-verdict');
const differing = (page, id) => page.getAttribute(`#${id} [data-differing]`, 'data-differing');
const lost = (page, id) => page.getAttribute(`#${id} [data-lost]`, 'data-lost');

test('the AKS migration example: verdict, a finding marked, edits applied and proven', async () => {
  const session = await openEditor(browser, `${server.url}#example=aks-migration`);
  const { page } = session;
  try {
    await page.click('#tab-migrate');
    assert.equal(await page.getAttribute('#tab-migrate', 'aria-selected'), 'true');
    await page.waitForSelector('#migrate-verdict');
    assert.equal(await verdict(page), 'needs-changes');
    assert.equal(await page.inputValue('#migrate-from'), 'azure-npm');
    assert.equal(await page.inputValue('#migrate-to'), 'aks');
    assert.match(await page.textContent('#migrate-verdict'), /Cilium 1\.16/, 'the example says Kubernetes 1.31');
    assert.ok(Number(await differing(page, 'migrate-breaking')) > 0);
    assert.equal(await differing(page, 'migrate-after'), '0', 'the edits restore every flow');

    // A breaking change, picked: its place is selected and marked in the editor.
    const finding = page.locator('#migrate-findings .diag[data-code="NP601"]').first();
    await finding.click();
    const line = Number(await finding.getAttribute('data-line'));
    const sel = await selection(page);
    assert.equal(sel.value.slice(0, sel.start).split('\n').length, line);
    assert.ok(await page.locator('.highlight .mark.active').count() > 0, 'marked');

    // The Kubernetes version picks the Cilium line.
    await page.selectOption('#migrate-kubernetes', '1.32');
    await page.waitForFunction(() => /Cilium 1\.17/.test(document.querySelector('#migrate-verdict').textContent));

    // One edit, applied: the editor holds it and the tab re-checks (the
    // first, Azure NPM's egress to the node for every pod of shop, also
    // makes the other node companions of shop unneeded).
    const before = (await selection(page)).value;
    const edits = await page.locator('#migrate-edits .edit').count();
    assert.ok(edits >= 2, `${edits} edits`);
    assert.match(await page.textContent('#migrate-edits .edit pre.diff'), /^--- a\/document\n\+\+\+ b\/document\n@@ /);
    await page.click('#migrate-edits .edit button.apply');
    await page.waitForFunction((n) => document.querySelectorAll('#migrate-edits .edit').length < n, edits);
    assert.notEqual((await selection(page)).value, before);
    assert.ok(await page.locator('#migrate-edits .edit').count() > 0, 'more to apply');

    // The rest, applied at once: nothing left to change.
    await page.click('#migrate-apply-all');
    await page.waitForFunction(() => document.querySelectorAll('#migrate-edits .edit').length === 0);
    const after = (await selection(page)).value;
    assert.match(after, /namespaceSelector: \{\}/);
    assert.match(after, /kind: CiliumNetworkPolicy/);
    // Nothing allowed today is denied any more; what Cilium allows more (a
    // pod's own node always gets in) no edit can take away.
    assert.equal(await lost(page, 'migrate-breaking'), '0');
    assert.equal(await differing(page, 'migrate-after'), '0');
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('a malformed range is said in the panel, not thrown', async () => {
  const session = await openEditor(browser, `${server.url}#example=aks-migration`);
  const { page } = session;
  try {
    await page.click('#tab-migrate');
    await page.fill('#migrate-pods', '10.244.0.0/99');
    await page.press('#migrate-pods', 'Enter');
    await page.waitForSelector('#migrate-error');
    assert.match(await page.textContent('#migrate-error'), /Pod CIDRs: `10\.244\.0\.0\/99` is not a CIDR/);
    await page.fill('#migrate-pods', '');
    await page.press('#migrate-pods', 'Enter');
    await page.waitForSelector('#migrate-verdict');
    await assertClean(session);
  } finally {
    await page.close();
  }
});

// The Findings and Summary tabs, end to end: precedence findings grouped
// and picked (both rules of a conflict marked in the editor), and what
// applies per workload.
//
//   NETPOLKIT_DIST=/abs/path/to/dist node --test      (from tests/e2e)

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';

import { assertClean, distDir, findings, launch, lineColumn, openEditor, selection, serve } from './helpers.mjs';

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

/** The text of the marks matching `selector`, joined (a mark may be cut into runs). */
const marked = (page, selector) => page.$$eval(selector, (m) => m.map((e) => e.textContent).join(''));

test('the Findings tab groups the findings, and picking one marks both of its rules', async () => {
  const session = await openEditor(browser, `${server.url}#example=flows`);
  const { page } = session;
  try {
    await page.click('#tab-findings');
    assert.equal(await page.getAttribute('#tab-findings', 'aria-selected'), 'true');
    const listed = await findings(page);
    assert.match(await page.textContent('#tab-findings'), new RegExp(`^Findings \\(${listed.length}\\)$`));
    // Warnings before notes, and within a severity one group per policy.
    const groups = [...new Set(listed.map((f) => f.group))];
    assert.deepEqual(groups.map((g) => g.replace(/^\d+ /, '')), ['warnings', 'notes'], JSON.stringify(groups));

    // The deny of the clusterwide policy overrides part of db-ingress's allow.
    const partly = listed.find((f) => f.code === 'NP502' && f.policy === 'NetworkPolicy shop/db-ingress');
    assert.ok(partly, JSON.stringify(listed));
    assert.match(partly.text, /partly-shadowed-rule/);
    assert.match(partly.text, /no-web-to-db/);
    assert.match(partly.hint, /^Hint: deny rules win/);
    assert.equal(partly.ends.length, 2);
    const [own, other] = partly.ends;
    assert.deepEqual([own.other, own.line, own.column], [false, partly.line, partly.column]);
    assert.match(own.text, /This rule.*NetworkPolicy shop\/db-ingress.*spec\.ingress\[0\]\.from\[0\]/);
    assert.equal(other.other, true);
    assert.match(other.text, /Other rule.*CiliumClusterwideNetworkPolicy no-web-to-db spec\.ingressDeny\[0\]/);
    assert.match(other.text, new RegExp(`line ${other.line}:${other.column}`));

    // Pick it: it is the active finding, its rule is selected in the editor,
    // and both ends are marked, its own range and (dashed) the other rule.
    const button = page
      .locator('#panel-findings .finding-policy')
      .filter({ has: page.locator('h3', { hasText: 'NetworkPolicy shop/db-ingress' }) })
      .locator('.finding[data-code="NP502"] .finding-main')
      .first();
    await button.click();
    assert.equal(await button.getAttribute('aria-current'), 'true');
    let sel = await selection(page);
    assert.ok(sel.focused, 'the editor has the focus');
    assert.deepEqual(lineColumn(sel.value, sel.start), { line: partly.line, column: partly.column });
    assert.match(sel.value.slice(sel.start, sel.end), /^podSelector:\s+matchLabels:\s+app: api$/);
    await page.waitForSelector('.highlight .mark.active.related');
    assert.equal(await marked(page, '.highlight .mark.active:not(.related)'), sel.value.slice(sel.start, sel.end));
    const otherEnd = await marked(page, '.highlight .mark.active.related');
    assert.match(otherEnd, /^fromEndpoints:\s+- matchLabels:\s+tier: frontend$/);
    const lines = sel.value.split('\n');
    assert.ok(lines[other.line - 1].slice(other.column - 1).startsWith('fromEndpoints:'), lines[other.line - 1]);
    // The editor scrolled to the picked rule.
    const visible = await page.$eval('.highlight .mark.active:not(.related)', (m) => {
      const box = m.getBoundingClientRect();
      const view = document.querySelector('.scroller').getBoundingClientRect();
      return box.top >= view.top && box.top < view.bottom;
    });
    assert.ok(visible, 'the picked rule is in view');

    // The other end's button selects the other rule; the finding stays picked.
    await page.locator('#panel-findings .finding.active .end.other').click();
    sel = await selection(page);
    assert.deepEqual(lineColumn(sel.value, sel.start), { line: other.line, column: other.column });
    assert.equal(sel.value.slice(sel.start, sel.end), otherEnd);
    assert.equal(await page.locator('#panel-findings .finding.active').count(), 1);

    // Keyboard: the findings are buttons; Enter on another picks it.
    const half = page.locator('#panel-findings .finding[data-code="NP518"] .finding-main');
    await half.focus();
    await page.keyboard.press('Enter');
    assert.equal(await half.getAttribute('aria-current'), 'true');
    assert.match(await marked(page, '.highlight .mark.active:not(.related)'), /^podSelector:\s+matchLabels:\s+app: db$/);
    assert.match(await marked(page, '.highlight .mark.active.related'), /tier: frontend/);
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('the Summary tab shows what applies to each workload, and jumps to policies and rules', async () => {
  const session = await openEditor(browser, `${server.url}#example=flows`);
  const { page } = session;
  try {
    await page.click('#tab-workloads');
    assert.equal(await page.getAttribute('#tab-workloads', 'aria-selected'), 'true');
    const db = page.locator('#panel-workloads .workload[data-workload="shop/db"]');
    await db.waitFor();
    assert.match(await db.locator('h3').textContent(), /shop\/db\s+Pod/);
    const ingress = db.locator('.side[data-direction="ingress"]');
    assert.match(await ingress.locator('.state').textContent(), /^isolated/);
    const policies = await ingress.locator('.selected-by .policy-link').allTextContents();
    assert.deepEqual(policies, [
      'NetworkPolicy shop/default-deny',
      'NetworkPolicy shop/db-ingress',
      'CiliumClusterwideNetworkPolicy no-web-to-db',
    ]);
    // Denies first, then allows, each with its peers and ports.
    const rules = await ingress.locator('.summary-rule').evaluateAll((list) =>
      list.map((r) => ({ verdict: r.dataset.verdict, text: r.textContent.replace(/\s+/g, ' ') })),
    );
    assert.deepEqual(rules.map((r) => r.verdict), ['deny', 'allow', 'allow'], JSON.stringify(rules));
    assert.match(rules[0].text, /from .*tier=frontend.* on every port/);
    assert.match(rules[1].text, /from .*app=api.* on postgres\/TCP .*NetworkPolicy shop\/db-ingress ingress\[0\]\.from\[0\]/);

    // shop/web may reach the database on 5432 at its own end.
    const web = page.locator('#panel-workloads .workload[data-workload="shop/web"]');
    const egress = await web.locator('.side[data-direction="egress"]').textContent();
    assert.match(egress, /isolated/);
    assert.match(egress, /to .*app=db.* on 5432\/TCP/);
    // Nothing selects prometheus.
    const prometheus = page.locator('#panel-workloads .workload[data-workload="monitoring/prometheus"]');
    assert.match(await prometheus.locator('.side[data-direction="ingress"] .state').textContent(), /^not isolated: no policy selects it/);

    // A selecting policy moves the caret to its document.
    await ingress.locator('.policy-link', { hasText: 'db-ingress' }).click();
    let sel = await selection(page);
    assert.ok(sel.focused);
    const { line } = lineColumn(sel.value, sel.start);
    assert.match(sel.value.split('\n').slice(line - 1, line + 5).join('\n'), /name: db-ingress/);
    // A rule selects its range.
    const allow = ingress.locator('.summary-rule[data-verdict="allow"]').first();
    await allow.click();
    sel = await selection(page);
    assert.equal(lineColumn(sel.value, sel.start).line, Number(await allow.getAttribute('data-line')));
    assert.match(sel.value.slice(sel.start, sel.end), /^podSelector:\s+matchLabels:\s+app: api$/);
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('without workloads the Summary stands in a representative pod per policy subject', async () => {
  const session = await openEditor(browser, server.url);
  const { page } = session;
  try {
    await page.click('#tab-workloads');
    await page.waitForSelector('#workloads-note');
    const kinds = await page.$$eval('#panel-workloads .workload h3 .kind', (k) => k.map((e) => e.textContent));
    assert.ok(kinds.length > 0 && kinds.every((k) => k === 'representative pod'), JSON.stringify(kinds));
    const names = await page.$$eval('#panel-workloads .workload', (w) => w.map((e) => e.dataset.workload));
    assert.ok(names.every((n) => /^[a-z0-9-]+\/<pod selected by /.test(n)), JSON.stringify(names));
    assert.match(await page.textContent('#panel-workloads'), /isolated/);

    // The Findings tab of a text without findings says so.
    await page.fill('#editor', 'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: web, namespace: shop}\nspec:\n  podSelector: {}\n  ingress: [{}]\n');
    await page.waitForFunction(() => document.querySelector('#tab-findings').textContent === 'Findings (0)');
    await page.click('#tab-findings');
    await page.waitForSelector('#findings-empty');
    await assertClean(session);
  } finally {
    await page.close();
  }
});

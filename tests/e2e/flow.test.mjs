// The editor's Flow and Connectivity tabs, end to end, on examples/flows.yaml.
// The verdicts asserted here are the ones `netpolkit explain` prints for the
// same file (and that the example's header comment states):
//
//   netpolkit explain --from shop/web --to shop/api --port 9000 examples/flows.yaml                      ALLOW
//   netpolkit explain --from shop/web --to shop/db --port 5432 examples/flows.yaml                       DENY (CCNP no-web-to-db)
//   netpolkit explain --profile upstream --from shop/web --to shop/api --port 9000 examples/flows.yaml   DENY
//
//   NETPOLKIT_DIST=/abs/path/to/dist node --test      (from tests/e2e)

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';

import { assertClean, distDir, launch, lineColumn, openEditor, selection, serve } from './helpers.mjs';

const flowsText = async () =>
  (await readFile(new URL('../../examples/flows.yaml', import.meta.url), 'utf8')).replace(/\r\n/g, '\n');

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

/** The Flow tab's answer as plain data. */
function flowState(page) {
  return page.evaluate(() => {
    const text = (selector) => document.querySelector(selector)?.textContent ?? null;
    const verdict = document.querySelector('#flow-verdict');
    return {
      from: document.querySelector('#flow-from')?.value,
      to: document.querySelector('#flow-to')?.value,
      port: document.querySelector('#flow-port')?.value,
      verdict: verdict?.dataset.verdict ?? null,
      verdictText: verdict?.textContent ?? null,
      shownFrom: text('#flow-verdict .from'),
      shownTo: text('#flow-verdict .to'),
      shownPort: text('#flow-verdict .port'),
      profile: text('#flow-profile'),
      egress: text('#flow-egress'),
      ingress: text('#flow-ingress'),
      error: text('#flow-error'),
      prompt: text('#flow-prompt'),
    };
  });
}

/** Waits until the Flow tab explains `from → to` (the debounced inputs have been taken). */
async function waitForFlow(page, from, to) {
  await page.waitForFunction(
    ([from, to]) =>
      document.querySelector('#flow-verdict .from')?.textContent === from &&
      document.querySelector('#flow-verdict .to')?.textContent === to,
    [from, to],
    { timeout: 5000 },
  );
  return flowState(page);
}

test('the Flow tab explains a flow, lists its rules, and a rule selects its range in the editor', async () => {
  const session = await openEditor(browser, `${server.url}#example=flows`);
  const { page } = session;
  try {
    const text = await flowState(page);
    assert.equal(text.verdict, null, 'Problems is the tab shown first');
    assert.equal(await page.getAttribute('#tab-problems', 'aria-selected'), 'true');
    assert.match(await page.textContent('#summary'), /\b0 errors\b/);

    await page.click('#tab-flow');
    assert.equal(await page.getAttribute('#tab-flow', 'aria-selected'), 'true');
    // The example's first stated flow is filled in.
    let flow = await flowState(page);
    assert.deepEqual([flow.from, flow.to, flow.port], ['shop/web', 'shop/api', '9000']);
    assert.equal(flow.verdict, 'allow');
    assert.match(flow.verdictText, /ALLOW/);
    assert.equal(flow.shownPort, 'TCP/9000');
    assert.match(flow.profile, /Cilium 1\.20/);
    assert.match(flow.egress, /allowed by NetworkPolicy shop\/web-egress/);
    assert.match(flow.ingress, /allowed by CiliumNetworkPolicy shop\/api/);
    const endpoints = await page.$$eval('#flow-endpoints option', (o) => o.map((e) => e.value));
    for (const name of ['shop/web', 'shop/api', 'shop/db', 'monitoring/prometheus', 'kube-system/coredns', 'node/worker-1']) {
      assert.ok(endpoints.includes(name), `${name} in ${endpoints}`);
    }

    // Another destination and port: the cluster-wide deny decides at ingress.
    await page.fill('#flow-to', 'shop/db');
    await page.fill('#flow-port', '5432');
    flow = await waitForFlow(page, 'shop/web', 'shop/db');
    await page.waitForFunction(() => document.querySelector('#flow-verdict .port')?.textContent === 'TCP/5432');
    flow = await flowState(page);
    assert.equal(flow.verdict, 'deny');
    assert.match(flow.verdictText, /DENY/);
    assert.equal(await page.getAttribute('#flow-egress', 'data-verdict'), 'allow');
    assert.equal(await page.getAttribute('#flow-ingress', 'data-verdict'), 'deny');
    assert.match(flow.ingress, /denied by CiliumClusterwideNetworkPolicy no-web-to-db/);
    const rule = page.locator('#flow-ingress .rule').first();
    assert.equal(await rule.getAttribute('data-kind'), 'CiliumClusterwideNetworkPolicy');
    assert.equal(await rule.getAttribute('data-name'), 'no-web-to-db');

    // The rule is ingressDeny[0] of the CCNP: the line after `ingressDeny:`.
    const lines = (await flowsText()).split('\n');
    const ruleLine = lines.findIndex((l) => l.startsWith('  ingressDeny:')) + 2;
    assert.equal(Number(await rule.getAttribute('data-line')), ruleLine);
    await rule.click();
    const sel = await selection(page);
    assert.ok(sel.focused, 'the editor has the focus after a click on a rule');
    assert.equal(lineColumn(sel.value, sel.start).line, ruleLine);
    assert.match(sel.value.slice(sel.start, sel.end), /^fromEndpoints:[\s\S]*tier: frontend$/);
    // The editor scrolled the rule into view.
    const visible = await page.evaluate((line) => {
      const scroller = document.querySelector('.scroller').getBoundingClientRect();
      const ln = document.querySelector(`.gutter .ln:nth-child(${line})`).getBoundingClientRect();
      return ln.top >= scroller.top && ln.bottom <= scroller.bottom;
    }, ruleLine);
    assert.ok(visible, 'the rule line is scrolled into view');

    // A name that is not in the document: the core's sentence.
    await page.fill('#flow-to', 'shop/nope');
    await page.waitForSelector('#flow-error', { timeout: 5000 });
    flow = await flowState(page);
    assert.match(flow.error, /no pod or workload shop\/nope in the input/);
    assert.equal(flow.verdict, null);

    // Swap: from and to trade places at once.
    await page.fill('#flow-to', 'shop/api');
    await waitForFlow(page, 'shop/web', 'shop/api');
    await page.click('#flow-swap');
    flow = await waitForFlow(page, 'shop/api', 'shop/web');
    assert.deepEqual([flow.from, flow.to], ['shop/api', 'shop/web']);
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('the profile picker changes the verdict as the CLI says', async () => {
  const session = await openEditor(browser, `${server.url}#example=flows`);
  const { page } = session;
  try {
    await page.click('#tab-flow');
    let flow = await waitForFlow(page, 'shop/web', 'shop/api');
    assert.equal(flow.verdict, 'allow');
    assert.equal(await page.$eval('#profile', (s) => s.value), 'cilium');

    // Editing the text re-explains the flow: the CNP now allows 9001 only.
    const text = await flowsText();
    await page.fill('#editor', text.replace('- port: "9000"', '- port: "9001"'));
    await page.waitForSelector('#flow-verdict[data-verdict="deny"]', { timeout: 5000 });
    await page.fill('#editor', text);
    await page.waitForSelector('#flow-verdict[data-verdict="allow"]', { timeout: 5000 });
    assert.equal(await page.locator('#acns').count(), 0, 'ACNS is an AKS setting');

    // Upstream Kubernetes enforces no CiliumNetworkPolicy: only default-deny selects the api.
    await page.selectOption('#profile', 'upstream');
    await page.waitForSelector('#flow-verdict[data-verdict="deny"]', { timeout: 5000 });
    flow = await flowState(page);
    assert.match(flow.profile, /upstream Kubernetes semantics/);
    assert.match(flow.ingress, /denied: selected by NetworkPolicy shop\/default-deny/);
    assert.match(await page.textContent('#skipped'), /CiliumNetworkPolicy shop\/api: upstream Kubernetes semantics enforces only NetworkPolicy/);
    assert.match(await page.textContent('#summary'), /upstream Kubernetes semantics/);

    // AKS: its own Cilium version unless one is picked, and the ACNS switch.
    await page.selectOption('#profile', 'aks');
    await page.waitForSelector('#flow-verdict[data-verdict="allow"]', { timeout: 5000 });
    assert.equal(await page.$eval('#cilium', (s) => s.value), '1.17');
    assert.match((await flowState(page)).profile, /AKS, Azure CNI powered by Cilium 1\.17, ACNS off/);
    await page.check('#acns');
    await page.waitForFunction(() => /ACNS on/.test(document.querySelector('#flow-profile')?.textContent));
    await page.selectOption('#cilium', '1.16');
    await page.waitForFunction(() => /Cilium 1\.16, ACNS on/.test(document.querySelector('#flow-profile')?.textContent));

    // The node the database runs on: Cilium always lets it in, upstream does not.
    await page.selectOption('#profile', 'cilium');
    await page.fill('#flow-from', 'node/worker-1');
    await page.fill('#flow-to', 'shop/db');
    await page.fill('#flow-port', '5432');
    flow = await waitForFlow(page, 'node/worker-1', 'shop/db');
    await page.waitForFunction(() => document.querySelector('#flow-verdict .port')?.textContent === 'TCP/5432');
    assert.equal((await flowState(page)).verdict, 'allow');
    assert.match((await flowState(page)).ingress, /from the local node, which Cilium always lets in/);
    await page.selectOption('#profile', 'upstream');
    await page.waitForSelector('#flow-verdict[data-verdict="deny"]', { timeout: 5000 });
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('the Connectivity tab shows the matrix, and a cell opens its flow', async () => {
  const session = await openEditor(browser, `${server.url}#example=flows`);
  const { page } = session;
  try {
    await page.click('#tab-connectivity');
    await page.waitForSelector('#matrix');
    const ports = await page.$$eval('#matrix-port option', (o) => o.map((e) => e.value));
    assert.ok(ports.includes('TCP/5432') && ports.includes('TCP/9000') && ports.includes('UDP/53'), ports.join(' '));
    // The Flow tab's port (9000) is shown first.
    assert.equal(await page.$eval('#matrix-port', (s) => s.value), 'TCP/9000');
    assert.equal(await page.textContent('button[aria-label="shop/web → shop/api TCP/9000: allowed"]'), 'Y');

    await page.selectOption('#matrix-port', 'TCP/5432');
    const allowed = page.locator('button[aria-label="shop/api → shop/db TCP/5432: allowed"]');
    assert.equal(await allowed.textContent(), 'Y');
    assert.equal(await allowed.getAttribute('title'), 'shop/api → shop/db TCP/5432: allowed');
    const denied = page.locator('button[aria-label="shop/web → shop/db TCP/5432: denied"]');
    assert.equal(await denied.textContent(), '.');
    // Six endpoints: the rows and columns are the document's workloads and its node.
    assert.equal(await page.locator('#matrix tbody tr').count(), 6);
    assert.equal(await page.locator('#matrix-note').count(), 0, 'no cap note for a small document');

    // Arrow keys move between cells.
    await page.focus('#matrix button[data-i="0"][data-j="0"]');
    await page.keyboard.press('ArrowRight');
    await page.keyboard.press('ArrowDown');
    assert.deepEqual(
      await page.evaluate(() => [document.activeElement.dataset.i, document.activeElement.dataset.j]),
      ['1', '1'],
    );

    await denied.click();
    assert.equal(await page.getAttribute('#tab-flow', 'aria-selected'), 'true');
    const flow = await waitForFlow(page, 'shop/web', 'shop/db');
    assert.deepEqual([flow.from, flow.to, flow.port], ['shop/web', 'shop/db', '5432/TCP']);
    assert.equal(flow.verdict, 'deny');
    assert.equal(flow.shownPort, 'TCP/5432');

    // The tabs follow the arrow keys too.
    await page.focus('#tab-flow');
    await page.keyboard.press('ArrowLeft');
    assert.equal(await page.getAttribute('#tab-workloads', 'aria-selected'), 'true');
    await page.keyboard.press('Home');
    assert.equal(await page.getAttribute('#tab-problems', 'aria-selected'), 'true');
    assert.equal(await page.evaluate(() => document.activeElement.id), 'tab-problems');
    // The example is valid: Problems lists nothing, and points to its
    // precedence findings (NP5xx), which the Findings tab lists.
    const codes = await page.$$eval('#diagnostics .diag', (list) => list.map((d) => d.dataset.code));
    assert.deepEqual(codes, []);
    assert.match(await page.textContent('#findings-pointer'), /precedence findings/);
    await page.keyboard.press('ArrowRight');
    const listed = await page.$$eval('#panel-findings .finding', (list) => list.map((d) => d.dataset.code));
    assert.ok(listed.length > 0 && listed.every((c) => c.startsWith('NP5')), JSON.stringify(listed));
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('a big document: the matrix draws the first 60 endpoints and says so', async () => {
  const session = await openEditor(browser, server.url);
  const { page } = session;
  try {
    const pods = Array.from({ length: 75 }, (_, i) =>
      `apiVersion: v1\nkind: Pod\nmetadata: {name: p${i}, namespace: ns${i % 5}, labels: {app: a${i % 7}}}\n` +
        `spec: {containers: [{name: c, image: x, ports: [{name: http, containerPort: ${8000 + (i % 3)}}]}]}\n`,
    );
    const policy =
      'apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: a1-in, namespace: ns1}\n' +
      'spec:\n  podSelector: {matchLabels: {app: a1}}\n  ingress:\n  - from: [{podSelector: {}}]\n    ports: [{port: http}]\n';
    await page.fill('#editor', [...pods, policy].join('---\n'));
    await page.waitForFunction(() => /76 documents/.test(document.querySelector('#summary').textContent), null, { timeout: 5000 });
    const started = Date.now();
    await page.click('#tab-connectivity');
    await page.waitForSelector('#matrix');
    const elapsed = Date.now() - started;
    assert.ok(elapsed < 3000, `the matrix took ${elapsed} ms`);
    assert.match(await page.textContent('#matrix-note'), /first 60 of 75 endpoints/);
    assert.equal(await page.locator('#matrix tbody tr').count(), 60);
    assert.equal(await page.locator('#matrix thead th.col').count(), 60);
    await assertClean(session);
  } finally {
    await page.close();
  }
});

test('without workloads the Flow and Connectivity tabs say what to add', async () => {
  const session = await openEditor(browser, server.url);
  const { page } = session;
  try {
    await page.click('#tab-flow');
    assert.match((await flowState(page)).prompt, /no workloads yet/);
    // Addresses work without any workload.
    await page.fill('#flow-from', '198.51.100.7');
    await page.fill('#flow-to', 'api.example.com');
    const flow = await waitForFlow(page, '198.51.100.7', 'api.example.com');
    assert.equal(flow.verdict, 'allow');
    await page.click('#tab-connectivity');
    await page.waitForSelector('#matrix-empty');
    await assertClean(session);
  } finally {
    await page.close();
  }
});

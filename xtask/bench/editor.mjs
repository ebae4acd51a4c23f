// Times the editor in headless Chromium on a generated cluster (run by
// `cargo xtask bench`): node editor.mjs <dist dir> <cluster.yaml>
// Pastes the text, waits until the summary counts its documents (one debounced
// check: parse, validate, lower, build the cluster; the 150 ms debounce is
// subtracted), then opens the Connectivity tab and waits for the matrix.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { launch, openEditor, serve } from '../../tests/e2e/helpers.mjs';

const [dist, input] = process.argv.slice(2);
const text = readFileSync(input, 'utf8');
// The generator separates documents with `---` lines and starts with one.
const documents = text.split('\n').filter((l) => l === '---').length + (text.startsWith('---') ? 0 : 1);
const DEBOUNCE_MS = 150;
const server = await serve(dist);
const browser = await launch();
const check = [];
const matrix = [];
try {
  for (let round = 0; round < 4; round++) {
    const { page } = await openEditor(browser, `${server.url}#example=flows`);
    const start = Date.now();
    // As a paste does: one input event with the whole text.
    await page.$eval('#editor', (editor, value) => {
      editor.value = value;
      editor.dispatchEvent(new Event('input', { bubbles: true }));
    }, text);
    await page.waitForFunction((n) => document.querySelector('#summary')?.textContent.includes(`${n} documents`), documents, {
      timeout: 120000,
      polling: 10,
    });
    const checked = Date.now();
    await page.click('#tab-connectivity');
    await page.waitForSelector('#matrix', { timeout: 120000 });
    const drawn = Date.now();
    await page.close();
    if (round === 0) continue; // warm-up
    check.push(checked - start - DEBOUNCE_MS);
    matrix.push(drawn - checked);
  }
} finally {
  await browser.close();
  server.close();
}
const median = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const name = basename(input, '.yaml');
console.log(`| editor in Chromium: paste to checked summary, ${name} | ${median(check)} ms |`);
console.log(`| editor in Chromium: open the Connectivity tab, ${name} | ${median(matrix)} ms |`);

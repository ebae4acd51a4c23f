// The README's npm example must run as written and print what its
// `// =>` comments promise. The README lives in the repository, which the
// tests cannot find from the consumer project they run in, so `cargo xtask`
// passes its root in NETPOLKIT_ROOT.

import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** Every fenced code block whose info string is exactly `js`. */
export function jsBlocks(markdown) {
  const lines = markdown.split(/\r?\n/);
  const blocks = [];
  let start = -1;
  for (const [i, line] of lines.entries()) {
    if (start < 0 && /^```js\s*$/.test(line)) start = i;
    else if (start >= 0 && /^```\s*$/.test(line)) {
      blocks.push(lines.slice(start + 1, i).join("\n") + "\n");
      start = -1;
    }
  }
  return blocks;
}

/** The EXPECTED of every `console.log(...); // => EXPECTED` line, in order. */
export function expectations(code) {
  return [...code.matchAll(/^\s*console\.log\(.*\);?\s*\/\/ => (.*?)\s*$/gm)].map((m) => m[1]);
}

test("the block and expectation parsers", () => {
  const md = "text\n```jsx\nno\n```\n```js\nconsole.log(1); // => 1\nx();\nconsole.log(a, b); // => a b\n```\n```js\nlater\n```\n";
  const [block, later] = jsBlocks(md);
  assert.equal(block, "console.log(1); // => 1\nx();\nconsole.log(a, b); // => a b\n");
  assert.equal(later, "later\n");
  assert.deepEqual(expectations(block), ["1", "a b"]);
  assert.deepEqual(jsBlocks("```sh\nls\n```\n"), []);
});

test("the README's npm examples print what they say", () => {
  const root = process.env.NETPOLKIT_ROOT;
  assert.ok(root, "NETPOLKIT_ROOT must name the repository (cargo xtask test sets it)");
  const readme = readFileSync(join(root, "README.md"), "utf8");
  const blocks = jsBlocks(readme);
  assert.ok(blocks.length > 0, "README.md has no ```js block");
  for (const code of blocks) {
    const expected = expectations(code);
    assert.ok(expected.length > 0, `the README example promises no output:\n${code}`);
    assert.equal(
      expected.length,
      (code.match(/console\.log\(/g) ?? []).length,
      "every console.log in the README example says what it prints",
    );

    // Inside the consumer project, so `import ... from "netpolkit"` finds the installed package.
    const script = fileURLToPath(new URL("./readme-example.mjs", import.meta.url));
    writeFileSync(script, code);
    let stdout;
    try {
      stdout = execFileSync(process.execPath, [script], { encoding: "utf8", cwd: root });
    } finally {
      rmSync(script, { force: true });
    }
    const printed = stdout.split("\n").filter((l, i, all) => i < all.length - 1 || l !== "");
    assert.deepEqual(printed, expected);
  }
});

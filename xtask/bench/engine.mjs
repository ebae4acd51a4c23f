// Times the npm package's `connectivity` and `explain` in node on generated
// clusters (run by `cargo xtask bench`):
// node engine.mjs <path to node/netpolkit.js> <cluster.yaml>...
// Each input is 1,000 pods with some number of policies; both calls take the
// text, so they include reading, checking and lowering it, as a JS caller sees.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { pathToFileURL } from "node:url";

const [modulePath, ...inputs] = process.argv.slice(2);
const netpolkit = await import(pathToFileURL(modulePath).href);

function median(run, rounds) {
  run(); // warm up
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const start = performance.now();
    run();
    times.push(performance.now() - start);
  }
  times.sort((a, b) => a - b);
  return times[Math.floor(times.length / 2)];
}

for (const input of inputs) {
  const text = readFileSync(input, "utf8");
  const name = basename(input, ".yaml");
  let cells = 0;
  const connectivity = median(() => {
    const m = netpolkit.connectivity(text);
    cells = m.allowed.length;
  }, 5);
  const query = { from: "ns-1/app-1-5", to: "ns-2/app-2-10", port: "8080" };
  const explain = median(() => netpolkit.explain(text, query), 5);
  console.log(`| WASM in node ${process.version}: connectivity (text to matrix), ${name} | ${connectivity.toFixed(0)} ms (${cells} cells) |`);
  console.log(`| WASM in node: explain one flow (text to answer), ${name} | ${explain.toFixed(0)} ms |`);
}

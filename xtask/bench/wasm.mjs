// Times the npm package's `parse` and `validate` on one input in node
// (run by `cargo xtask bench`): node wasm.mjs <path to node/netpolkit.js> <input.yaml>
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";

const [modulePath, inputPath] = process.argv.slice(2);
const netpolkit = await import(pathToFileURL(modulePath).href);
const text = readFileSync(inputPath, "utf8");

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

const parse = median(() => netpolkit.parse(text), 5);
const validate = median(() => netpolkit.validate(text), 5);
console.log(`| WASM in node ${process.version}: parse, 10k policies | ${parse.toFixed(0)} ms |`);
console.log(`| WASM in node: validate (parse + validate), 10k policies | ${validate.toFixed(0)} ms |`);
console.log(`| WASM validate / parse | ${(validate / parse).toFixed(2)} |`);

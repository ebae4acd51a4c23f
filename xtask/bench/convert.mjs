// Times the npm package's `convert` to CiliumNetworkPolicy against its
// `parse` on the same text in node (run by `cargo xtask bench`):
// node convert.mjs <path to node/netpolkit.js> <knp-10k.yaml>
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
const convert = median(() => {
  const result = netpolkit.convert(text, { to: "cnp", prove: false });
  if (!result.ok) throw new Error("the conversion failed");
}, 5);
let proof = null;
const start = performance.now();
const proved = netpolkit.convert(text, { to: "cnp" });
const proving = performance.now() - start;
if (proved.proof) proof = proved.proof;
console.log(`| WASM in node ${process.version}: parse, 10k NetworkPolicies | ${parse.toFixed(0)} ms |`);
console.log(`| WASM in node: convert to CNP, no proof, 10k NetworkPolicies | ${convert.toFixed(0)} ms |`);
console.log(`| WASM convert / parse | ${(convert / parse).toFixed(2)} |`);
console.log(
  `| WASM in node: convert to CNP with the proof, 10k NetworkPolicies (one run) | ${proving.toFixed(0)} ms` +
    (proof ? ` (${proof.equivalent ? "equivalent" : "not equivalent"}, ${proof.flows} flows${proof.truncated ? ", universe cut down" : ""})` : "") +
    " |",
);

// The npm package as node sees it: `import ... from "netpolkit"` resolves
// through the installed tarball's `exports` map (the "node" condition) to
// the experimental-nodejs-module build. Run by `cargo xtask test`.

import { test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

import { connectivity, explain, format, parse, validate, version } from "netpolkit";
import { COMBINED_PEERS, GRE, STREAM, TYPO, UNORDERED, UNORDERED_FORMATTED } from "./fixtures.mjs";

const packageDir = new URL("./", import.meta.resolve("netpolkit/package.json"));
const packageJson = JSON.parse(readFileSync(new URL("package.json", packageDir), "utf8"));

const DIAGNOSTIC_KEYS = [
  "code", "name", "severity", "message", "document", "path", "hint", "refusedBy",
  "start", "end", "startUtf16", "endUtf16", "line", "column", "endLine", "endColumn", "related",
];

test("version() is the package version", () => {
  assert.equal(version(), packageJson.version);
});

test("validate returns plain objects shaped like the TypeScript types", () => {
  const result = validate(TYPO);
  assert.deepEqual(Object.keys(result).sort(), ["diagnostics", "documents", "summary"]);
  assert.deepEqual(result.summary, { documents: 1, errors: 1, warnings: 0, infos: 0 });
  assert.equal(result.documents.length, 1);
  const { end, endUtf16, ...doc } = result.documents[0];
  assert.deepEqual(doc, {
    index: 0,
    apiVersion: "networking.k8s.io/v1",
    kind: "NetworkPolicy",
    name: "db",
    namespace: "shop",
    modelled: true,
    policy: true,
    path: "",
    start: 0,
    startUtf16: 0,
    line: 1,
    endLine: 7,
  });
  // The document ends with its last value, the closing brace of `{}` on line 7.
  assert.equal(TYPO.slice(0, end).trimEnd(), TYPO.trimEnd(), `document end ${end}`);
  assert.equal(endUtf16, end, "ASCII text: UTF-16 and UTF-8 offsets agree");
  for (const d of result.diagnostics) {
    assert.equal(Object.getPrototypeOf(d), Object.prototype, "a plain object, not a Map or class");
    for (const key of Object.keys(d)) {
      assert.ok(DIAGNOSTIC_KEYS.includes(key), `unexpected key ${key}`);
    }
    assert.ok(["error", "warning", "info"].includes(d.severity));
    assert.match(d.code, /^NP\d{3}$/);
  }
});

test("an unknown field is NP101 with its line, column, path and hint", () => {
  const [d, ...rest] = validate(TYPO).diagnostics;
  assert.deepEqual(rest, []);
  assert.equal(d.code, "NP101");
  assert.equal(d.name, "unknown-field");
  assert.equal(d.severity, "error");
  assert.equal(d.refusedBy, "api-server");
  assert.equal(d.path, "spec.podSelecter");
  assert.equal(d.hint, "did you mean `podSelector`?");
  assert.equal(d.document, 0);
  assert.deepEqual([d.line, d.column, d.endLine, d.endColumn], [7, 3, 7, 14]);
  // ASCII input, so byte offsets and string indices agree.
  assert.equal(TYPO.slice(d.start, d.end), "podSelecter");
  assert.equal("related" in d, false, "an empty related list is left out");
});

test("refusedBy tells the API server's errors from the Cilium agent's", () => {
  const d = validate(COMBINED_PEERS).diagnostics.find((d) => d.code === "NP301");
  assert.ok(d, "combined peers are reported");
  assert.equal(d.name, "combined-peers");
  assert.equal(d.refusedBy, "cilium-agent");
  const warnings = validate(GRE).diagnostics.filter((d) => d.severity !== "error");
  assert.ok(warnings.length > 0, "GRE needs an agent flag: a warning");
  for (const warning of warnings) {
    assert.equal("refusedBy" in warning, false, `${warning.code} is not an error`);
  }
});

test("a syntax error in one document does not hide the others", () => {
  const result = validate(STREAM);
  assert.deepEqual(
    result.documents.map((doc) => doc.name),
    ["first", undefined, "third"],
  );
  assert.equal(result.summary.documents, 3);

  const syntax = result.diagnostics.find((d) => d.code === "NP001");
  assert.ok(syntax, `no yaml-syntax diagnostic in ${JSON.stringify(result.diagnostics)}`);
  assert.equal(syntax.name, "yaml-syntax");
  assert.equal(syntax.document, 1);
  assert.ok(syntax.line >= 7 && syntax.line <= 11, `syntax error reported on line ${syntax.line}`);

  const typo = result.diagnostics.find((d) => d.code === "NP101");
  assert.ok(typo, "the third document's typo is still reported");
  assert.equal(typo.document, 2);
  assert.equal(typo.path, "spec.policyTypez");
  assert.deepEqual([typo.line, typo.column], [19, 3]);
  assert.equal(typo.hint, "did you mean `policyTypes`?");

  assert.equal(result.summary.errors, result.diagnostics.filter((d) => d.severity === "error").length);
});

test("the ciliumVersion option applies an older Cilium's rules", () => {
  const codes = (r) => r.diagnostics.map((d) => d.code);
  assert.ok(!codes(validate(GRE)).includes("NP313"), "the newest Cilium knows GRE");
  assert.ok(!codes(validate(GRE, {})).includes("NP313"), "{} means the defaults");
  assert.ok(!codes(validate(GRE, null)).includes("NP313"), "null means the defaults");
  assert.ok(!codes(validate(GRE, { ciliumVersion: undefined })).includes("NP313"));

  const old = validate(GRE, { ciliumVersion: "1.19" });
  const gate = old.diagnostics.find((d) => d.code === "NP313");
  assert.ok(gate, `no version-gate under 1.19: ${JSON.stringify(old.diagnostics)}`);
  assert.equal(gate.name, "version-gate");
  assert.equal(gate.path, "spec.egress[0].toPorts[0].ports[0].protocol");
  assert.equal(gate.line, 12);
  assert.match(gate.message, /1\.19/);
  assert.deepEqual(validate(GRE, { ciliumVersion: "v1.19.5" }), old);
});

test("bad options throw an Error with the core's message", () => {
  assert.throws(() => validate(TYPO, { ciliumVersion: "1.2x" }), {
    name: "Error",
    message: "`1.2x` is not a Cilium version such as 1.19 or v1.19.5",
  });
  assert.throws(() => validate(TYPO, { ciliumVersion: "1.9" }), (e) => {
    assert.ok(e instanceof Error);
    assert.match(e.message, /^Cilium 1\.9 is outside the versions netpolkit knows/);
    return true;
  });
  // A misspelt option is refused, not silently ignored.
  assert.throws(() => validate(TYPO, { ciliumversion: "1.19" }), {
    message: /^invalid options: unknown field `ciliumversion`/,
  });
  assert.throws(() => validate(TYPO, "1.19"), { message: /^invalid options: / });
  assert.throws(() => format(TYPO, { output: "toml" }), { message: /^invalid options: .*toml/ });
});

test("problems in the text are diagnostics, never exceptions", () => {
  for (const text of ["", "---\n", "{", ": : :", "\u00e9\u00e9: [", "- 1\n- 2\n"]) {
    const result = validate(text);
    assert.ok(Array.isArray(result.diagnostics), JSON.stringify(text));
    assert.equal(typeof format(text).output, "string");
  }
});

test("format normalises key order and quotes YAML 1.1 booleans", () => {
  const result = format(UNORDERED);
  assert.deepEqual(result, { output: UNORDERED_FORMATTED, diagnostics: [] });
  assert.deepEqual(format(UNORDERED, { output: "yaml" }), result);
  assert.equal(format(UNORDERED_FORMATTED).output, UNORDERED_FORMATTED, "formatting is idempotent");

  const json = JSON.parse(format(UNORDERED, { output: "json" }).output);
  assert.deepEqual(Object.keys(json), ["apiVersion", "kind", "metadata", "spec"]);
  assert.equal(json.spec.podSelector.matchLabels.feature, "on");
});

test("format keeps a broken document as written and says why", () => {
  const { output, diagnostics } = format(STREAM);
  assert.match(output, /name: \[broken/);
  assert.match(output, /name: third/);
  assert.ok(diagnostics.length > 0);
  assert.ok(diagnostics.every((d) => d.severity === "error"));
  assert.ok(diagnostics.some((d) => d.code === "NP001" && d.document === 1));
});

test("the TypeScript declarations describe the API", () => {
  for (const dir of ["bundler", "web", "node"]) {
    const dts = readFileSync(new URL(`${dir}/netpolkit.d.ts`, packageDir), "utf8");
    assert.match(dts, /export function validate\(text: string, options\?: ValidateOptions \| null\): ValidateResult;/);
    assert.match(dts, /export function format\(text: string, options\?: FormatOptions \| null\): FormatResult;/);
    assert.match(dts, /export function version\(\): string;/);
    assert.match(dts, /export type Severity = "error" \| "warning" \| "info";/);
    assert.match(dts, /export type OutputFormat = "yaml" \| "json";/);
    assert.match(dts, /export type RefusedBy = "api-server" \| "cilium-agent";/);
    assert.match(dts, /export interface Diagnostic \{[^}]*\n\s+refusedBy\?: RefusedBy;/);
    assert.match(dts, /export interface Diagnostic \{[^}]*\n\s+severity: Severity;/);
    assert.match(dts, /export interface Diagnostic \{[^}]*\n\s+hint\?: string;/);
    assert.match(dts, /export interface Diagnostic \{[^}]*\n\s+related\?: Related\[\];/);
    assert.match(dts, /export interface ValidateOptions \{[^}]*\n\s+ciliumVersion\?: string;/);
    assert.match(dts, /export function explain\(text: string, query: FlowQuery, options\?: AnalyzeOptions \| null\): ExplainResult;/);
    assert.match(dts, /export function connectivity\(text: string, options\?: ConnectivityOptions \| null\): ConnectivityResult;/);
    assert.match(dts, /export interface ConnectivityResult \{[^}]*\n\s+allowed: Uint8Array;/);
  }
});

test("UTF-16 offsets slice JavaScript strings where byte offsets cannot", () => {
  const text = "# 🚀 ünïcode before the error\n" + TYPO;
  const [d] = validate(text).diagnostics;
  assert.equal(d.code, "NP101");
  assert.equal(text.slice(d.startUtf16, d.endUtf16), "podSelecter");
  assert.notEqual(d.start, d.startUtf16, "bytes and UTF-16 units differ after non-ASCII text");
});

test("parse reads without the validation rules", () => {
  const invalidName = TYPO.replace("podSelecter", "podSelector").replace("name: db", "name: Not_A_Name");
  const parsed = parse(invalidName);
  assert.equal(parsed.documents.length, 1);
  assert.equal(parsed.documents[0].kind, "NetworkPolicy");
  assert.deepEqual(parsed.diagnostics, [], "names are checked by validate, not by parse");
  assert.equal(validate(invalidName).diagnostics[0].code, "NP201");
  assert.equal(parse(TYPO).diagnostics[0].code, "NP101", "reading problems are still reported");
});

const SHOP = `apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: web, image: nginx}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: db, image: postgres, ports: [{name: pg, containerPort: 5432}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}]
    ports: [{port: pg}]
`;

test("explain says allow or deny, in which direction, and because of which rule", () => {
  const allowed = explain(SHOP, { from: "shop/web", to: "shop/db", port: "pg" });
  assert.equal(allowed.verdict, "allow");
  assert.equal(allowed.port, 5432, "the named port is resolved on the destination");
  assert.equal(allowed.ingress.rules[0].name, "db");
  assert.equal(allowed.ingress.rules[0].path, "spec.ingress[0].from[0]");
  const rule = allowed.ingress.rules[0];
  assert.match(SHOP.slice(rule.startUtf16, rule.endUtf16), /podSelector: \{matchLabels: \{app: web\}\}/);
  assert.equal(allowed.egress.enforced, false);

  const denied = explain(SHOP, { from: "shop/db", to: "shop/db", port: "22/TCP" });
  assert.equal(denied.verdict, "deny");
  assert.equal(denied.ingress.verdict, "deny");
  assert.match(denied.ingress.summary, /default deny/);

  // Upstream Kubernetes vs Cilium: ipBlock and pods.
  const block = SHOP.replace("podSelector: {matchLabels: {app: web}}", "ipBlock: {cidr: 10.244.0.0/16}") +
    "---\napiVersion: v1\nkind: Pod\nmetadata: {name: ip, namespace: shop, labels: {app: ip}}\nspec: {containers: [{name: c, image: x}]}\nstatus: {podIP: 10.244.3.3}\n";
  assert.equal(explain(block, { from: "shop/ip", to: "shop/db", port: "5432" }).verdict, "deny");
  assert.equal(explain(block, { from: "shop/ip", to: "shop/db", port: "5432" }, { profile: "upstream" }).verdict, "allow");
});

test("explain throws for endpoints the text does not have and for bad options", () => {
  assert.throws(() => explain(SHOP, { from: "shop/nope", to: "shop/db", port: "80" }), /no pod or workload `shop\/nope`/);
  assert.throws(() => explain(SHOP, { from: "shop/web", to: "shop/db", port: "80" }, { profile: "calico" }), Error);
  assert.throws(() => explain(SHOP, { from: "shop/web", to: "shop/db", port: "80" }, { podCidrs: ["nonsense"] }), /not a CIDR/);
});

test("connectivity is a matrix over endpoints and ports", () => {
  const m = connectivity(SHOP, { ports: ["22"], externals: ["203.0.113.9"] });
  assert.deepEqual(m.endpoints, ["shop/web", "shop/db", "203.0.113.9"]);
  assert.deepEqual(m.ports, ["TCP/22", "TCP/5432"]);
  const [web, db, world] = [0, 1, 2];
  const [ssh, pg] = [0, 1];
  assert.ok(m.allowed instanceof Uint8Array);
  assert.equal(m.allowed.length, 3 * 3 * 2);
  const allowed = (from, to, port) => m.allowed[(from * m.endpoints.length + to) * m.ports.length + port] === 1;
  assert.equal(allowed(web, db, pg), true);
  assert.equal(allowed(web, db, ssh), false);
  assert.equal(allowed(world, db, pg), false);
  assert.equal(allowed(db, web, ssh), true, "web is not isolated");
  assert.ok(m.classes >= 3);
});

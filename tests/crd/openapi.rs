//! A small OpenAPI v3 validator for the structural-schema subset that the
//! Cilium CNP/CCNP CRDs use, with the API server's semantics:
//!
//! * nulls are pruned first (`PruneNonNullableNullsWithoutDefaults`): a null
//!   object field or map value whose schema is not `nullable` disappears, or
//!   takes the schema's `default`; nulls inside lists stay and fail `type`;
//! * unknown fields are errors (strict server-side field validation). Only the
//!   structural schema defines fields: the `properties` inside `oneOf`/`anyOf`
//!   branches are value validations and never add fields;
//! * `oneOf`/`anyOf` branches are evaluated like any other schema, which for
//!   these CRDs means "is the required field present";
//! * `pattern` is an unanchored RE2 search and applies to strings only (so the
//!   pattern of an int-or-string field never sees an integer); `maxLength` and
//!   `minLength` count characters;
//! * formats: `cidr` (Go `net.ParseCIDR`: an address, `/` and a prefix length)
//!   and `int32`/`int64` are checked; `idn-hostname` is not a format the API
//!   server knows and `date-time` only appears under `status`: both are ignored;
//! * `x-kubernetes-validations`: only the CEL rule `has(self.spec) || has(self.specs)`
//!   is implemented (literally); [`cel_rules`] lists every rule so a new one fails a test;
//! * `x-kubernetes-list-type: set` / `map` reject duplicate items / keys.
//!
//! [`keywords`] lists every keyword a schema uses, so a CRD update that brings
//! a keyword this validator does not know fails loudly instead of passing.

use std::collections::{BTreeSet, HashMap};

use regex::Regex;
use serde_json::{Map, Value};

/// The one CEL rule the validator implements.
pub const SPEC_OR_SPECS: &str = "has(self.spec) || has(self.specs)";

/// Keywords the validator enforces.
pub const ENFORCED: &[&str] = &[
    "type",
    "properties",
    "items",
    "additionalProperties",
    "required",
    "enum",
    "pattern",
    "format",
    "maxLength",
    "minLength",
    "maxItems",
    "minItems",
    "minimum",
    "maximum",
    "oneOf",
    "anyOf",
    "default",
    "nullable",
    "x-kubernetes-int-or-string",
    "x-kubernetes-validations",
    "x-kubernetes-list-type",
    "x-kubernetes-list-map-keys",
];

/// Keywords with no effect on validation.
pub const NO_EFFECT: &[&str] = &["description", "x-kubernetes-map-type"];

/// Formats the validator checks, and formats the API server ignores here.
pub const CHECKED_FORMATS: &[&str] = &["cidr", "int32", "int64"];
pub const IGNORED_FORMATS: &[&str] = &["idn-hostname", "date-time"];

/// One reason the API server refuses a document.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Path in netpolkit's notation: `spec.egress[0].toPorts[0].ports`.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "<root>: {}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

/// `parent.key` (or `key` at the root).
pub fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_owned()
    } else {
        format!("{path}.{key}")
    }
}

fn type_name(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

fn has_type(value: &Value, ty: &str) -> bool {
    match ty {
        "number" => value.is_number(),
        other => type_name(value) == other,
    }
}

/// The schema a field `key` of an object with schema `schema` is read with.
pub fn field_schema<'s>(schema: &'s Value, key: &str) -> Option<&'s Value> {
    schema
        .get("properties")
        .and_then(|p| p.get(key))
        .or_else(|| schema.get("additionalProperties").filter(|a| a.is_object()))
}

/// The API server's null pruning and defaulting, in place.
pub fn prune_nulls(value: &mut Value, schema: Option<&Value>) {
    match value {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for key in keys {
                let field = schema.and_then(|s| field_schema(s, &key));
                let Some(child) = map.get_mut(&key) else { continue };
                match field {
                    Some(f) if child.is_null() && !f.get("nullable").and_then(Value::as_bool).unwrap_or(false) => {
                        match f.get("default") {
                            Some(default) => *child = default.clone(),
                            None => {
                                map.remove(&key);
                            }
                        }
                    }
                    _ => prune_nulls(child, field),
                }
            }
        }
        Value::Array(items) => {
            let item_schema = schema.and_then(|s| s.get("items"));
            for item in items {
                prune_nulls(item, item_schema);
            }
        }
        _ => {}
    }
}

/// Every regular expression the schema uses, compiled once.
pub fn compile_patterns(schema: &Value) -> HashMap<String, Regex> {
    let mut out = HashMap::new();
    visit(schema, &mut |s| {
        if let Some(p) = s.get("pattern").and_then(Value::as_str) {
            let re = Regex::new(p).unwrap_or_else(|e| panic!("CRD pattern `{p}` does not compile: {e}"));
            out.insert(p.to_owned(), re);
        }
    });
    out
}

/// Calls `f` on every schema node, including `oneOf`/`anyOf` branches.
pub fn visit<'s>(schema: &'s Value, f: &mut impl FnMut(&'s Value)) {
    f(schema);
    if let Some(props) = schema.get("properties").and_then(Value::as_object) {
        for child in props.values() {
            visit(child, f);
        }
    }
    for key in ["items", "additionalProperties"] {
        if let Some(child) = schema.get(key).filter(|c| c.is_object()) {
            visit(child, f);
        }
    }
    for key in ["oneOf", "anyOf"] {
        for branch in schema.get(key).and_then(Value::as_array).into_iter().flatten() {
            visit(branch, f);
        }
    }
}

/// Every keyword used anywhere in the schema.
pub fn keywords(schema: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    visit(schema, &mut |s| {
        if let Some(map) = s.as_object() {
            out.extend(map.keys().cloned());
        }
    });
    out
}

/// Every `format` used anywhere in the schema.
pub fn formats(schema: &Value) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    visit(schema, &mut |s| {
        if let Some(f) = s.get("format").and_then(Value::as_str) {
            out.insert(f.to_owned());
        }
    });
    out
}

/// Every CEL rule of the schema.
pub fn cel_rules(schema: &Value) -> Vec<String> {
    let mut out = Vec::new();
    visit(schema, &mut |s| {
        for rule in s
            .get("x-kubernetes-validations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if let Some(r) = rule.get("rule").and_then(Value::as_str) {
                out.push(r.to_owned());
            }
        }
    });
    out
}

/// Go's `net.ParseCIDR`: `address/prefix`, IPv4 octets without leading zeros.
pub fn is_cidr(text: &str) -> bool {
    let Some((addr, prefix)) = text.split_once('/') else {
        return false;
    };
    if addr.contains('.')
        && addr
            .rsplit(':')
            .next()
            .unwrap_or("")
            .split('.')
            .any(|o| o.len() > 1 && o.starts_with('0'))
    {
        return false;
    }
    if prefix.is_empty() || !prefix.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    text.parse::<ipnet::IpNet>().is_ok()
}

/// Validates values against one schema tree. `patterns` must hold every
/// pattern of that tree (see [`compile_patterns`]).
pub struct Validator<'p> {
    pub patterns: &'p HashMap<String, Regex>,
}

impl Validator<'_> {
    /// Violations of `value` (already null-pruned) against `schema`.
    pub fn validate(&self, schema: &Value, value: &Value) -> Vec<Violation> {
        let mut out = Vec::new();
        self.node(schema, value, "", true, &mut out);
        out
    }

    /// `structural` is false inside `oneOf`/`anyOf` branches, which may not
    /// define fields (so they never report unknown ones).
    fn node(&self, schema: &Value, value: &Value, path: &str, structural: bool, out: &mut Vec<Violation>) {
        let mut fail = |message: String| {
            out.push(Violation {
                path: path.to_owned(),
                message,
            })
        };
        if let Some(ty) = schema.get("type").and_then(Value::as_str) {
            if !has_type(value, ty) {
                fail(format!("must be of type {ty}, found {}", type_name(value)));
                return;
            }
        }
        if let Some(options) = schema.get("enum").and_then(Value::as_array) {
            if !options.contains(value) {
                fail(format!(
                    "unsupported value: {value} (supported: {})",
                    Value::Array(options.clone())
                ));
            }
        }
        match value {
            Value::String(s) => self.string(schema, s, &mut fail),
            Value::Number(n) => {
                let i = n.as_i64();
                if let (Some(min), Some(i)) = (schema.get("minimum").and_then(Value::as_i64), i) {
                    if i < min {
                        fail(format!("should be greater than or equal to {min}"));
                    }
                }
                if let (Some(max), Some(i)) = (schema.get("maximum").and_then(Value::as_i64), i) {
                    if i > max {
                        fail(format!("should be less than or equal to {max}"));
                    }
                }
                if schema.get("format").and_then(Value::as_str) == Some("int32")
                    && i.is_none_or(|i| i32::try_from(i).is_err())
                {
                    fail("must be a 32-bit integer".to_owned());
                }
            }
            Value::Array(items) => {
                if let Some(max) = schema.get("maxItems").and_then(Value::as_u64) {
                    if items.len() as u64 > max {
                        fail(format!("must have at most {max} items"));
                    }
                }
                if let Some(min) = schema.get("minItems").and_then(Value::as_u64) {
                    if (items.len() as u64) < min {
                        fail(format!("should have at least {min} items"));
                    }
                }
                match schema.get("x-kubernetes-list-type").and_then(Value::as_str) {
                    Some("set") => {
                        for (i, item) in items.iter().enumerate() {
                            if items[..i].contains(item) {
                                fail(format!("duplicate value {item} in a list-type set"));
                            }
                        }
                    }
                    Some("map") => {
                        let keys: Vec<&str> = schema
                            .get("x-kubernetes-list-map-keys")
                            .and_then(Value::as_array)
                            .into_iter()
                            .flatten()
                            .filter_map(Value::as_str)
                            .collect();
                        let key_of = |v: &Value| keys.iter().map(|k| v.get(*k).cloned()).collect::<Vec<_>>();
                        for (i, item) in items.iter().enumerate() {
                            if items[..i].iter().any(|o| key_of(o) == key_of(item)) {
                                fail(format!("duplicate entry with keys {keys:?} in a list-type map"));
                            }
                        }
                    }
                    _ => {}
                }
                if let Some(item_schema) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        self.node(item_schema, item, &format!("{path}[{i}]"), structural, out);
                    }
                }
            }
            Value::Object(map) => self.object(schema, map, path, structural, out),
            Value::Null | Value::Bool(_) => {}
        }
        self.branches(schema, value, path, out);
        for rule in schema
            .get("x-kubernetes-validations")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let text = rule.get("rule").and_then(Value::as_str).unwrap_or("");
            if text == SPEC_OR_SPECS && value.get("spec").is_none() && value.get("specs").is_none() {
                let message = rule.get("message").and_then(Value::as_str).unwrap_or(text);
                out.push(Violation {
                    path: path.to_owned(),
                    message: format!("CEL rule failed: {message}"),
                });
            }
        }
    }

    fn string(&self, schema: &Value, s: &str, fail: &mut impl FnMut(String)) {
        let chars = s.chars().count() as u64;
        if let Some(max) = schema.get("maxLength").and_then(Value::as_u64) {
            if chars > max {
                fail(format!("may not be longer than {max}"));
            }
        }
        if let Some(min) = schema.get("minLength").and_then(Value::as_u64) {
            if chars < min {
                fail(format!("should be at least {min} chars long"));
            }
        }
        if let Some(pattern) = schema.get("pattern").and_then(Value::as_str) {
            let re = self
                .patterns
                .get(pattern)
                .expect("pattern compiled with compile_patterns");
            if !re.is_match(s) {
                fail(format!("does not match '{pattern}': {s:?}"));
            }
        }
        if schema.get("format").and_then(Value::as_str) == Some("cidr") && !is_cidr(s) {
            fail(format!("is not of format cidr: {s:?}"));
        }
    }

    fn object(&self, schema: &Value, map: &Map<String, Value>, path: &str, structural: bool, out: &mut Vec<Violation>) {
        for key in schema.get("required").and_then(Value::as_array).into_iter().flatten() {
            let key = key.as_str().unwrap_or("");
            if !map.contains_key(key) {
                out.push(Violation {
                    path: join(path, key),
                    message: "Required value".to_owned(),
                });
            }
        }
        let properties = schema.get("properties").and_then(Value::as_object);
        let additional = schema.get("additionalProperties").filter(|a| a.is_object());
        for (key, child) in map {
            let child_path = join(path, key);
            if let Some(child_schema) = properties.and_then(|p| p.get(key)) {
                self.node(child_schema, child, &child_path, structural, out);
            } else if let Some(child_schema) = additional {
                self.node(child_schema, child, &child_path, structural, out);
            } else if structural && properties.is_some() {
                out.push(Violation {
                    path: child_path,
                    message: format!("unknown field \"{key}\""),
                });
            }
        }
    }

    /// `oneOf` (exactly one branch holds) and `anyOf` (at least one).
    fn branches(&self, schema: &Value, value: &Value, path: &str, out: &mut Vec<Violation>) {
        for (keyword, ok) in [("oneOf", 1..=1usize), ("anyOf", 1..=usize::MAX)] {
            let Some(branches) = schema.get(keyword).and_then(Value::as_array) else {
                continue;
            };
            let holding = branches
                .iter()
                .filter(|b| {
                    let mut scratch = Vec::new();
                    self.node(b, value, path, false, &mut scratch);
                    scratch.is_empty()
                })
                .count();
            if !ok.contains(&holding) {
                let names: Vec<String> = branches.iter().map(branch_name).collect();
                out.push(Violation {
                    path: path.to_owned(),
                    message: format!("{keyword} [{}]: {holding} of the branches hold", names.join(" | ")),
                });
            }
        }
    }
}

/// A branch shown by what it requires (`endpointSelector`), or its type.
pub fn branch_name(branch: &Value) -> String {
    let required: Vec<&str> = branch
        .get("required")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    if required.is_empty() {
        branch.get("type").and_then(Value::as_str).unwrap_or("{}").to_owned()
    } else {
        required.join("+")
    }
}

//! Walking the CRD's rule schema: every property path below `spec` and
//! `specs`, minimal CRD-valid values for any schema, and documents that hold
//! one chosen field and are otherwise minimal and CRD-valid.

use serde_json::{json, Map, Value};

use crate::openapi::join;
use crate::oracle::Crd;

/// One step of a schema path.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Step {
    /// An object property.
    Field(String),
    /// A list item (`items`).
    Item,
    /// A map value (`additionalProperties`); documents use the key `k`.
    MapValue,
}

/// The key documents use for map values.
pub const MAP_KEY: &str = "k";

/// A path through the schema, e.g. `spec.egress[].toPorts[].ports[].port`.
#[derive(Clone, Debug)]
pub struct SchemaPath {
    pub steps: Vec<Step>,
    /// False when the path goes through a list with `maxItems: 0`
    /// (`fromRequires[]`): no valid document can hold it.
    pub reachable: bool,
}

impl SchemaPath {
    /// `spec.egress[].toPorts[]`, with `{}` for map values.
    pub fn render(&self) -> String {
        self.render_with("[]", "{}")
    }

    /// The path of the field in [`document_with`]'s documents:
    /// `spec.egress[0].toPorts[0]`, with `k` for map values.
    pub fn concrete(&self) -> String {
        self.render_with("[0]", MAP_KEY)
    }

    fn render_with(&self, item: &str, map_value: &str) -> String {
        let mut out = String::new();
        for step in &self.steps {
            match step {
                Step::Field(k) => out = join(&out, k),
                Step::Item => out.push_str(item),
                Step::MapValue => out = join(&out, map_value),
            }
        }
        out
    }
}

/// Every schema node below `spec` and `specs` (items and map values
/// included), with its path, in schema order.
pub fn rule_paths(crd: &Crd) -> Vec<(SchemaPath, &Value)> {
    fn walk<'s>(schema: &'s Value, path: SchemaPath, out: &mut Vec<(SchemaPath, &'s Value)>) {
        out.push((path.clone(), schema));
        if let Some(props) = schema.get("properties").and_then(Value::as_object) {
            for (key, child) in props {
                let mut p = path.clone();
                p.steps.push(Step::Field(key.clone()));
                walk(child, p, out);
            }
        }
        if let Some(items) = schema.get("items") {
            let mut p = path.clone();
            p.steps.push(Step::Item);
            p.reachable &= schema.get("maxItems").and_then(Value::as_u64) != Some(0);
            walk(items, p, out);
        }
        if let Some(values) = schema.get("additionalProperties").filter(|v| v.is_object()) {
            let mut p = path;
            p.steps.push(Step::MapValue);
            walk(values, p, out);
        }
    }
    let mut out = Vec::new();
    for top in ["spec", "specs"] {
        let schema = &crd.schema["properties"][top];
        let path = SchemaPath {
            steps: vec![Step::Field(top.to_owned())],
            reachable: true,
        };
        walk(schema, path, &mut out);
    }
    out
}

/// Strings tried, in order, for a string schema without `enum`: the first
/// that the schema accepts is its minimal value.
const STRING_SAMPLES: &[&str] = &["x", "80", "example.com", "10.0.0.0/8", "EchoRequest"];

/// A small value that `schema` accepts: objects with their required fields
/// and the first branch of each `oneOf`/`anyOf`, empty lists (or `minItems`
/// copies of a minimal item), the first `enum` value, the `minimum`, and the
/// first [`STRING_SAMPLES`] entry that passes the pattern and format.
pub fn minimal(crd: &Crd, schema: &Value) -> Value {
    if let Some(first) = schema.get("enum").and_then(Value::as_array).and_then(|e| e.first()) {
        return first.clone();
    }
    if schema.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true) {
        return json!(8);
    }
    match schema.get("type").and_then(Value::as_str) {
        Some("object") => {
            let mut map = Map::new();
            let require = |keys: Option<&Value>, map: &mut Map<String, Value>| {
                for key in keys
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_str)
                {
                    if !map.contains_key(key) {
                        let child = &schema["properties"][key];
                        map.insert(key.to_owned(), minimal(crd, child));
                    }
                }
            };
            require(schema.get("required"), &mut map);
            for keyword in ["oneOf", "anyOf"] {
                if let Some(first) = schema.get(keyword).and_then(|b| b.get(0)) {
                    require(first.get("required"), &mut map);
                }
            }
            Value::Object(map)
        }
        Some("array") => {
            let count = schema.get("minItems").and_then(Value::as_u64).unwrap_or(0) as usize;
            Value::Array(vec![minimal(crd, &schema["items"]); count])
        }
        Some("string") => {
            let validator = crd.validator();
            STRING_SAMPLES
                .iter()
                .map(|s| json!(s))
                .find(|s| validator.validate(schema, s).is_empty())
                .unwrap_or_else(|| panic!("no STRING_SAMPLES entry fits {schema}; add one"))
        }
        Some("integer") => json!(schema.get("minimum").and_then(Value::as_i64).unwrap_or(1)),
        Some("boolean") => json!(true),
        other => panic!("minimal: unexpected schema type {other:?} in {schema}"),
    }
}

/// A minimal, otherwise CRD-valid document of `crd`'s kind in which the
/// node at `path` holds `leaf`. Where a `oneOf` is involved, placing one
/// branch's field removes the fields of the other branches.
pub fn document_with(crd: &Crd, path: &SchemaPath, leaf: Value) -> Value {
    let mut metadata = json!({"name": "oracle"});
    if crd.kind == "CiliumNetworkPolicy" {
        metadata["namespace"] = json!("default");
    }
    let mut doc = json!({"apiVersion": crd.api_version, "kind": crd.kind, "metadata": metadata});
    place(crd, &mut doc, &crd.schema, &path.steps, leaf);
    doc
}

fn place(crd: &Crd, value: &mut Value, schema: &Value, steps: &[Step], leaf: Value) {
    let Some((step, rest)) = steps.split_first() else {
        *value = leaf;
        return;
    };
    match step {
        Step::Field(key) => {
            let child_schema = &schema["properties"][key];
            let map = value.as_object_mut().expect("an object on the path");
            for other in other_branch_fields(schema, key) {
                map.remove(&other);
            }
            let child = map.entry(key.clone()).or_insert_with(|| minimal(crd, child_schema));
            place(crd, child, child_schema, rest, leaf);
        }
        Step::Item => {
            let items = value.as_array_mut().expect("a list on the path");
            if items.is_empty() {
                items.push(minimal(crd, &schema["items"]));
            }
            place(crd, &mut items[0], &schema["items"], rest, leaf);
        }
        Step::MapValue => {
            let child_schema = &schema["additionalProperties"];
            let map = value.as_object_mut().expect("a map on the path");
            let child = map
                .entry(MAP_KEY.to_owned())
                .or_insert_with(|| minimal(crd, child_schema));
            place(crd, child, child_schema, rest, leaf);
        }
    }
}

/// The fields the other `oneOf` branches require, when `key` is one branch's.
pub fn other_branch_fields(schema: &Value, key: &str) -> Vec<String> {
    let branches: Vec<&Value> = schema
        .get("oneOf")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .collect();
    let requires = |b: &Value, k: &str| b["required"].as_array().is_some_and(|r| r.iter().any(|x| x == k));
    if !branches.iter().any(|b| requires(b, key)) {
        return Vec::new();
    }
    branches
        .iter()
        .filter(|b| !requires(b, key))
        .flat_map(|b| b["required"].as_array().into_iter().flatten())
        .filter_map(|k| k.as_str().map(str::to_owned))
        .collect()
}

/// A near miss for an enum value: the same word in the other case.
pub fn near_miss(value: &str) -> String {
    if value.chars().any(|c| c.is_ascii_uppercase()) {
        value.to_ascii_lowercase()
    } else {
        value.to_ascii_uppercase()
    }
}

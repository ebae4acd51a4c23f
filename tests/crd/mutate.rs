//! One random structural mutation of a document, guided by the CRD schema:
//! the mutation picks a place the schema says something about (a required
//! field, an enum, a pattern, a list limit, a `oneOf`...) and breaks it, or
//! merely changes it. Whether the result is still valid is the oracle's call,
//! not the mutation's.

use serde_json::{json, Value};

use crate::coverage::minimal;
use crate::openapi::field_schema;
use crate::oracle::Crd;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mutation {
    /// Remove a field that `required` or a `oneOf`/`anyOf` branch asks for.
    DropRequired,
    /// Replace a value by one of another type (string, integer, list, map).
    ChangeType,
    /// Replace an enum value by a word outside the enum.
    BadEnum,
    /// Add a key the schema does not define.
    UnknownKey,
    /// Grow a list past its `maxItems` (ports and ICMP fields: 40; fromRequires: 0).
    ExceedMaxItems,
    /// Empty a list with `minItems` (serverNames).
    EmptyMinItems,
    /// Add the field of a second `oneOf` branch (endpointSelector + nodeSelector...).
    BothOneOf,
    /// Put an odd string where a pattern, format or length applies.
    BadPattern,
    /// Put an odd string where any string goes.
    OddString,
    /// Put an integer outside `minimum`/`maximum` (or the ICMP range).
    BadNumber,
    /// Set a value to null (the API server prunes null fields).
    SetNull,
}

impl Mutation {
    pub const ALL: [Mutation; 11] = [
        Mutation::DropRequired,
        Mutation::ChangeType,
        Mutation::BadEnum,
        Mutation::UnknownKey,
        Mutation::ExceedMaxItems,
        Mutation::EmptyMinItems,
        Mutation::BothOneOf,
        Mutation::BadPattern,
        Mutation::OddString,
        Mutation::BadNumber,
        Mutation::SetNull,
    ];
}

/// Strings that break (or probe) patterns, formats and lengths.
pub const ODD_STRINGS: &[&str] = &[
    "a b",
    "-x-",
    "",
    "x.",
    "a..b",
    "*",
    "*.example.com",
    "**.example.com",
    "a*b",
    "10.0.0.1",
    "10.0.0.0/33",
    "010.0.0.0/8",
    "fd00::/129",
    "banana",
    "8",
    "300",
    "99999",
    "0",
    "ExtendedEchoReply",
    "ExtendedEcho Reply",
    "PacketTooBig",
    "80 tcp",
    "-",
    "http-",
    "a\u{200b}b",
    "tab\there",
    "Ω",
    "UPPER.Example",
    "x_y",
    "group.name",
    "Group",
];

/// Integers for `BadNumber`.
const ODD_NUMBERS: &[i64] = &[-1, 0, 1, 100, 101, 255, 256, 65535, 65536, 2147483648];

/// Words for `BadEnum` (lower/upper case slips, old names, nonsense).
const ODD_WORDS: &[&str] = &[
    "banana",
    "tcp",
    "Tcp",
    "ICMP",
    "HTTP",
    "world-ipv4",
    "",
    "ipv4",
    "in",
    "exists",
    "log",
    "Required",
    "CiliumEnvoyconfig",
];

/// Keys for `UnknownKey`: typos, other kinds' names, nonsense.
const ODD_KEYS: &[&str] = &[
    "extra",
    "podSelector",
    "ports",
    "toPort",
    "fromCidr",
    "matchLabel",
    "name",
    "port",
    "description",
    "rules",
    "ipBlock",
    "auth",
];

/// One step into a JSON value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Seg {
    Key(String),
    Index(usize),
}

/// `spec.egress[0].toPorts`.
pub fn render(path: &[Seg]) -> String {
    let mut out = String::new();
    for seg in path {
        match seg {
            Seg::Key(k) if out.is_empty() => out.push_str(k),
            Seg::Key(k) => {
                out.push('.');
                out.push_str(k);
            }
            Seg::Index(i) => out.push_str(&format!("[{i}]")),
        }
    }
    if out.is_empty() {
        "<root>".to_owned()
    } else {
        out
    }
}

fn at_mut<'v>(value: &'v mut Value, path: &[Seg]) -> &'v mut Value {
    path.iter().fold(value, |v, seg| match seg {
        Seg::Key(k) => &mut v[k.as_str()],
        Seg::Index(i) => &mut v[*i],
    })
}

/// A place in the document and the schema that governs it.
struct Site<'s> {
    path: Vec<Seg>,
    schema: &'s Value,
}

/// Every place of `doc` with a schema, except inside `metadata` (whose
/// schema is only `type: object`; the API server checks ObjectMeta itself).
fn sites<'s>(doc: &Value, schema: &'s Value) -> Vec<(Site<'s>, Value)> {
    fn walk<'s>(value: &Value, schema: &'s Value, path: Vec<Seg>, out: &mut Vec<(Site<'s>, Value)>) {
        out.push((
            Site {
                path: path.clone(),
                schema,
            },
            value.clone(),
        ));
        if path == [Seg::Key("metadata".to_owned())] {
            return;
        }
        match value {
            Value::Object(map) => {
                for (key, child) in map {
                    if let Some(s) = field_schema(schema, key) {
                        let mut p = path.clone();
                        p.push(Seg::Key(key.clone()));
                        walk(child, s, p, out);
                    }
                }
            }
            Value::Array(items) => {
                if let Some(s) = schema.get("items") {
                    for (i, item) in items.iter().enumerate() {
                        let mut p = path.clone();
                        p.push(Seg::Index(i));
                        walk(item, s, p, out);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = Vec::new();
    walk(doc, schema, Vec::new(), &mut out);
    out
}

/// A tiny deterministic generator (splitmix64), so that one proptest-drawn
/// seed decides every choice of a mutation.
pub struct Dice(u64);

impl Dice {
    pub fn new(seed: u64) -> Self {
        Dice(seed)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            Some(&items[self.below(items.len())])
        }
    }
}

/// A mutated document and what was done to it.
pub struct Mutated {
    pub document: Value,
    pub what: String,
}

fn required_keys(schema: &Value) -> Vec<String> {
    let mut keys: Vec<String> = Vec::new();
    let mut add = |list: Option<&Value>| {
        for k in list
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
        {
            if !keys.iter().any(|x| x == k) {
                keys.push(k.to_owned());
            }
        }
    };
    add(schema.get("required"));
    for keyword in ["oneOf", "anyOf"] {
        for branch in schema.get(keyword).and_then(Value::as_array).into_iter().flatten() {
            add(branch.get("required"));
        }
    }
    keys
}

fn ty(schema: &Value) -> Option<&str> {
    schema.get("type").and_then(Value::as_str)
}

fn is_int_or_string(schema: &Value) -> bool {
    schema.get("x-kubernetes-int-or-string").and_then(Value::as_bool) == Some(true)
}

/// Applies `mutation` to `doc` at a place chosen by `dice`; `None` when the
/// document has no place for it.
pub fn mutate(crd: &Crd, doc: &Value, mutation: Mutation, dice: &mut Dice) -> Option<Mutated> {
    let all = sites(doc, &crd.schema);
    // Places below the envelope (spec, specs), where string values mean something.
    let in_rules = |s: &Site| matches!(s.path.first(), Some(Seg::Key(k)) if k == "spec" || k == "specs");
    let candidates: Vec<&(Site, Value)> = all
        .iter()
        .filter(|(site, value)| match mutation {
            Mutation::DropRequired => value
                .as_object()
                .is_some_and(|m| required_keys(site.schema).iter().any(|k| m.contains_key(k))),
            Mutation::ChangeType => !site.path.is_empty(),
            Mutation::BadEnum => site.schema.get("enum").is_some(),
            Mutation::UnknownKey => value.is_object() && site.schema.get("properties").is_some(),
            Mutation::ExceedMaxItems => value.is_array() && site.schema.get("maxItems").is_some(),
            Mutation::EmptyMinItems => {
                value.as_array().is_some_and(|a| !a.is_empty()) && site.schema.get("minItems").is_some()
            }
            Mutation::BothOneOf => value.is_object() && site.schema.get("oneOf").is_some(),
            Mutation::BadPattern => {
                in_rules(site)
                    && ["pattern", "format", "maxLength", "minLength"]
                        .iter()
                        .any(|k| site.schema.get(*k).is_some())
                    && (ty(site.schema) == Some("string") || is_int_or_string(site.schema))
            }
            Mutation::OddString => {
                in_rules(site)
                    && value.is_string()
                    && ty(site.schema) == Some("string")
                    && site.schema.get("enum").is_none()
                    && site.schema.get("pattern").is_none()
                    && site.schema.get("format").is_none()
            }
            Mutation::BadNumber => {
                in_rules(site) && (ty(site.schema) == Some("integer") || is_int_or_string(site.schema))
            }
            Mutation::SetNull => in_rules(site) && site.path.len() > 1,
        })
        .collect();
    let (site, value) = dice.pick(&candidates)?;
    let mut document = doc.clone();
    let target = at_mut(&mut document, &site.path);
    let at = render(&site.path);
    let what = match mutation {
        Mutation::DropRequired => {
            let present: Vec<String> = required_keys(site.schema)
                .into_iter()
                .filter(|k| value.get(k).is_some())
                .collect();
            let key = dice.pick(&present)?.clone();
            target.as_object_mut()?.remove(&key);
            format!("drop required `{key}` at {at}")
        }
        Mutation::ChangeType => {
            let options: Vec<Value> = match value {
                Value::String(s) => vec![json!(s.parse::<i64>().unwrap_or(7)), json!([s]), json!({ "s": s })],
                Value::Number(n) => vec![json!(n.to_string()), json!([n]), json!({})],
                Value::Bool(b) => vec![json!(b.to_string()), json!(1)],
                Value::Array(items) => {
                    let mut o = vec![json!({}), json!("x")];
                    o.extend(items.first().cloned());
                    o
                }
                Value::Object(_) => vec![json!([value]), json!("x"), json!([])],
                Value::Null => vec![json!("x")],
            };
            let new = dice.pick(&options)?.clone();
            *target = new.clone();
            format!("change type at {at} to {new}")
        }
        Mutation::BadEnum => {
            let enumerated = site.schema["enum"].as_array()?;
            let words: Vec<&str> = ODD_WORDS
                .iter()
                .copied()
                .filter(|w| !enumerated.contains(&json!(w)))
                .collect();
            let word = *dice.pick(&words)?;
            *target = json!(word);
            format!("enum value at {at} -> {word:?}")
        }
        Mutation::UnknownKey => {
            let known = site.schema["properties"].as_object()?;
            let keys: Vec<&str> = ODD_KEYS.iter().copied().filter(|k| !known.contains_key(*k)).collect();
            let key = *dice.pick(&keys)?;
            let new = dice.pick(&[json!("x"), json!({}), json!([])])?.clone();
            target.as_object_mut()?.insert(key.to_owned(), new);
            format!("unknown key `{key}` at {at}")
        }
        Mutation::ExceedMaxItems => {
            let max = site.schema["maxItems"].as_u64()? as usize;
            let items = target.as_array_mut()?;
            let item = items
                .first()
                .cloned()
                .unwrap_or_else(|| minimal(crd, &site.schema["items"]));
            items.resize(max + 1, item);
            format!("{} items at {at} (maxItems {max})", max + 1)
        }
        Mutation::EmptyMinItems => {
            *target = json!([]);
            format!("empty list at {at} (minItems {})", site.schema["minItems"])
        }
        Mutation::BothOneOf => {
            let map = target.as_object_mut()?;
            let branches = site.schema["oneOf"].as_array()?;
            let missing: Vec<&Value> = branches
                .iter()
                .filter(|b| {
                    b["required"]
                        .as_array()
                        .is_some_and(|r| r.iter().any(|k| !map.contains_key(k.as_str().unwrap_or(""))))
                })
                .collect();
            let branch = *dice.pick(&missing)?;
            let mut added = Vec::new();
            for key in branch["required"].as_array()?.iter().filter_map(Value::as_str) {
                if !map.contains_key(key) {
                    map.insert(key.to_owned(), minimal(crd, &site.schema["properties"][key]));
                    added.push(key);
                }
            }
            format!("add oneOf branch `{}` at {at}", added.join("+"))
        }
        Mutation::BadPattern | Mutation::OddString => {
            let s = *dice.pick(ODD_STRINGS)?;
            let new = if dice.below(8) == 0 {
                json!(s.repeat(70))
            } else {
                json!(s)
            };
            *target = new.clone();
            format!("string at {at} -> {new}")
        }
        Mutation::BadNumber => {
            let n = *dice.pick(ODD_NUMBERS)?;
            *target = json!(n);
            format!("integer at {at} -> {n}")
        }
        Mutation::SetNull => {
            *target = Value::Null;
            format!("null at {at}")
        }
    };
    Some(Mutated { document, what })
}

//! A simple reference implementation of the transform on built-in defaults,
//! on a serde_json `Value` tree. It is slow and loses numbers' spelling and
//! duplicate members, but it is easy to check by eye: the fast engine must
//! agree with it on severity, route, redaction count and output value.
#![allow(dead_code)]

use kpaudit::redact::KEY_MATERIAL;
use kpaudit::route::{crn_location, uri_location, REGION_TABLE};
use kpaudit::severity::{other_spelling, ACTION_TABLE, STATUS_TABLE};
use kpaudit::Severity;
use serde::de::{DeserializeSeed, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::de::SliceRead;
use serde_json::{Map, Value};

#[derive(Debug, PartialEq)]
pub struct RefResult {
    pub value: Value,
    pub severity: Severity,
    pub route: String,
    pub redacted: u32,
}

/// `None` where the event is not a JSON object.
pub fn reference(event: &[u8]) -> Option<RefResult> {
    if deeper_than(event, 128) {
        return None;
    }
    let mut value: Value = parse(event, |de| Value::deserialize(de))?;
    let (severity, route) = apply(value.as_object_mut()?);
    // A Value keeps only the last of duplicate members; the count of the
    // members removed comes from a pass that sees every one.
    let redacted = count_key_material(event)?;
    Some(RefResult {
        value,
        severity,
        route,
        redacted,
    })
}

/// The transform on a parsed event: sets its severity, strips key
/// material, and returns the severity and route name.
pub fn apply(obj: &mut Map<String, Value>) -> (Severity, String) {
    let severity = severity(obj);
    let route = route(obj);
    let mut stripped = 0;
    strip(obj, &mut stripped);
    obj.insert("severity".into(), Value::String(severity.as_str().into()));
    (severity, route)
}

fn severity(obj: &Map<String, Value>) -> Severity {
    let action = obj.get("action").and_then(Value::as_str).and_then(|a| {
        ACTION_TABLE
            .iter()
            .find(|(name, _)| *name == a || Some(*name) == other_spelling(a))
            .map(|&(_, s)| s)
    });
    let code = obj
        .get("reason")
        .and_then(|r| r.get("reasonCode"))
        .and_then(|c| match c {
            Value::Number(n) => n.as_u64(),
            Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse::<u64>().ok()
            }
            _ => None,
        });
    let status = code.and_then(|c| {
        STATUS_TABLE
            .iter()
            .find(|&&(s, _)| u64::from(s) == c)
            .map(|&(_, s)| s)
    });
    action
        .unwrap_or(Severity::Normal)
        .max(status.unwrap_or(Severity::Normal))
}

fn route(obj: &Map<String, Value>) -> String {
    let present = |v: Option<&Value>| v.filter(|v| !v.is_null()).cloned();
    let crn = present(obj.get("logSourceCRN"));
    let target = present(obj.get("target").and_then(|t| t.get("id")));
    let uri = present(obj.get("requestData").and_then(|r| r.get("requestURI")));
    let location: Option<String> = match (crn, target, uri) {
        (Some(v), _, _) | (None, Some(v), _) => v
            .as_str()
            .and_then(|s| crn_location(s.as_bytes()))
            .map(|l| String::from_utf8(l.to_vec()).unwrap()),
        (None, None, Some(v)) => v
            .as_str()
            .and_then(|s| uri_location(s.as_bytes()))
            .map(|l| String::from_utf8(l.to_vec()).unwrap()),
        (None, None, None) => None,
    };
    let Some(location) = location else {
        return "unmatched".into();
    };
    let region_of = |l: &str| {
        REGION_TABLE
            .iter()
            .find(|(r, _)| *r == l)
            .map(|(_, at)| *at)
    };
    if let Some(at) = region_of(&location) {
        return at.into();
    }
    if let Some((region, zone)) = location.rsplit_once('-') {
        if !zone.is_empty() && zone.bytes().all(|b| b.is_ascii_digit()) {
            if let Some(at) = region_of(region) {
                return at.into();
            }
        }
    }
    "unmatched".into()
}

fn strip(obj: &mut Map<String, Value>, redacted: &mut u32) {
    // `redacted` here counts distinct members only; see count_key_material.
    let before = obj.len();
    obj.retain(|k, _| !KEY_MATERIAL.iter().any(|m| m.eq_ignore_ascii_case(k)));
    *redacted += (before - obj.len()) as u32;
    for v in obj.values_mut() {
        strip_value(v, redacted);
    }
}

fn strip_value(v: &mut Value, redacted: &mut u32) {
    match v {
        Value::Object(o) => strip(o, redacted),
        Value::Array(a) => a.iter_mut().for_each(|v| strip_value(v, redacted)),
        _ => {}
    }
}

/// Counts key-material members as the transform does: each occurrence,
/// duplicates included, but none inside a member already removed or
/// replaced (the top-level `severity`).
fn count_key_material(event: &[u8]) -> Option<u32> {
    parse(event, |de| {
        KeyMaterialCount { top_level: true }.deserialize(de)
    })
}

/// `bytes` as a JSON value, at any depth (the transform's output, say).
pub fn value(bytes: &[u8]) -> Option<Value> {
    parse(bytes, |de| Value::deserialize(de))
}

/// serde_json's own depth limit (127) is one short of the transform's
/// default (128), so the reference checks depth itself and parses without.
fn parse<'a, T>(
    event: &'a [u8],
    read: impl FnOnce(&mut serde_json::Deserializer<SliceRead<'a>>) -> serde_json::Result<T>,
) -> Option<T> {
    let mut de = serde_json::Deserializer::from_slice(event);
    de.disable_recursion_limit();
    let value = read(&mut de).ok()?;
    de.end().ok()?;
    Some(value)
}

/// With `arbitrary_precision`, serde_json reads an object whose first member
/// is named `$serde_json::private::Number` as a number, so such an event,
/// valid JSON, is one the reference cannot represent. This says whether any
/// string literal in `event` decodes to that name.
pub fn names_serde_number_token(event: &[u8]) -> bool {
    const TOKEN: &str = "$serde_json::private::Number";
    let (mut start, mut escaped) = (None, false);
    for (i, &b) in event.iter().enumerate() {
        match start {
            None if b == b'"' => start = Some(i),
            None => {}
            Some(_) if escaped => escaped = false,
            Some(_) if b == b'\\' => escaped = true,
            Some(from) if b == b'"' => {
                start = None;
                if serde_json::from_slice::<String>(&event[from..=i]).is_ok_and(|s| s == TOKEN) {
                    return true;
                }
            }
            Some(_) => {}
        }
    }
    false
}

/// Whether arrays and objects nest deeper than `limit` (outside strings).
fn deeper_than(event: &[u8], limit: usize) -> bool {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for &b in event {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

struct KeyMaterialCount {
    top_level: bool,
}

impl<'de> DeserializeSeed<'de> for KeyMaterialCount {
    type Value = u32;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<u32, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyMaterialCount {
    type Value = u32;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<u32, A::Error> {
        let mut n = 0;
        while let Some(key) = map.next_key::<String>()? {
            let inner = map.next_value_seed(KeyMaterialCount { top_level: false })?;
            if KEY_MATERIAL.iter().any(|m| m.eq_ignore_ascii_case(&key)) {
                n += 1;
            } else if !(self.top_level && key == "severity") {
                n += inner;
            }
        }
        Ok(n)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<u32, A::Error> {
        let mut n = 0;
        while let Some(inner) = seq.next_element_seed(KeyMaterialCount { top_level: false })? {
            n += inner;
        }
        Ok(n)
    }

    fn visit_bool<E>(self, _: bool) -> Result<u32, E> {
        Ok(0)
    }
    fn visit_i64<E>(self, _: i64) -> Result<u32, E> {
        Ok(0)
    }
    fn visit_u64<E>(self, _: u64) -> Result<u32, E> {
        Ok(0)
    }
    fn visit_f64<E>(self, _: f64) -> Result<u32, E> {
        Ok(0)
    }
    fn visit_str<E>(self, _: &str) -> Result<u32, E> {
        Ok(0)
    }
    fn visit_unit<E>(self) -> Result<u32, E> {
        Ok(0)
    }
}

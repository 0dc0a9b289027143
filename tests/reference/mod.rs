//! A simple reference implementation of the transform on built-in defaults,
//! on a serde_json `Value` tree. It is slow and loses numbers' spelling and
//! duplicate members, but it is easy to check by eye: the fast engine must
//! agree with it on severity, route, redaction count and output value.
#![allow(dead_code)]

use kpaudit::redact::{builtin_names, KeyMaterial, RedactMode};
use kpaudit::route::{crn_location, uri_location, REGION_TABLE};
use kpaudit::severity::{
    other_spellings, ACTION_TABLE, HPCS_ACTION_TABLE, HPCS_STATUS_TABLE, INFERRED_ACTIONS,
    STATUS_TABLE, TKE_PREFIX,
};
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
    let members = parse(event, |de| TopLevel.deserialize(de))?;
    let (value, severity, route) = apply_members(members);
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

/// Whether a member name is key material (the built-in names of the
/// default configuration).
/// A name a reader ignoring case takes for `severity`: in an event's own
/// map the transform writes `severity` and drops such a member beside it.
fn severity_like(name: &str) -> bool {
    fold(name).eq_ignore_ascii_case("severity")
}

fn is_shadow(name: &str) -> bool {
    name != "severity" && severity_like(name)
}

/// Letters outside ASCII that readers ignoring case take for ASCII ones.
fn fold(name: &str) -> String {
    name.replace('\u{212A}', "k")
        .replace('\u{17F}', "s")
        .replace(['\u{131}', '\u{130}'], "i")
}

pub fn is_key_material(name: &str) -> bool {
    let name = fold(name);
    builtin_names(true, true).any(|m| m.eq_ignore_ascii_case(&name))
}

/// Whether text (a name or a string value) holds JSON text with a
/// key-material member: a member of such a name goes whole, and such a
/// string value becomes null. (The test itself is the library's,
/// unit-tested on its own; the reference checks where it is applied.)
pub fn holds_text(text: &str) -> bool {
    static KM: std::sync::OnceLock<KeyMaterial> = std::sync::OnceLock::new();
    KM.get_or_init(|| KeyMaterial::new(builtin_names(true, true), RedactMode::Remove))
        .in_text(text.as_bytes())
}

/// Whether a member goes whole: key material by name, or a name holding
/// JSON text with key material.
fn goes(name: &str) -> bool {
    is_key_material(name) || holds_text(name)
}

/// Whether a top-level member is an ingestion envelope's event: named
/// `payload` (as key material is matched) and an object holding a string
/// `action` or `eventTime`, in an event with no top-level `action`.
fn is_envelope_event(name: &str, value: &Value) -> bool {
    name.eq_ignore_ascii_case("payload")
        && value.as_object().is_some_and(|o| {
            ["action", "eventTime"]
                .iter()
                .any(|f| o.get(*f).is_some_and(Value::is_string))
        })
}

/// The transform on a parsed event (its top-level members in order, with
/// duplicates): the output value, the severity and the route name.
pub fn apply_members(members: Vec<(String, Value)>) -> (Value, Severity, String) {
    let envelope = if members.iter().any(|(k, _)| k == "action") {
        None
    } else {
        members.iter().position(|(k, v)| is_envelope_event(k, v))
    };
    let (severity, route) = match envelope {
        Some(i) => {
            let inner = members[i].1.as_object().unwrap();
            let severity = severity(inner);
            let route = match members.iter().rev().find(|(k, _)| k == "logSourceCRN") {
                Some((_, v)) if !v.is_null() => route_of_crn(v),
                _ => route(inner),
            };
            (severity, route)
        }
        None => {
            let mut obj = Map::new();
            for (k, v) in &members {
                obj.insert(k.clone(), v.clone());
            }
            (severity(&obj), route(&obj))
        }
    };
    let mut out = Map::new();
    let mut had_severity = false;
    for (i, (k, mut v)) in members.into_iter().enumerate() {
        if Some(i) == envelope {
            let inner = v.as_object_mut().unwrap();
            let mut n = 0;
            strip(inner, &mut n);
            inner.retain(|k, _| !is_shadow(k));
            inner.insert("severity".into(), Value::String(severity.as_str().into()));
        } else if goes(&k) || is_shadow(&k) {
            continue;
        } else if k == "severity" {
            had_severity = true;
            v = Value::String(severity.as_str().into());
        } else {
            strip_value(&mut v, &mut 0);
        }
        out.insert(k, v);
    }
    if envelope.is_none() || had_severity {
        out.insert("severity".into(), Value::String(severity.as_str().into()));
    }
    (Value::Object(out), severity, route)
}

/// The transform on a parsed event: sets its severity, strips key
/// material, and returns the severity and route name. (In place, as a
/// user of serde_json would write it; an envelope takes the longer way.)
pub fn apply(obj: &mut Map<String, Value>) -> (Severity, String) {
    if !obj.contains_key("action") && obj.iter().any(|(k, v)| is_envelope_event(k, v)) {
        let members: Vec<(String, Value)> = std::mem::take(obj).into_iter().collect();
        let (value, severity, route) = apply_members(members);
        if let Value::Object(o) = value {
            *obj = o;
        }
        return (severity, route);
    }
    let severity = severity(obj);
    let route = route(obj);
    strip(obj, &mut 0);
    obj.retain(|k, _| !is_shadow(k));
    obj.insert("severity".into(), Value::String(severity.as_str().into()));
    (severity, route)
}

/// Every action with a severity in the default configuration (every
/// spelling), for both services, built once.
fn action_severity(action: &str) -> Option<Severity> {
    static TABLE: std::sync::OnceLock<std::collections::HashMap<String, Severity>> =
        std::sync::OnceLock::new();
    let table = TABLE.get_or_init(|| {
        let hpcs_normal = ACTION_TABLE
            .iter()
            .filter(|(_, s)| *s == Severity::Normal)
            .map(|(n, s)| (format!("hs-crypto.{}", &n["kms.".len()..]), *s));
        let rows: Vec<(String, Severity)> = ACTION_TABLE
            .iter()
            .chain(HPCS_ACTION_TABLE)
            .map(|&(n, s)| (n.to_owned(), s))
            .chain(hpcs_normal)
            .chain(INFERRED_ACTIONS.iter().map(|&(n, s, _)| (n.to_owned(), s)))
            .collect();
        let mut table = std::collections::HashMap::new();
        // The first row of an action wins, as a search down the rows would.
        for (name, sev) in rows.into_iter().rev() {
            for other in other_spellings(&name) {
                table.insert(other, sev);
            }
            table.insert(name, sev);
        }
        table
    });
    table.get(action).copied()
}

fn severity(obj: &Map<String, Value>) -> Severity {
    let action_name = obj.get("action").and_then(Value::as_str);
    let mut action = action_name.and_then(action_severity);
    // Every TKE event is critical, a TKE action no table lists too.
    if action.is_none() && action_name.is_some_and(|a| a.starts_with(TKE_PREFIX)) {
        action = Some(Severity::Critical);
    }
    // UKO's destroy call: `.../managed_keys/{id}/destroy`, query aside.
    let uri = obj
        .get("requestData")
        .and_then(|r| r.get("requestURI"))
        .and_then(Value::as_str);
    if action_name == Some("hs-crypto.managed-keys.write") {
        let path = uri.map(|u| u.split(['?', '#']).next().unwrap());
        let path = path.map(|p| p.strip_suffix('/').unwrap_or(p));
        let parts: Vec<&str> = path.map(|p| p.split('/').collect()).unwrap_or_default();
        if let [.., "managed_keys", id, "destroy"] = parts[..] {
            if !id.is_empty() {
                action = Some(Severity::Critical);
            }
        }
    }
    let code = obj
        .get("reason")
        .and_then(|r| r.get("reasonCode"))
        .and_then(|c| match c {
            // A whole number, whichever way it is written (401, 401.0).
            Value::Number(n) => n.as_u64().or_else(|| {
                n.as_f64()
                    .filter(|v| {
                        *v >= 0.0
                            && v.fract() == 0.0
                            && *v < 9_007_199_254_740_992.0
                            && !v.is_sign_negative()
                    })
                    .map(|v| v as u64)
            }),
            Value::String(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => {
                s.parse::<u64>().ok()
            }
            _ => None,
        });
    let hpcs = action_name.is_some_and(|a| a.starts_with("hs-crypto."));
    let table = if hpcs {
        HPCS_STATUS_TABLE
    } else {
        STATUS_TABLE
    };
    let status = code.and_then(|c| {
        if hpcs && c == 400 && action_name.is_some_and(|a| a.starts_with(TKE_PREFIX)) {
            return Some(Severity::Critical);
        }
        table
            .iter()
            .find(|&&(s, _)| u64::from(s) == c)
            .map(|&(_, s)| s)
    });
    action
        .unwrap_or(Severity::Normal)
        .max(status.unwrap_or(Severity::Normal))
}

fn route_of_crn(v: &Value) -> String {
    let location = v
        .as_str()
        .and_then(|s| crn_location(s.as_bytes()))
        .map(|l| String::from_utf8(l.to_vec()).unwrap());
    route_of_location(location)
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
            // A host name: without regard to case.
            .map(|l| String::from_utf8(l.to_ascii_lowercase()).unwrap()),
        (None, None, None) => None,
    };
    route_of_location(location)
}

fn route_of_location(location: Option<String>) -> String {
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
    obj.retain(|k, _| !goes(k));
    *redacted += (before - obj.len()) as u32;
    for v in obj.values_mut() {
        strip_value(v, redacted);
    }
}

fn strip_value(v: &mut Value, redacted: &mut u32) {
    match v {
        Value::Object(o) => strip(o, redacted),
        Value::Array(a) => a.iter_mut().for_each(|v| strip_value(v, redacted)),
        Value::String(s) if holds_text(s) => {
            *redacted += 1;
            *v = Value::Null;
        }
        _ => {}
    }
}

/// Counts key-material members as the transform does: each occurrence,
/// duplicates included, but none inside a member already removed or
/// replaced (the top-level `severity`, or the one of an envelope's event).
fn count_key_material(event: &[u8]) -> Option<u32> {
    parse(event, |de| {
        KeyMaterialCount { top_level: true }.deserialize(de)
    })
    .map(|c| c.as_event)
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

/// The top-level members of an event in order, duplicates kept.
struct TopLevel;

impl<'de> DeserializeSeed<'de> for TopLevel {
    type Value = Vec<(String, Value)>;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for TopLevel {
    type Value = Vec<(String, Value)>;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut members = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            members.push((key, map.next_value::<Value>()?));
        }
        Ok(members)
    }
}

/// Key-material members counted in a value: as a nested value (`plain`),
/// and as an event whose `severity` member's contents go with it
/// (`as_event`); and what an envelope test needs to know of it.
#[derive(Default)]
struct Counted {
    plain: u32,
    as_event: u32,
    is_string: bool,
    /// An object whose (last) `action` or (last) `eventTime` member is a
    /// string: an envelope's event, at the top level of one.
    event_like: bool,
}

struct KeyMaterialCount {
    top_level: bool,
}

impl<'de> DeserializeSeed<'de> for KeyMaterialCount {
    type Value = Counted;
    fn deserialize<D: serde::Deserializer<'de>>(self, d: D) -> Result<Counted, D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for KeyMaterialCount {
    type Value = Counted;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Counted, A::Error> {
        let mut c = Counted::default();
        let (mut string_action, mut string_time, mut has_action) = (false, false, false);
        // Top level: the first `payload` object that looks like an event is
        // an envelope's event, counted as an event instead of as one member,
        // unless the top level has an `action` (which may come after it).
        let mut envelope_event: Option<u32> = None;
        while let Some(key) = map.next_key::<String>()? {
            let inner = map.next_value_seed(KeyMaterialCount { top_level: false })?;
            if key == "action" {
                string_action = inner.is_string;
                has_action = true;
            }
            if key == "eventTime" {
                string_time = inner.is_string;
            }
            if self.top_level
                && envelope_event.is_none()
                && key.eq_ignore_ascii_case("payload")
                && inner.event_like
            {
                envelope_event = Some(inner.as_event);
                continue;
            }
            if goes(&key) {
                c.plain += 1;
                c.as_event += 1;
            } else {
                c.plain += inner.plain;
                if !severity_like(&key) {
                    c.as_event += inner.plain;
                }
            }
        }
        c.event_like = string_action || string_time;
        match envelope_event {
            Some(_) if has_action => {
                c.plain += 1;
                c.as_event += 1;
            }
            Some(as_event) => c.as_event += as_event,
            None => {}
        }
        Ok(c)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Counted, A::Error> {
        let mut c = Counted::default();
        while let Some(inner) = seq.next_element_seed(KeyMaterialCount { top_level: false })? {
            c.plain += inner.plain;
        }
        c.as_event = c.plain;
        Ok(c)
    }

    fn visit_bool<E>(self, _: bool) -> Result<Counted, E> {
        Ok(Counted::default())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Counted, E> {
        Ok(Counted::default())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Counted, E> {
        Ok(Counted::default())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Counted, E> {
        Ok(Counted::default())
    }
    fn visit_str<E>(self, v: &str) -> Result<Counted, E> {
        // A string holding JSON text with key material goes: one member.
        let text = u32::from(holds_text(v));
        Ok(Counted {
            is_string: true,
            plain: text,
            as_event: text,
            ..Counted::default()
        })
    }
    fn visit_unit<E>(self) -> Result<Counted, E> {
        Ok(Counted::default())
    }
}

//! The leak oracle. `plant` hides unique markers inside key-material
//! members of an event (every listed name, in mixed case, with escaped
//! letters, with letters that case folding makes ASCII, at random depths, as scalars, arrays and sub-objects, and as
//! duplicated keys); `findings` reports any marker, raw or JSON-escaped,
//! and any surviving key-material member in what the transform emitted.
//! Shared by the property tests and the fuzz targets.
#![allow(dead_code)]

use kpaudit::redact::{EP11_INFERRED, HPCS_CREDENTIALS, KEY_MATERIAL};
use serde_json::{Map, Value};

#[path = "../../examples/gen_events/corpus.rs"]
pub mod corpus;

use corpus::Rng;

/// Every name the default configuration strips, to plant: Key Protect's
/// most often, HPCS's credentials and EP11 fields now and then.
fn planted_name(rng: &mut Rng) -> &'static str {
    let names = match rng.below(10) {
        0 => HPCS_CREDENTIALS,
        1 => EP11_INFERRED,
        _ => KEY_MATERIAL,
    };
    names[rng.below(names.len() as u64) as usize]
}

/// Whether the default configuration strips a member of this name: equal
/// to a listed name ignoring ASCII case, once KELVIN SIGN, LONG S, DOTLESS
/// I and CAPITAL I WITH DOT ABOVE are read as `k`, `s`, `i` and `i`.
pub fn is_key_material(name: &str) -> bool {
    let name = name
        .replace('\u{212A}', "k")
        .replace('\u{17F}', "s")
        .replace(['\u{131}', '\u{130}'], "i");
    KEY_MATERIAL
        .iter()
        .chain(HPCS_CREDENTIALS)
        .chain(EP11_INFERRED)
        .any(|m| m.eq_ignore_ascii_case(&name))
}

/// Every marker starts with this; nothing else in an event does.
pub const MARKER: &str = "KPLEAK";

/// An event with planted key material and how many members were planted
/// where the transform must find them (not inside other planted values).
pub struct Planted {
    pub event: String,
    pub planted: u32,
}

/// A generated event with key material planted in it.
pub fn planted_event(rng: &mut Rng) -> Planted {
    let base = corpus::event(rng);
    plant(rng, &base)
}

/// Plants key material into `base` (one JSON object, as the corpus writes
/// them): after the first `{` and some others, a key-material member or a
/// wrapper holding one deep down; after some `[`, an object holding one.
pub fn plant(rng: &mut Rng, base: &str) -> Planted {
    let mut p = Planter {
        rng,
        next_marker: 0,
        planted: 0,
    };
    let mut event = String::with_capacity(base.len() * 2);
    let (mut in_string, mut escaped) = (false, false);
    let bytes = base.as_bytes();
    for (i, c) in base.char_indices() {
        event.push(c);
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        let closes_next = matches!(bytes.get(i + 1), Some(b'}' | b']'));
        match c {
            '"' => in_string = true,
            '{' if i == 0 || p.rng.chance(0.6) => {
                let count = p.rng.range(1, 3);
                for n in 0..count {
                    if n > 0 {
                        event.push(',');
                    }
                    p.member(&mut event, 0);
                }
                if !closes_next {
                    event.push(',');
                }
            }
            '[' if p.rng.chance(0.5) => {
                if p.rng.chance(0.2) {
                    p.text(&mut event);
                } else {
                    event.push('{');
                    p.member(&mut event, 0);
                    event.push('}');
                }
                if !closes_next {
                    event.push(',');
                }
            }
            _ => {}
        }
    }
    Planted {
        event,
        planted: p.planted,
    }
}

struct Planter<'a> {
    rng: &'a mut Rng,
    next_marker: u64,
    planted: u32,
}

impl Planter<'_> {
    /// One member the transform must remove: key material directly, or a
    /// wrapper with key material somewhere inside.
    fn member(&mut self, out: &mut String, depth: u32) {
        if self.rng.chance(0.1) {
            out.push_str(&format!("\"text{}\":", self.rng.below(1000)));
            self.text(out);
            return;
        }
        if depth < 40 && self.rng.chance(0.3) {
            out.push_str(&format!("\"wrap{}\":", self.rng.below(1000)));
            self.wrapper(out, depth + 1);
            return;
        }
        let name = planted_name(self.rng);
        let duplicate = self.rng.chance(0.2);
        for n in 0..if duplicate { 2 } else { 1 } {
            if n > 0 {
                out.push(',');
            }
            self.key_material_name(out, name);
            out.push(':');
            self.secret(out, 0);
            self.planted += 1;
        }
    }

    /// Nested arrays and objects, holding key material at the bottom.
    fn wrapper(&mut self, out: &mut String, depth: u32) {
        if depth >= 40 || self.rng.chance(0.25) {
            out.push('{');
            self.member(out, depth);
            out.push('}');
        } else if self.rng.chance(0.5) {
            out.push_str("[1,");
            self.wrapper(out, depth + 1);
            out.push_str(",\"x\"]");
        } else {
            out.push_str("{\"k\":null,\"inner\":");
            self.wrapper(out, depth + 1);
            out.push('}');
        }
    }

    /// A string holding JSON text with key material in it (a request body
    /// kept as text): once or twice escaped, or with its punctuation as \u
    /// escapes, the marker inside written plainly so that a leak shows in
    /// the raw output.
    fn text(&mut self, out: &mut String) {
        let mut name = String::new();
        let planted = planted_name(self.rng);
        self.key_material_name(&mut name, planted);
        self.next_marker += 1;
        let marker = format!("{MARKER}{}x{}Z", self.next_marker, self.rng.below(1 << 20));
        let mut text = format!("{{\"id\":1,{name}:\"{marker}\"}}");
        let escape = |t: &str| t.replace('\\', "\\\\").replace('"', "\\\"");
        if self.rng.chance(0.2) {
            // Its quotes and colons as \u escapes, as some encoders write them.
            text = text.replace('"', "\\u0022").replace(':', "\\u003a");
        } else if self.rng.chance(0.3) {
            text = format!("\"{}\"", escape(&text));
        }
        out.push('"');
        out.push_str(&escape(&text));
        out.push('"');
        self.planted += 1;
    }

    /// A key-material name with its letters in random case, some written
    /// as `\u00XX` escapes.
    fn key_material_name(&mut self, out: &mut String, name: &str) {
        out.push('"');
        for c in name.chars() {
            let c = if self.rng.chance(0.3) {
                c.to_ascii_uppercase()
            } else if self.rng.chance(0.3) {
                c.to_ascii_lowercase()
            } else {
                c
            };
            // Letters outside ASCII that readers ignoring case take for
            // `k`, `s` and `i`.
            let c = match c {
                'k' | 'K' if self.rng.chance(0.2) => '\u{212A}',
                's' | 'S' if self.rng.chance(0.2) => '\u{17F}',
                'i' | 'I' if self.rng.chance(0.1) => '\u{131}',
                'i' | 'I' if self.rng.chance(0.1) => '\u{130}',
                c => c,
            };
            if self.rng.chance(0.15) {
                let hex = if self.rng.chance(0.5) {
                    format!("\\u{:04x}", c as u32)
                } else {
                    format!("\\u{:04X}", c as u32)
                };
                out.push_str(&hex);
            } else {
                out.push(c);
            }
        }
        out.push('"');
    }

    /// A value holding markers: a string, an array or an object, and
    /// sometimes more key material inside.
    fn secret(&mut self, out: &mut String, depth: u32) {
        let shape = if depth >= 4 { 0 } else { self.rng.below(5) };
        match shape {
            0 | 1 => self.marker(out),
            2 => {
                out.push('[');
                self.marker(out);
                out.push(',');
                self.secret(out, depth + 1);
                out.push_str(",7]");
            }
            3 => {
                out.push_str("{\"data\":");
                self.marker(out);
                out.push_str(",\"more\":");
                self.secret(out, depth + 1);
                out.push('}');
            }
            _ => {
                // Key material inside key material: goes with its parent.
                out.push('{');
                let name = planted_name(self.rng);
                self.key_material_name(out, name);
                out.push(':');
                self.secret(out, depth + 1);
                out.push('}');
            }
        }
    }

    /// A unique marker string, some of its characters escaped.
    fn marker(&mut self, out: &mut String) {
        self.next_marker += 1;
        let marker = format!("{MARKER}{}x{}Z", self.next_marker, self.rng.below(1 << 20));
        out.push('"');
        for c in marker.chars() {
            if self.rng.chance(0.1) {
                out.push_str(&format!("\\u{:04X}", c as u32));
            } else {
                out.push(c);
            }
        }
        out.push('"');
    }
}

/// What leaked into `emitted` (one JSON text or NDJSON): markers found in
/// the raw bytes, markers in any decoded key or string, and, when
/// `members_removed` (the default `remove` mode), any key-material member
/// still present. Empty when nothing leaked.
pub fn findings(emitted: &[u8], members_removed: bool) -> Vec<String> {
    let mut found = Vec::new();
    if contains_marker(emitted) {
        found.push(format!(
            "raw marker in {}",
            String::from_utf8_lossy(emitted)
        ));
    }
    // A stream of values: an event's whitespace, newlines included, passes
    // through, so lines are not the unit.
    let mut de = serde_json::Deserializer::from_slice(emitted);
    de.disable_recursion_limit();
    for value in de.into_iter::<Value>() {
        match value {
            Ok(value) => walk(&value, members_removed, &mut found),
            Err(e) => {
                found.push(format!("emitted text is not JSON ({e})"));
                break;
            }
        }
    }
    found
}

/// Whether `text` holds a marker, in any ASCII case.
pub fn contains_marker(text: &[u8]) -> bool {
    text.windows(MARKER.len())
        .any(|w| w.eq_ignore_ascii_case(MARKER.as_bytes()))
}

fn walk(value: &Value, members_removed: bool, found: &mut Vec<String>) {
    walk_at(value, members_removed, true, found);
}

/// An ingestion envelope's event is the one key-material name that may
/// stay: a top-level `payload` object holding a string `action` or
/// `eventTime`, in an event without a top-level `action` (the output keeps
/// that member when the input has it).
fn is_envelope_event(top: Option<&Map<String, Value>>, key: &str, value: &Value) -> bool {
    top.is_some_and(|members| !members.contains_key("action"))
        && key.eq_ignore_ascii_case("payload")
        && value.as_object().is_some_and(|o| {
            ["action", "eventTime"]
                .iter()
                .any(|f| o.get(*f).is_some_and(Value::is_string))
        })
}

fn walk_at(value: &Value, members_removed: bool, top_level: bool, found: &mut Vec<String>) {
    match value {
        Value::String(s) if contains_marker(s.as_bytes()) => {
            found.push(format!("decoded marker: {s}"));
        }
        Value::Array(items) => items
            .iter()
            .for_each(|v| walk_at(v, members_removed, false, found)),
        Value::Object(members) => {
            for (key, v) in members {
                if contains_marker(key.as_bytes()) {
                    found.push(format!("marker in a key: {key}"));
                }
                let top = top_level.then_some(members);
                if members_removed && is_key_material(key) && !is_envelope_event(top, key, v) {
                    found.push(format!("key-material member survived: {key}"));
                }
                walk_at(v, members_removed, false, found);
            }
        }
        _ => {}
    }
}

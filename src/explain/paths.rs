//! The JSON paths of the members the transform removes from an event, for
//! `explain`. A loop with its own stack over the event's bytes, not a
//! parser's recursion: an event the transform accepted (any depth up to
//! `limits.max_depth`, any number) is explained too.

use crate::transform::Transform;

use super::WITHHELD;

/// What is noted inside a value.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Key-material members and strings holding key-material text.
    Plain,
    /// The same in an event's map, whose `severity` (and route field) the
    /// transform replaces.
    Event,
    /// Nothing: the value goes whole (removed, or replaced).
    Inert,
}

/// A member whose value the enclosing map's envelope test reads.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Member {
    Action,
    EventTime,
    Other,
}

struct Level {
    is_object: bool,
    /// The length of the path buffer that is this container's path.
    path_len: usize,
    mode: Mode,
    top_level: bool,
    /// Items seen, in an array.
    count: usize,
    /// The member whose value comes next.
    member: Member,
    /// Its last `action` and `eventTime` were strings.
    string_action: bool,
    string_time: bool,
    /// A top-level `payload` taken for an envelope's event: the number of
    /// paths before it, which stay only if it turns out to be one.
    candidate: Option<usize>,
    /// The top level has its envelope's event.
    envelope_seen: bool,
}

impl Level {
    fn new(is_object: bool, path_len: usize, mode: Mode, top_level: bool) -> Level {
        Level {
            is_object,
            path_len,
            mode,
            top_level,
            count: 0,
            member: Member::Other,
            string_action: false,
            string_time: false,
            candidate: None,
            envelope_seen: false,
        }
    }
}

/// The paths of `event` (one JSON object the transform accepted), with the
/// scan's decision on whether it is an envelope.
pub(super) fn redacted_paths(t: &Transform, event: &[u8], envelope: bool) -> Vec<String> {
    let mut paths = Vec::new();
    let mut stack: Vec<Level> = Vec::new();
    let mut text = Vec::new();
    let mut pos = 0;
    // The path of the value about to be read, and of every open container
    // as a prefix of it (`Level::path_len`): one buffer, not one per level,
    // so that deep nesting costs its depth and no more.
    let mut path = String::from("$");
    // The value about to be read: its mode, whether it is the top level,
    // and the paths count if it is an envelope candidate.
    let mut next = Some((Mode::Event, true, None));
    loop {
        if let Some((mode, top_level, candidate)) = next.take() {
            pos = skip_ws(event, pos);
            match event.get(pos) {
                Some(&b) if b == b'{' || b == b'[' => {
                    pos += 1;
                    let mut level = Level::new(b == b'{', path.len(), mode, top_level);
                    level.candidate = candidate;
                    stack.push(level);
                }
                Some(b'"') => {
                    let (body, escaped, end) = string_at(event, pos);
                    pos = end;
                    let s = unescaped(body, escaped, &mut text);
                    if mode != Mode::Inert && t.holds_key_material_text(s) {
                        paths.push(path.clone());
                    }
                    value_done(&mut stack, true);
                }
                Some(_) => {
                    while pos < event.len() && !b",]} \t\r\n".contains(&event[pos]) {
                        pos += 1;
                    }
                    value_done(&mut stack, false);
                }
                None => break,
            }
            continue;
        }
        let Some(level) = stack.last_mut() else {
            break;
        };
        pos = skip_ws(event, pos);
        let Some(&b) = event.get(pos) else { break };
        pos += 1;
        match b {
            b'}' | b']' => {
                let closed = stack.pop().expect("an open container");
                path.truncate(closed.path_len);
                close(closed, &path, &mut stack, &mut paths);
            }
            b',' => {}
            _ => {
                pos -= 1;
                path.truncate(level.path_len);
                if !level.is_object {
                    path.push_str(&format!("[{}]", level.count));
                    level.count += 1;
                    next = Some((inner(level.mode), false, None));
                    continue;
                }
                let (body, escaped, end) = string_at(event, pos);
                pos = skip_ws(event, end) + 1; // the colon
                let name = unescaped(body, escaped, &mut text);
                let holds_text = t.holds_key_material_text(name);
                push_name(&mut path, name, holds_text);
                level.member = match name {
                    b"action" => Member::Action,
                    b"eventTime" => Member::EventTime,
                    _ => Member::Other,
                };
                if level.mode == Mode::Inert {
                    next = Some((Mode::Inert, false, None));
                    continue;
                }
                let candidate = level.top_level
                    && envelope
                    && !level.envelope_seen
                    && name.eq_ignore_ascii_case(b"payload")
                    && event.get(skip_ws(event, pos)) == Some(&b'{');
                next = if candidate {
                    Some((Mode::Event, false, Some(paths.len())))
                } else if t.is_key_material(name) || holds_text {
                    paths.push(path.clone());
                    Some((Mode::Inert, false, None))
                } else if level.mode == Mode::Event
                    && (name == b"severity" || t.is_route_field(name) || t.shadows(name))
                {
                    Some((Mode::Inert, false, None))
                } else {
                    Some((Mode::Plain, false, None))
                };
            }
        }
    }
    paths
}

/// The mode of an array's items.
fn inner(mode: Mode) -> Mode {
    match mode {
        Mode::Inert => Mode::Inert,
        _ => Mode::Plain,
    }
}

/// A scalar value ended: the enclosing map notes whether its `action` or
/// `eventTime` was a string.
fn value_done(stack: &mut [Level], is_string: bool) {
    if let Some(level) = stack.last_mut() {
        match level.member {
            Member::Action => level.string_action = is_string,
            Member::EventTime => level.string_time = is_string,
            Member::Other => {}
        }
        level.member = Member::Other;
    }
}

/// A container ended (`path` is its path). An envelope candidate stays
/// one if it looks like an event; otherwise its paths give way to its own,
/// as key material.
fn close(closed: Level, path: &str, stack: &mut [Level], paths: &mut Vec<String>) {
    if let Some(start) = closed.candidate {
        if closed.string_action || closed.string_time {
            if let Some(top) = stack.last_mut() {
                top.envelope_seen = true;
            }
        } else {
            paths.truncate(start);
            paths.push(path.to_owned());
        }
    }
    // A container is not a string: an `action` object does not count.
    value_done(stack, false);
}

fn skip_ws(event: &[u8], mut pos: usize) -> usize {
    while pos < event.len() && matches!(event[pos], b' ' | b'\t' | b'\r' | b'\n') {
        pos += 1;
    }
    pos
}

/// The string literal at `pos` (its opening quote): its body, whether it
/// has escapes, and where it ends (past the closing quote).
fn string_at(event: &[u8], pos: usize) -> (&[u8], bool, usize) {
    let start = pos + 1;
    let mut i = start;
    let mut escaped = false;
    while i < event.len() && event[i] != b'"' {
        if event[i] == b'\\' {
            escaped = true;
            i += 1;
        }
        i += 1;
    }
    let end = i.min(event.len());
    (&event[start..end], escaped, end + 1)
}

fn unescaped<'a>(body: &'a [u8], escaped: bool, buf: &'a mut Vec<u8>) -> &'a [u8] {
    if escaped {
        crate::json::unescape(body, buf);
        buf
    } else {
        body
    }
}

/// `$.a.b[2]["odd name"]` style paths; a name that holds key material
/// (`holds_text`) is withheld.
fn push_name(path: &mut String, name: &[u8], holds_text: bool) {
    if holds_text {
        path.push('[');
        path.push_str(WITHHELD);
        path.push(']');
        return;
    }
    let name = String::from_utf8_lossy(name);
    let plain = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        && !name.as_bytes()[0].is_ascii_digit();
    if plain {
        path.push('.');
        path.push_str(&name);
    } else {
        path.push('[');
        path.push_str(&serde_json::to_string(&name).unwrap_or_default());
        path.push(']');
    }
}

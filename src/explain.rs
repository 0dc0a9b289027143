//! Why one event came out as it did: which rule set its severity, which
//! field gave its route, and where each member that was removed was. A
//! diagnostic path beside the transform, never on it: the event is
//! transformed as usual, then read again to explain the decisions.

mod paths;

use crate::error::Error;
use crate::route::{crn_location, uri_location};
use crate::scan::{Capture, Field};
use crate::severity::{Origin, Precedence, Severity};
use crate::transform::{Output, Transform};

/// What an explanation shows for a value it read that holds JSON text with
/// key material (the transform wrote `null` or the mask in its place), and
/// in a path for a member name that holds such text.
pub const WITHHELD: &str = "(withheld: it holds key material)";

/// The decisions about one event. Nothing in it holds key material: a
/// value or name read from the event that holds JSON text with some is
/// shown as `WITHHELD`, as the output nulls or drops it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// The transformed event, as `Transform::transform` gives it.
    pub output: Vec<u8>,
    pub severity: Severity,
    /// Whether the event is an ingestion envelope (its event inside
    /// `payload` decided severity and route).
    pub envelope: bool,
    /// The action read (a string `action`), and its table entry if any.
    pub action: Option<String>,
    pub action_rule: Option<(Severity, Origin)>,
    /// The HTTP status read from `reason.reasonCode`, and its entry.
    pub status: Option<u64>,
    pub status_rule: Option<(Severity, Origin)>,
    pub precedence: Precedence,
    /// How the two signals (or the default) gave the severity.
    pub decided_by: &'static str,
    pub route: String,
    /// The field the route came from (`logSourceCRN`, `target.id`,
    /// `requestData.requestURI`, prefixed `payload.` inside an envelope),
    /// its value, and the location read from it; `None` when no field was
    /// present.
    pub route_field: Option<String>,
    pub route_value: Option<String>,
    pub location: Option<String>,
    /// JSON paths of the members removed (or masked), in input order.
    pub redacted: Vec<String>,
}

impl Transform {
    /// Transforms `event` (one JSON object) and explains the result. Fails
    /// as `transform` fails, with the same error.
    pub fn explain(&self, event: &[u8]) -> Result<Explanation, Error> {
        let mut out = Output::new();
        self.transform(event, &mut out)?;
        let (captures, envelope) = self.captures_of(event, &mut out)?;
        let (action_field, code_field, uri_field) = if envelope {
            (
                Field::InnerAction,
                Field::InnerReasonCode,
                Field::InnerRequestUri,
            )
        } else {
            (Field::Action, Field::ReasonCode, Field::RequestUri)
        };
        let action = string_of(event, captures[action_field as usize]);
        let status = status_of(event, captures[code_field as usize]);
        let uri = string_of(event, captures[uri_field as usize]);
        let rules = self.severity_rules();
        let action_rule = action
            .as_deref()
            .and_then(|a| rules.action_rule_for(a.as_bytes(), uri.as_deref().map(str::as_bytes)));
        let status_rule =
            status.and_then(|c| rules.status_rule(action.as_deref().map(str::as_bytes), c));
        let decided_by = decided_by(rules.precedence(), action_rule, status_rule);
        let action = action.map(|a| self.shown(a));

        let order: &[(Field, &str, bool)] = if envelope {
            &[
                (Field::LogSourceCrn, "logSourceCRN", false),
                (Field::InnerLogSourceCrn, "payload.logSourceCRN", false),
                (Field::InnerTargetId, "payload.target.id", false),
                (
                    Field::InnerRequestUri,
                    "payload.requestData.requestURI",
                    true,
                ),
            ]
        } else {
            &[
                (Field::LogSourceCrn, "logSourceCRN", false),
                (Field::TargetId, "target.id", false),
                (Field::RequestUri, "requestData.requestURI", true),
            ]
        };
        let (mut route_field, mut route_value, mut location) = (None, None, None);
        for &(field, name, is_uri) in order {
            match captures[field as usize] {
                Capture::Missing | Capture::Null => continue,
                capture => {
                    route_field = Some(name.to_owned());
                    route_value = string_of(event, capture).map(|v| self.shown(v));
                    location = route_value.as_deref().and_then(|v| {
                        let loc = if v == WITHHELD {
                            None
                        } else if is_uri {
                            uri_location(v.as_bytes())
                        } else {
                            crn_location(v.as_bytes())
                        };
                        loc.map(|l| String::from_utf8_lossy(l).into_owned())
                    });
                    break;
                }
            }
        }
        Ok(Explanation {
            output: out.data().to_vec(),
            severity: out.severity(),
            envelope,
            action,
            action_rule,
            status,
            status_rule,
            precedence: rules.precedence(),
            decided_by,
            route: out.route().to_owned(),
            route_field,
            route_value,
            location,
            redacted: self.redacted_paths(event, envelope),
        })
    }

    /// A string read from the event, as an explanation may show it.
    fn shown(&self, value: String) -> String {
        if self.holds_key_material_text(value.as_bytes()) {
            WITHHELD.to_owned()
        } else {
            value
        }
    }

    /// The JSON paths of the members the transform removes from `event`;
    /// `envelope` is whether the scan found an envelope's event in it.
    fn redacted_paths(&self, event: &[u8], envelope: bool) -> Vec<String> {
        paths::redacted_paths(self, event, envelope)
    }
}

fn decided_by(
    precedence: Precedence,
    action: Option<(Severity, Origin)>,
    status: Option<(Severity, Origin)>,
) -> &'static str {
    match (precedence, action, status) {
        (_, None, None) => "neither the action nor the status is listed: the default severity",
        (Precedence::Highest, Some((a, _)), Some((s, _))) if s > a => {
            "the status, more severe than the action (precedence: highest)"
        }
        (Precedence::Highest, Some(_), Some(_)) => {
            "the action, at least as severe as the status (precedence: highest)"
        }
        (Precedence::Highest, Some(_), None) => "the action (the status is not listed)",
        (Precedence::Highest, None, Some(_)) => {
            "the higher of the default and the status (the action is not listed; precedence: highest)"
        }
        (Precedence::Status, _, Some(_)) => "the status (precedence: status)",
        (Precedence::Status, Some(_), None) => "the action (precedence: status; the status is not listed)",
        (Precedence::Action, Some(_), _) => "the action (precedence: action)",
        (Precedence::Action, None, Some(_)) => "the status (precedence: action; the action is not listed)",
    }
}

fn string_of(event: &[u8], capture: Capture) -> Option<String> {
    match capture {
        Capture::Str {
            start,
            end,
            escaped,
        } => {
            let raw = &event[start..end];
            if escaped {
                let mut buf = Vec::new();
                crate::json::unescape(raw, &mut buf);
                Some(String::from_utf8_lossy(&buf).into_owned())
            } else {
                Some(String::from_utf8_lossy(raw).into_owned())
            }
        }
        _ => None,
    }
}

fn status_of(event: &[u8], capture: Capture) -> Option<u64> {
    crate::transform::status_code(event, capture, &mut Vec::new())
}

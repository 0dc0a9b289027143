//! Severity of an event: from its action (Table 7 of the Key Protect
//! activity-tracking document) and its HTTP status (Table 8).

use std::collections::HashMap;

use crate::fast_hash::FastMap;

/// How alarming an event is, in increasing order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub enum Severity {
    #[default]
    Normal,
    Warning,
    Critical,
}

impl Severity {
    /// The name written into the event's `severity` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Normal => "normal",
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(name: &str) -> Option<Severity> {
        match name {
            "normal" => Some(Severity::Normal),
            "warning" => Some(Severity::Warning),
            "critical" => Some(Severity::Critical),
            _ => None,
        }
    }
}

/// Which of the two signals decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Precedence {
    /// The higher of the action's and the status's severity (the source
    /// document's rule: a 401 on a create-key request is critical).
    #[default]
    Highest,
    /// A listed status decides; otherwise the action.
    Status,
    /// A listed action decides; otherwise the status.
    Action,
}

/// Table 7: severity per action. Actions not listed here take the default.
pub const ACTION_TABLE: &[(&str, Severity)] = &[
    ("kms.secrets.delete", Severity::Critical),
    ("kms.registrations.delete", Severity::Critical),
    ("kms.secrets.rotate", Severity::Warning),
    ("kms.secrets.restore", Severity::Warning),
    ("kms.secrets.enable", Severity::Warning),
    ("kms.secrets.disable", Severity::Warning),
    ("kms.secrets.setkeyfordeletion", Severity::Warning),
    ("kms.secrets.unsetkeyfordeletion", Severity::Warning),
    ("kms.policies.write", Severity::Warning),
    ("kms.instancepolicies.write", Severity::Warning),
    ("kms.secrets.create", Severity::Normal),
    ("kms.secrets.read", Severity::Normal),
    ("kms.secrets.readmetadata", Severity::Normal),
    ("kms.secrets.head", Severity::Normal),
    ("kms.secrets.list", Severity::Normal),
    ("kms.secrets.wrap", Severity::Normal),
    ("kms.secrets.unwrap", Severity::Normal),
    ("kms.secrets.rewrap", Severity::Normal),
    ("kms.secrets.listkeyversions", Severity::Normal),
    ("kms.secrets.eventack", Severity::Normal),
    ("kms.policies.read", Severity::Normal),
    ("kms.instancepolicies.read", Severity::Normal),
    ("kms.importtoken.create", Severity::Normal),
    ("kms.importtoken.read", Severity::Normal),
    ("kms.registrations.create", Severity::Normal),
    ("kms.registrations.write", Severity::Normal),
    ("kms.registrations.merge", Severity::Normal),
    ("kms.registrations.list", Severity::Normal),
    ("kms.secrets.ack-delete", Severity::Normal),
    ("kms.secrets.ack-restore", Severity::Normal),
    ("kms.secrets.ack-rotate", Severity::Normal),
    ("kms.secrets.ack-enable", Severity::Normal),
    ("kms.secrets.ack-disable", Severity::Normal),
];

/// Table 8: severity per HTTP status. Unlisted codes add nothing.
pub const STATUS_TABLE: &[(u16, Severity)] = &[
    (401, Severity::Critical),
    (403, Severity::Critical),
    (503, Severity::Critical),
    (507, Severity::Critical),
    (400, Severity::Warning),
    (409, Severity::Warning),
    (424, Severity::Warning),
    (502, Severity::Warning),
    (504, Severity::Warning),
    (505, Severity::Warning),
];

/// Actions that later Key Protect releases renamed: (historical, current).
/// Both spellings of a pair always get the same severity.
pub const RENAMED_ACTIONS: &[(&str, &str)] = &[
    ("kms.importtoken.create", "kms.import-token.create"),
    ("kms.importtoken.read", "kms.import-token.read"),
    ("kms.importtoken.default", "kms.import-token.request"),
    ("kms.instancepolicies.write", "kms.instance-policies.write"),
    ("kms.instancepolicies.read", "kms.instance-policies.read"),
    (
        "kms.instancepolicies.default",
        "kms.instance-policies.request",
    ),
    ("kms.secrets.readmetadata", "kms.secrets-metadata.read"),
    (
        "kms.secrets.listkeyversions",
        "kms.secrets-key-versions.list",
    ),
    ("kms.secrets.eventack", "kms.secrets-event.ack"),
    ("kms.keyrings.create", "kms.key-rings.create"),
    ("kms.keyrings.delete", "kms.key-rings.delete"),
    ("kms.keyrings.list", "kms.key-rings.list"),
    ("kms.secrets.createalias", "kms.secrets-alias.create"),
    ("kms.secrets.deletealias", "kms.secrets-alias.delete"),
];

/// The other spelling of a renamed action, if it has one.
pub fn other_spelling(action: &str) -> Option<&'static str> {
    RENAMED_ACTIONS.iter().find_map(|&(old, new)| {
        if old == action {
            Some(new)
        } else if new == action {
            Some(old)
        } else {
            None
        }
    })
}

/// The compiled severity rules: built-in tables merged with the configuration.
#[derive(Clone, Debug)]
pub struct SeverityRules {
    actions: FastMap<Box<[u8]>, Severity>,
    /// Indexed by status code; `None` where the code is unlisted.
    status: Box<[Option<Severity>]>,
    default: Severity,
    precedence: Precedence,
}

impl SeverityRules {
    /// `actions` and `status` entries override the built-in tables. Every
    /// action entry must already hold both spellings of a renamed action.
    pub fn new(
        actions: HashMap<Box<[u8]>, Severity>,
        status: &[(u16, Severity)],
        default: Severity,
        precedence: Precedence,
    ) -> SeverityRules {
        let mut table = vec![None; 1000].into_boxed_slice();
        for &(code, sev) in status {
            table[usize::from(code)] = Some(sev);
        }
        SeverityRules {
            actions: actions.into_iter().collect(),
            status: table,
            default,
            precedence,
        }
    }

    /// Severity of an action as listed (built-in or configured), if it is.
    pub fn action(&self, action: &[u8]) -> Option<Severity> {
        self.actions.get(action).copied()
    }

    /// Severity of an HTTP status as listed, if it is.
    pub fn status(&self, code: u64) -> Option<Severity> {
        usize::try_from(code)
            .ok()
            .and_then(|i| self.status.get(i).copied().flatten())
    }

    /// The event's severity. `action` is `None` when the event has no
    /// string `action`; `status` is `None` when it has no usable reasonCode.
    pub fn decide(&self, action: Option<&[u8]>, status: Option<u64>) -> Severity {
        let by_action = action.and_then(|a| self.action(a));
        let by_status = status.and_then(|s| self.status(s));
        match self.precedence {
            Precedence::Highest => by_action
                .unwrap_or(self.default)
                .max(by_status.unwrap_or(Severity::Normal)),
            Precedence::Status => by_status.or(by_action).unwrap_or(self.default),
            Precedence::Action => by_action.or(by_status).unwrap_or(self.default),
        }
    }
}

/// The built-in action table with both spellings of every renamed action.
pub fn builtin_actions() -> HashMap<Box<[u8]>, Severity> {
    let mut map = HashMap::new();
    for &(name, sev) in ACTION_TABLE {
        map.insert(Box::from(name.as_bytes()), sev);
        if let Some(other) = other_spelling(name) {
            map.insert(Box::from(other.as_bytes()), sev);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(p: Precedence) -> SeverityRules {
        SeverityRules::new(builtin_actions(), STATUS_TABLE, Severity::Normal, p)
    }

    #[test]
    fn highest_takes_the_more_severe() {
        let r = rules(Precedence::Highest);
        assert_eq!(
            r.decide(Some(b"kms.secrets.create"), Some(401)),
            Severity::Critical
        );
        assert_eq!(
            r.decide(Some(b"kms.secrets.delete"), Some(409)),
            Severity::Critical
        );
        assert_eq!(
            r.decide(Some(b"kms.secrets.rotate"), Some(200)),
            Severity::Warning
        );
    }

    #[test]
    fn status_and_action_precedence_are_mirror_images() {
        let s = rules(Precedence::Status);
        assert_eq!(
            s.decide(Some(b"kms.secrets.delete"), Some(409)),
            Severity::Warning
        );
        assert_eq!(
            s.decide(Some(b"kms.secrets.delete"), Some(200)),
            Severity::Critical
        );
        let a = rules(Precedence::Action);
        assert_eq!(
            a.decide(Some(b"kms.secrets.create"), Some(401)),
            Severity::Normal
        );
        assert_eq!(
            a.decide(Some(b"kms.unknown"), Some(401)),
            Severity::Critical
        );
    }

    #[test]
    fn renamed_pairs_are_symmetric() {
        for &(old, new) in RENAMED_ACTIONS {
            assert_eq!(other_spelling(old), Some(new));
            assert_eq!(other_spelling(new), Some(old));
        }
        assert_eq!(other_spelling("kms.secrets.wrap"), None);
    }
}

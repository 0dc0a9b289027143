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

/// A service whose events share the stream: the prefix of its actions
/// picks its tables, so one transform handles a mixed stream.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    /// IBM Cloud Key Protect (`kms.*`).
    KeyProtect = 0,
    /// Hyper Protect Crypto Services (`hs-crypto.*`).
    Hpcs = 1,
}

impl Service {
    pub const ALL: [Service; 2] = [Service::KeyProtect, Service::Hpcs];

    /// The name used in configuration and in CRNs.
    pub fn name(self) -> &'static str {
        match self {
            Service::KeyProtect => "kms",
            Service::Hpcs => "hs-crypto",
        }
    }

    /// The prefix of its actions, dot included.
    pub fn prefix(self) -> &'static str {
        match self {
            Service::KeyProtect => "kms.",
            Service::Hpcs => "hs-crypto.",
        }
    }

    /// The service an action belongs to, by its prefix.
    pub fn of_action(action: &[u8]) -> Option<Service> {
        Service::ALL
            .into_iter()
            .find(|s| action.starts_with(s.prefix().as_bytes()))
    }
}

/// Table 7 of the seed document (Table 10 of Key Protect's current
/// documentation, the same content): severity per action. Actions not
/// listed take the default.
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

/// Hyper Protect Crypto Services' action severities as its activity-tracking
/// page documents them (UKO rows included). Key Protect's 23 normal actions
/// are normal here too, under the `hs-crypto.` prefix (see `hpcs_action`).
pub const HPCS_ACTION_TABLE: &[(&str, Severity)] = &[
    ("hs-crypto.secrets.delete", Severity::Critical),
    ("hs-crypto.registrations.delete", Severity::Critical),
    // Crypto-unit (TKE) administration: every TKE event is critical.
    ("hs-crypto.tke-cryptounit-admin.add", Severity::Critical),
    ("hs-crypto.tke-cryptounit-admin.remove", Severity::Critical),
    ("hs-crypto.tke-cryptounit-threshold.set", Severity::Critical),
    (
        "hs-crypto.tke-cryptounit-master-key-register.add",
        Severity::Critical,
    ),
    (
        "hs-crypto.tke-cryptounit-master-key-register.commit",
        Severity::Critical,
    ),
    (
        "hs-crypto.tke-cryptounit-master-key-register.activate",
        Severity::Critical,
    ),
    (
        "hs-crypto.tke-cryptounit-new-master-key-register.clear",
        Severity::Critical,
    ),
    (
        "hs-crypto.tke-cryptounit-current-master-key-register.clear",
        Severity::Critical,
    ),
    ("hs-crypto.tke-cryptounit.reset", Severity::Critical),
    ("hs-crypto.mtlscert-admin-key.create", Severity::Critical),
    ("hs-crypto.mtlscert-admin-key.update", Severity::Critical),
    ("hs-crypto.mtlscert-admin-key.delete", Severity::Critical),
    ("hs-crypto.mtlscert-cert.set", Severity::Critical),
    // The table lists `.set` twice and `.delete` nowhere: the second `.set`
    // is read as `.delete` (an inference the README states).
    ("hs-crypto.mtlscert-cert.delete", Severity::Critical),
    ("hs-crypto.keystore.deletekey", Severity::Critical),
    ("hs-crypto.keystore.deletekeystore", Severity::Critical),
    ("hs-crypto.keystore.updatekey", Severity::Critical),
    ("hs-crypto.target-keystores.delete", Severity::Critical),
    ("hs-crypto.managed-keys.delete", Severity::Critical),
    ("hs-crypto.vaults.delete", Severity::Critical),
    ("hs-crypto.secrets.rotate", Severity::Warning),
    ("hs-crypto.secrets.restore", Severity::Warning),
    ("hs-crypto.secrets.enable", Severity::Warning),
    ("hs-crypto.secrets.disable", Severity::Warning),
    ("hs-crypto.secrets.setkeyfordeletion", Severity::Warning),
    ("hs-crypto.secrets.unsetkeyfordeletion", Severity::Warning),
    ("hs-crypto.policies.write", Severity::Warning),
    ("hs-crypto.instance-policies.write", Severity::Warning),
    // Critical when the write moves the key to `destroyed`: see
    // `SeverityRules::action_rule_for`.
    ("hs-crypto.managed-keys.write", Severity::Warning),
    ("hs-crypto.mtlscert-cert.read", Severity::Normal),
    ("hs-crypto.mtlscert-cert.list", Severity::Normal),
    ("hs-crypto.mtlscert-admin-key.read", Severity::Normal),
    ("hs-crypto.keystore.createkeystore", Severity::Normal),
    ("hs-crypto.keystore.storenewkey", Severity::Normal),
    ("hs-crypto.keystore.listkeysbyattributes", Severity::Normal),
    ("hs-crypto.keystore.listkeysbyids", Severity::Normal),
    (
        "hs-crypto.keystore.listkeystoresbyattributes",
        Severity::Normal,
    ),
    ("hs-crypto.keystore.listkeystoresbyids", Severity::Normal),
    ("hs-crypto.ep11.use", Severity::Normal),
    ("hs-crypto.managed-keys.list", Severity::Normal),
    ("hs-crypto.managed-keys.read", Severity::Normal),
    ("hs-crypto.target-keystores.write", Severity::Normal),
    ("hs-crypto.target-keystores.list", Severity::Normal),
    ("hs-crypto.target-keystores.read", Severity::Normal),
    ("hs-crypto.vaults.list", Severity::Normal),
    ("hs-crypto.vaults.write", Severity::Normal),
    ("hs-crypto.vaults.read", Severity::Normal),
];

/// Severities that no documented table gives, inferred by analogy with the
/// documented rows (`severity.inferred: false` leaves them out): each
/// entry's third field says why. The README lists them as inferred.
pub const INFERRED_ACTIONS: &[(&str, Severity, &str)] = &[
    ("kms.secrets.purge", Severity::Critical, "hard-deletes a destroyed key and its material: irreversible, so at least as severe as delete (critical)"),
    ("kms.kmip.destroy", Severity::Critical, "destroys a KMIP object's key material irreversibly, like delete"),
    ("kms.kmip-management.delete", Severity::Critical, "deletes an adapter, a certificate or a KMIP object permanently, like delete"),
    ("kms.kmip.revoke", Severity::Warning, "a state change (to Compromised or Deactivated), like disable"),
    ("kms.kmip.activate", Severity::Warning, "a state change (to Active), like enable"),
    ("kms.secrets.expire", Severity::Warning, "a state change (to Deactivated: the key can no longer wrap), like disable"),
    ("kms.secrets.patch", Severity::Warning, "moves a key to another key ring, changing who may use it, like a policy write"),
    ("kms.key-rings.delete", Severity::Warning, "removes a key ring; a management change that destroys no key material, like a policy write"),
    ("kms.secrets-alias.delete", Severity::Warning, "callers that name the key by the alias lose it, like disable"),
    ("hs-crypto.secrets.purge", Severity::Critical, "as kms.secrets.purge"),
    ("hs-crypto.kmip-key.destroy", Severity::Critical, "as kms.kmip.destroy"),
    ("hs-crypto.kmip-key.revoke", Severity::Warning, "as kms.kmip.revoke"),
    ("hs-crypto.kmip-key.activate", Severity::Warning, "as kms.kmip.activate"),
    ("hs-crypto.secrets.expire", Severity::Warning, "as kms.secrets.expire"),
    ("hs-crypto.secrets.patch", Severity::Warning, "as kms.secrets.patch"),
    ("hs-crypto.key-rings.delete", Severity::Warning, "as kms.key-rings.delete"),
    ("hs-crypto.secrets-alias.delete", Severity::Warning, "as kms.secrets-alias.delete"),
    ("hs-crypto.key-templates.delete", Severity::Warning, "removes a UKO key template; destroys no key material, like kms.key-rings.delete"),
];

/// Table 8 (Key Protect's status table; Table 11 today, the same content):
/// severity per HTTP status. Unlisted codes add nothing. Events of no
/// known service use it too.
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

/// Hyper Protect Crypto Services' status table: 500 is critical, and a 400
/// on a TKE action is critical (`TKE_400`); otherwise as Key Protect's.
pub const HPCS_STATUS_TABLE: &[(u16, Severity)] = &[
    (401, Severity::Critical),
    (403, Severity::Critical),
    (500, Severity::Critical),
    (503, Severity::Critical),
    (507, Severity::Critical),
    (400, Severity::Warning),
    (409, Severity::Warning),
    (424, Severity::Warning),
    (502, Severity::Warning),
    (504, Severity::Warning),
    (505, Severity::Warning),
];

/// The prefix of crypto-unit (TKE) actions, on which HPCS rates a 400 critical.
pub const TKE_PREFIX: &str = "hs-crypto.tke-cryptounit";

/// UKO's write of a managed key, which HPCS's table rates critical when it
/// moves the key to `destroyed`.
pub const UKO_KEY_WRITE: &[u8] = b"hs-crypto.managed-keys.write";

/// Whether a request URI (a full URL or a path) is UKO's destroy call,
/// `POST /api/v4/managed_keys/{id}/destroy`: the only request that moves a
/// managed key to `destroyed` (updates cannot set the state).
pub fn destroys_managed_key(request_uri: &[u8]) -> bool {
    let path = request_uri
        .split(|&b| b == b'?' || b == b'#')
        .next()
        .unwrap_or_default();
    let path = path.strip_suffix(b"/").unwrap_or(path);
    let mut segments = path.rsplit(|&b| b == b'/');
    segments.next() == Some(b"destroy")
        && segments.next().is_some_and(|id| !id.is_empty())
        && segments.next() == Some(b"managed_keys")
}

/// Actions that later releases renamed: (historical, current), Key
/// Protect's Table 1, all 19 pairs. HPCS has the same pairs under its
/// prefix. Every spelling of an action gets the same severity.
pub const RENAMED_ACTIONS: &[(&str, &str)] = &[
    ("kms.governance.configread", "kms.governance-config.read"),
    ("kms.importtoken.create", "kms.import-token.create"),
    ("kms.importtoken.read", "kms.import-token.read"),
    ("kms.importtoken.default", "kms.import-token.request"),
    (
        "kms.instance.readallowedipport",
        "kms.instance-allowed-ip-port.read",
    ),
    (
        "kms.instance.readipwhitelistport",
        "kms.instance-ip-allowlist-port.read",
    ),
    ("kms.instancepolicies.write", "kms.instance-policies.write"),
    ("kms.instancepolicies.read", "kms.instance-policies.read"),
    (
        "kms.instancepolicies.default",
        "kms.instance-policies.request",
    ),
    ("kms.keyrings.create", "kms.key-rings.create"),
    ("kms.keyrings.delete", "kms.key-rings.delete"),
    ("kms.keyrings.list", "kms.key-rings.list"),
    ("kms.keyrings.default", "kms.key-rings.request"),
    ("kms.secrets.defaultalias", "kms.secrets-alias.request"),
    ("kms.secrets.createalias", "kms.secrets-alias.create"),
    ("kms.secrets.deletealias", "kms.secrets-alias.delete"),
    ("kms.secrets.eventack", "kms.secrets-event.ack"),
    (
        "kms.secrets.listkeyversions",
        "kms.secrets-key-versions.list",
    ),
    ("kms.secrets.readmetadata", "kms.secrets-metadata.read"),
];

/// A misspelling in HPCS's own severity table, accepted as the action it
/// means.
pub const MISSPELLED_ACTIONS: &[(&str, &str)] = &[(
    "hs-crypto.hs-crypto.instance-policies.write",
    "hs-crypto.instance-policies.write",
)];

/// Every other spelling of an action: its renamed pair (Key Protect's, or
/// the same pair under the HPCS prefix) and known misspellings.
pub fn other_spellings(action: &str) -> Vec<String> {
    let mut found: Vec<String> = Vec::new();
    let mut add = |name: String| {
        if name != action && !found.contains(&name) {
            found.push(name);
        }
    };
    for &(wrong, meant) in MISSPELLED_ACTIONS {
        if action == wrong {
            add(meant.to_owned());
        }
    }
    let canonical: Vec<String> = std::iter::once(action.to_owned())
        .chain(
            MISSPELLED_ACTIONS
                .iter()
                .filter(|&&(wrong, _)| wrong == action)
                .map(|&(_, meant)| meant.to_owned()),
        )
        .collect();
    for name in &canonical {
        if let Some(pair) = renamed_pair(name) {
            add(pair);
        }
        for &(wrong, meant) in MISSPELLED_ACTIONS {
            if meant == name || renamed_pair(name).as_deref() == Some(meant) {
                add(wrong.to_owned());
                add(meant.to_owned());
            }
        }
    }
    found
}

/// The renamed pair of an action, under either service's prefix.
fn renamed_pair(action: &str) -> Option<String> {
    let (prefix, rest) = if let Some(rest) = action.strip_prefix("kms.") {
        ("kms.", rest)
    } else if let Some(rest) = action.strip_prefix("hs-crypto.") {
        ("hs-crypto.", rest)
    } else {
        return None;
    };
    RENAMED_ACTIONS.iter().find_map(|&(old, new)| {
        let (old, new) = (&old["kms.".len()..], &new["kms.".len()..]);
        if old == rest {
            Some(format!("{prefix}{new}"))
        } else if new == rest {
            Some(format!("{prefix}{old}"))
        } else {
            None
        }
    })
}

/// Key Protect's normal actions as HPCS actions (its table lists "the KMS
/// key actions" with the same severities under its own prefix).
fn hpcs_normal_actions() -> impl Iterator<Item = (String, Severity)> {
    ACTION_TABLE
        .iter()
        .filter(|(_, s)| *s == Severity::Normal)
        .map(|(name, s)| (format!("hs-crypto.{}", &name["kms.".len()..]), *s))
}

/// Where a severity rule comes from, for `explain`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Origin {
    /// Key Protect's documented table (Table 7/10 for actions, 8/11 for status).
    KeyProtect,
    /// Hyper Protect Crypto Services' documented tables.
    Hpcs,
    /// HPCS's rule that a 400 on a crypto-unit (TKE) action is critical.
    HpcsTke400,
    /// HPCS's rule that every crypto-unit (TKE) event is critical, for a
    /// TKE action its table does not list.
    HpcsTke,
    /// HPCS's rule that a UKO `managed-keys.write` that destroys the key
    /// is critical.
    HpcsUkoDestroy,
    /// Inferred by analogy for an action no documented table rates.
    Inferred,
    /// The configuration.
    Configured,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::KeyProtect => "Key Protect's documented table",
            Origin::Hpcs => "Hyper Protect Crypto Services' documented table",
            Origin::HpcsTke400 => "HPCS: a 400 on a crypto-unit (TKE) action is critical",
            Origin::HpcsTke => "HPCS: every crypto-unit (TKE) event is critical",
            Origin::HpcsUkoDestroy => {
                "HPCS: a UKO managed-keys.write that destroys the key (.../managed_keys/{id}/destroy) is critical"
            }
            Origin::Inferred => "inferred by analogy (not in IBM's tables)",
            Origin::Configured => "the configuration",
        }
    }
}

/// A listed severity and where the entry comes from.
pub type Rule = (Severity, Origin);

/// The compiled severity rules: built-in tables merged with the configuration.
#[derive(Clone, Debug)]
pub struct SeverityRules {
    actions: FastMap<Box<[u8]>, (Severity, Origin)>,
    /// By service (`Service as usize`), indexed by status code; `None`
    /// where the code is unlisted.
    status: Vec<Box<[Option<Rule>]>>,
    /// What a 400 on an HPCS crypto-unit action is, unless configured away.
    tke_400: Option<Severity>,
    /// Services whose tables apply; events of the others are treated as
    /// events of no known service.
    enabled: [bool; 2],
    default: Severity,
    precedence: Precedence,
}

impl SeverityRules {
    /// `actions` holds every action entry (every spelling of each);
    /// `status` each service's merged status table.
    pub fn new(
        actions: HashMap<Box<[u8]>, (Severity, Origin)>,
        status: [Vec<(u16, Severity, Origin)>; 2],
        tke_400: Option<Severity>,
        enabled: [bool; 2],
        default: Severity,
        precedence: Precedence,
    ) -> SeverityRules {
        let status = status
            .iter()
            .map(|table| {
                let mut codes = vec![None; 1000].into_boxed_slice();
                for &(code, sev, origin) in table {
                    codes[usize::from(code)] = Some((sev, origin));
                }
                codes
            })
            .collect();
        SeverityRules {
            actions: actions.into_iter().collect(),
            status,
            tke_400,
            enabled,
            default,
            precedence,
        }
    }

    /// Severity of an action as listed (built-in or configured), if it is.
    pub fn action(&self, action: &[u8]) -> Option<Severity> {
        self.actions.get(action).map(|&(sev, _)| sev)
    }

    /// The same, with where the entry comes from.
    pub fn action_rule(&self, action: &[u8]) -> Option<(Severity, Origin)> {
        self.actions.get(action).copied()
    }

    /// Whether the severity of `action` also depends on the event's
    /// `requestData.requestURI` (the caller reads it only then).
    pub fn reads_request_uri(action: &[u8]) -> bool {
        action == UKO_KEY_WRITE
    }

    /// The action's rule for this request: a UKO key write that destroys
    /// the key is critical, unless the configuration rates the action; so
    /// is a crypto-unit (TKE) action that no table lists ("every TKE event
    /// is critical", and a new TKE action is one).
    pub fn action_rule_for(
        &self,
        action: &[u8],
        request_uri: Option<&[u8]>,
    ) -> Option<(Severity, Origin)> {
        match self.action_rule(action) {
            Some((_, Origin::Hpcs))
                if action == UKO_KEY_WRITE && request_uri.is_some_and(destroys_managed_key) =>
            {
                Some((Severity::Critical, Origin::HpcsUkoDestroy))
            }
            None if self.enabled[Service::Hpcs as usize]
                && action.starts_with(TKE_PREFIX.as_bytes()) =>
            {
                Some((Severity::Critical, Origin::HpcsTke))
            }
            rule => rule,
        }
    }

    pub fn default_severity(&self) -> Severity {
        self.default
    }

    pub fn precedence(&self) -> Precedence {
        self.precedence
    }

    /// The service whose status table an event's action picks: Key
    /// Protect's for an action of no enabled service.
    fn service(&self, action: Option<&[u8]>) -> Service {
        match action.and_then(Service::of_action) {
            Some(s) if self.enabled[s as usize] => s,
            _ => Service::KeyProtect,
        }
    }

    /// Severity of an HTTP status as listed for the action's service.
    pub fn status(&self, action: Option<&[u8]>, code: u64) -> Option<Severity> {
        self.status_rule(action, code).map(|(sev, _)| sev)
    }

    /// The same, with where the entry comes from.
    pub fn status_rule(&self, action: Option<&[u8]>, code: u64) -> Option<(Severity, Origin)> {
        let service = self.service(action);
        if service == Service::Hpcs && code == 400 {
            if let Some(sev) = self.tke_400 {
                if action.is_some_and(|a| a.starts_with(TKE_PREFIX.as_bytes())) {
                    return Some((sev, Origin::HpcsTke400));
                }
            }
        }
        usize::try_from(code)
            .ok()
            .and_then(|i| self.status[service as usize].get(i).copied().flatten())
    }

    /// The event's severity. `action` is `None` when the event has no
    /// string `action`; `status` is `None` when it has no usable reasonCode;
    /// `request_uri` is the event's `requestData.requestURI`, needed only
    /// where `reads_request_uri(action)`.
    pub fn decide(
        &self,
        action: Option<&[u8]>,
        status: Option<u64>,
        request_uri: Option<&[u8]>,
    ) -> Severity {
        let by_action = action
            .and_then(|a| self.action_rule_for(a, request_uri))
            .map(|(sev, _)| sev);
        let by_status = status.and_then(|s| self.status(action, s));
        match self.precedence {
            Precedence::Highest => by_action
                .unwrap_or(self.default)
                .max(by_status.unwrap_or(Severity::Normal)),
            Precedence::Status => by_status.or(by_action).unwrap_or(self.default),
            Precedence::Action => by_action.or(by_status).unwrap_or(self.default),
        }
    }
}

/// The built-in status tables, Key Protect's and HPCS's (by `Service`),
/// each entry with its origin: what the configuration merges over.
pub fn builtin_status() -> [Vec<(u16, Severity, Origin)>; 2] {
    let with = |table: &[(u16, Severity)], origin| -> Vec<(u16, Severity, Origin)> {
        table.iter().map(|&(c, s)| (c, s, origin)).collect()
    };
    [
        with(STATUS_TABLE, Origin::KeyProtect),
        with(HPCS_STATUS_TABLE, Origin::Hpcs),
    ]
}

/// The built-in action tables of the enabled services, with every spelling
/// of each action; the inferred rows too when `inferred`.
pub fn builtin_actions(
    enabled: [bool; 2],
    inferred: bool,
) -> HashMap<Box<[u8]>, (Severity, Origin)> {
    let mut rows: Vec<(String, Severity, Origin)> = Vec::new();
    if enabled[Service::KeyProtect as usize] {
        rows.extend(
            ACTION_TABLE
                .iter()
                .map(|&(n, s)| (n.to_owned(), s, Origin::KeyProtect)),
        );
    }
    if enabled[Service::Hpcs as usize] {
        rows.extend(hpcs_normal_actions().map(|(n, s)| (n, s, Origin::Hpcs)));
        rows.extend(
            HPCS_ACTION_TABLE
                .iter()
                .map(|&(n, s)| (n.to_owned(), s, Origin::Hpcs)),
        );
    }
    if inferred {
        rows.extend(
            INFERRED_ACTIONS
                .iter()
                .filter(|(n, _, _)| {
                    Service::of_action(n.as_bytes()).is_some_and(|s| enabled[s as usize])
                })
                .map(|&(n, s, _)| (n.to_owned(), s, Origin::Inferred)),
        );
    }
    let mut map = HashMap::new();
    for (name, sev, origin) in rows {
        for other in other_spellings(&name) {
            map.insert(Box::from(other.as_bytes()), (sev, origin));
        }
        map.insert(Box::from(name.into_bytes()), (sev, origin));
    }
    map
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(p: Precedence) -> SeverityRules {
        SeverityRules::new(
            builtin_actions([true, true], true),
            builtin_status(),
            Some(Severity::Critical),
            [true, true],
            Severity::Normal,
            p,
        )
    }

    #[test]
    fn highest_takes_the_more_severe() {
        let r = rules(Precedence::Highest);
        assert_eq!(
            r.decide(Some(b"kms.secrets.create"), Some(401), None),
            Severity::Critical
        );
        assert_eq!(
            r.decide(Some(b"kms.secrets.delete"), Some(409), None),
            Severity::Critical
        );
        assert_eq!(
            r.decide(Some(b"kms.secrets.rotate"), Some(200), None),
            Severity::Warning
        );
    }

    #[test]
    fn status_and_action_precedence_are_mirror_images() {
        let s = rules(Precedence::Status);
        assert_eq!(
            s.decide(Some(b"kms.secrets.delete"), Some(409), None),
            Severity::Warning
        );
        assert_eq!(
            s.decide(Some(b"kms.secrets.delete"), Some(200), None),
            Severity::Critical
        );
        let a = rules(Precedence::Action);
        assert_eq!(
            a.decide(Some(b"kms.secrets.create"), Some(401), None),
            Severity::Normal
        );
        assert_eq!(
            a.decide(Some(b"kms.unknown"), Some(401), None),
            Severity::Critical
        );
    }

    #[test]
    fn spellings_are_symmetric_under_both_prefixes() {
        for &(old, new) in RENAMED_ACTIONS {
            assert_eq!(other_spellings(old), [new]);
            assert_eq!(other_spellings(new), [old]);
            let (h_old, h_new) = (
                old.replacen("kms.", "hs-crypto.", 1),
                new.replacen("kms.", "hs-crypto.", 1),
            );
            assert_eq!(other_spellings(&h_old)[0], h_new);
            assert_eq!(other_spellings(&h_new)[0], h_old);
        }
        assert!(other_spellings("kms.secrets.wrap").is_empty());
        let mut three = other_spellings("hs-crypto.hs-crypto.instance-policies.write");
        three.sort();
        assert_eq!(
            three,
            [
                "hs-crypto.instance-policies.write",
                "hs-crypto.instancepolicies.write"
            ]
        );
        let mut from_old = other_spellings("hs-crypto.instancepolicies.write");
        from_old.sort();
        assert_eq!(
            from_old,
            [
                "hs-crypto.hs-crypto.instance-policies.write",
                "hs-crypto.instance-policies.write"
            ]
        );
    }

    #[test]
    fn a_400_is_critical_on_tke_actions_only() {
        let r = rules(Precedence::Highest);
        assert_eq!(
            r.decide(Some(b"hs-crypto.tke-cryptounit-admin.add"), Some(400), None),
            Severity::Critical
        );
        assert_eq!(
            r.decide(Some(b"hs-crypto.secrets.read"), Some(400), None),
            Severity::Warning
        );
        assert_eq!(
            r.decide(Some(b"hs-crypto.secrets.read"), Some(500), None),
            Severity::Critical
        );
        assert_eq!(
            r.decide(Some(b"kms.secrets.read"), Some(500), None),
            Severity::Normal
        );
    }

    #[test]
    fn a_uko_key_write_that_destroys_the_key_is_critical() {
        let r = rules(Precedence::Highest);
        let write = Some(UKO_KEY_WRITE);
        let destroy: &[u8] =
            b"https://0b3d.uko.us-south.hs-crypto.appdomain.cloud/api/v4/managed_keys/7f1c/destroy";
        assert_eq!(
            r.decide(write, Some(200), Some(destroy)),
            Severity::Critical
        );
        assert_eq!(
            r.decide(
                write,
                Some(200),
                Some(b"/api/v4/managed_keys/7f1c/destroy/?x=1")
            ),
            Severity::Critical
        );
        for other in [
            &b"/api/v4/managed_keys/7f1c/deactivate"[..],
            b"/api/v4/managed_keys/7f1c",
            b"/api/v4/managed_keys/destroy",
            b"/api/v4/managed_keys//destroy",
            b"/api/v4/vaults/7f1c/destroy",
            b"/api/v4/managed_keys/7f1c/destroy/versions",
            b"/api/v4/managed_keys/7f1c?next=/destroy",
            b"",
        ] {
            assert_eq!(r.decide(write, Some(200), Some(other)), Severity::Warning);
        }
        assert_eq!(r.decide(write, Some(200), None), Severity::Warning);
        // Only that action: a destroy URI does not raise another one.
        assert_eq!(
            r.decide(
                Some(b"hs-crypto.managed-keys.read"),
                Some(200),
                Some(destroy)
            ),
            Severity::Normal
        );
        assert_eq!(
            r.action_rule_for(UKO_KEY_WRITE, Some(destroy)),
            Some((Severity::Critical, Origin::HpcsUkoDestroy))
        );
        // A configured rating of the action wins over the rule.
        let mut actions = builtin_actions([true, true], true);
        actions.insert(
            Box::from(UKO_KEY_WRITE),
            (Severity::Normal, Origin::Configured),
        );
        let configured = SeverityRules::new(
            actions,
            builtin_status(),
            Some(Severity::Critical),
            [true, true],
            Severity::Normal,
            Precedence::Highest,
        );
        assert_eq!(
            configured.decide(write, Some(200), Some(destroy)),
            Severity::Normal
        );
    }
}

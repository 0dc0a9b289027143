//! Configuration: JSON text from the host's pipeline config. Every key is
//! optional and the defaults are the Key Protect tables. Unknown keys are
//! errors (a typo must not silently keep a default), named by their path.

use std::collections::{BTreeMap, HashMap};

use serde::{Deserialize, Serialize};

use crate::error::Error;
use crate::json;
use crate::redact::{self, KeyMaterial, RedactMode};
use crate::route::{RouteRules, DEFAULT_UNMATCHED, REGION_TABLE};
use crate::severity::{self, Origin, Precedence, Service, Severity, SeverityRules};

/// The largest event size a configuration may allow (1 GiB).
pub const MAX_EVENT_BYTES_CEILING: u64 = 1 << 30;
/// The deepest nesting a configuration may allow.
pub const MAX_DEPTH_CEILING: u64 = 100_000;

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// The built-in services whose tables apply: `kms` (Key Protect) and
    /// `hs-crypto` (Hyper Protect Crypto Services), both by default.
    pub services: Vec<ServiceName>,
    /// `auto` (default): a top-level `payload` object holding a string
    /// `action` is an ingestion envelope, transformed inside; `off`: it is
    /// key material like any other `payload`.
    pub envelope: EnvelopeName,
    /// How an event's severity is decided.
    pub severity: SeverityConfig,
    /// Which members count as key material and what becomes of them.
    pub redact: RedactConfig,
    /// How an event's region becomes a route name.
    pub route: RouteConfig,
    /// Bounds on a single event.
    pub limits: LimitsConfig,
    /// Records given as MessagePack maps.
    pub msgpack: MsgpackConfig,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            services: vec![ServiceName::Kms, ServiceName::HsCrypto],
            envelope: EnvelopeName::Auto,
            severity: SeverityConfig::default(),
            redact: RedactConfig::default(),
            route: RouteConfig::default(),
            limits: LimitsConfig::default(),
            msgpack: MsgpackConfig::default(),
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub enum ServiceName {
    #[serde(rename = "kms")]
    Kms,
    #[serde(rename = "hs-crypto")]
    HsCrypto,
}

impl From<ServiceName> for Service {
    fn from(name: ServiceName) -> Service {
        match name {
            ServiceName::Kms => Service::KeyProtect,
            ServiceName::HsCrypto => Service::Hpcs,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum EnvelopeName {
    Auto,
    Off,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct SeverityConfig {
    /// Severity of an action in no table (built-in or configured).
    pub default: SeverityName,
    /// `highest` (default), `status` or `action`: which signal decides.
    pub precedence: PrecedenceName,
    /// Action name -> severity, merged over Table 7.
    pub actions: BTreeMap<String, SeverityName>,
    /// HTTP status ("500") -> severity, merged over every service's
    /// status table.
    pub status: BTreeMap<String, SeverityName>,
    /// Per service (`kms`, `hs-crypto`): status overrides for that
    /// service's events only, over `status`.
    pub services: BTreeMap<ServiceName, ServiceSeverityConfig>,
    /// Whether the severities inferred for actions no documented table
    /// rates (purge, KMIP destroy, ...) apply; `false` keeps only the
    /// documented tables.
    pub inferred: bool,
}

impl Default for SeverityConfig {
    fn default() -> Self {
        SeverityConfig {
            default: SeverityName::Normal,
            precedence: PrecedenceName::Highest,
            actions: BTreeMap::new(),
            status: BTreeMap::new(),
            services: BTreeMap::new(),
            inferred: true,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct ServiceSeverityConfig {
    /// HTTP status ("500") -> severity, for this service's events.
    pub status: BTreeMap<String, SeverityName>,
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum SeverityName {
    Normal,
    Warning,
    Critical,
}

impl From<SeverityName> for Severity {
    fn from(name: SeverityName) -> Severity {
        match name {
            SeverityName::Normal => Severity::Normal,
            SeverityName::Warning => Severity::Warning,
            SeverityName::Critical => Severity::Critical,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum PrecedenceName {
    Highest,
    Status,
    Action,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RedactConfig {
    /// Names added to the built-in key-material list (which cannot be removed).
    pub fields: Vec<String>,
    /// `remove` (default) drops the member; `mask` replaces its value.
    pub mode: ModeName,
    /// The string that replaces a value in `mask` mode.
    pub mask: String,
    /// Whether the names only inferred to carry key material (HPCS's EP11
    /// message fields) are stripped too.
    pub inferred: bool,
}

impl Default for RedactConfig {
    fn default() -> Self {
        RedactConfig {
            fields: Vec::new(),
            mode: ModeName::Remove,
            mask: "[REDACTED]".to_owned(),
            inferred: true,
        }
    }
}

#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum ModeName {
    Remove,
    Mask,
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct RouteConfig {
    /// Key Protect region -> Activity Tracker region, merged over Table 5.
    pub regions: BTreeMap<String, String>,
    /// Activity Tracker region -> route name (default: the region's own name).
    pub destinations: BTreeMap<String, String>,
    /// The route of events whose region cannot be established.
    pub unmatched: String,
    /// A top-level member to write the route name into, or null for none.
    pub field: Option<String>,
}

impl Default for RouteConfig {
    fn default() -> Self {
        RouteConfig {
            regions: BTreeMap::new(),
            destinations: BTreeMap::new(),
            unmatched: DEFAULT_UNMATCHED.to_owned(),
            field: None,
        }
    }
}

#[derive(Clone, Debug, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct LimitsConfig {
    /// Events longer than this many bytes are rejected unread.
    pub max_event_bytes: u64,
    /// Deepest nesting accepted; the top-level object is depth 1.
    pub max_depth: u64,
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            max_event_bytes: 1 << 20,
            max_depth: 128,
        }
    }
}

#[derive(Clone, Debug, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields, default)]
pub struct MsgpackConfig {
    /// A top-level member whose string value is the event itself as JSON
    /// text (a shipper's unparsed line, such as Fluent Bit tail's `log`):
    /// the event is read from it, and the record's other members are kept
    /// beside the event's. null (default): every record is an event.
    pub line_member: Option<String>,
}

/// The checked configuration, ready to run.
pub(crate) struct Compiled {
    pub severity: SeverityRules,
    /// Whether ingestion envelopes are unwrapped.
    pub envelope: bool,
    pub routes: RouteRules,
    pub key_material: KeyMaterial,
    pub route_field: Option<String>,
    pub max_event_bytes: usize,
    pub max_depth: usize,
    pub line_member: Option<String>,
}

impl Config {
    /// The configuration with every default filled in, as JSON: what
    /// `kpaudit check-config` prints.
    pub fn effective_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Parses configuration text. Errors name the offending key's path.
    pub fn from_json(text: &[u8]) -> Result<Config, Error> {
        // Text that is not JSON is reported by its line and column: a key
        // path means nothing before the text parses.
        let value =
            serde_json::from_slice::<serde_json::Value>(text).map_err(|e| syntax_error(&e))?;
        require_objects(&value)?;
        let mut de = serde_json::Deserializer::from_slice(text);
        let config: Config = serde_path_to_error::deserialize(&mut de).map_err(|e| {
            let path = e.path().to_string();
            let inner = e.into_inner();
            if path == "." {
                Error::config(inner)
            } else {
                Error::config(format!("{path}: {inner}"))
            }
        })?;
        de.end().map_err(Error::config)?;
        Ok(config)
    }

    pub(crate) fn compile(&self) -> Result<Compiled, Error> {
        let mut enabled = [false; 2];
        for &name in &self.services {
            enabled[Service::from(name) as usize] = true;
        }
        let severity = self.severity.compile(enabled)?;
        let route_field = self.route.field.clone();
        let key_material = self.redact.compile(route_field.as_deref(), enabled)?;
        let routes = self.route.compile()?;
        let limits = &self.limits;
        if !(1..=MAX_EVENT_BYTES_CEILING).contains(&limits.max_event_bytes) {
            return Err(Error::config(format!(
                "limits.max_event_bytes: expected 1 to {MAX_EVENT_BYTES_CEILING}"
            )));
        }
        if !(1..=MAX_DEPTH_CEILING).contains(&limits.max_depth) {
            return Err(Error::config(format!(
                "limits.max_depth: expected 1 to {MAX_DEPTH_CEILING}"
            )));
        }
        if self.msgpack.line_member.as_deref() == Some("") {
            return Err(Error::config(
                "msgpack.line_member: a member name may not be empty",
            ));
        }
        Ok(Compiled {
            line_member: self.msgpack.line_member.clone(),
            severity,
            envelope: self.envelope == EnvelopeName::Auto,
            routes,
            key_material,
            route_field,
            max_event_bytes: limits.max_event_bytes as usize,
            max_depth: limits.max_depth as usize,
        })
    }
}

impl SeverityConfig {
    fn compile(&self, enabled: [bool; 2]) -> Result<SeverityRules, Error> {
        let mut actions = severity::builtin_actions(enabled, self.inferred);
        for (name, &sev) in &self.actions {
            if name.is_empty() {
                return Err(Error::config(
                    "severity.actions: an action name may not be empty",
                ));
            }
            let sev = Severity::from(sev);
            actions.insert(Box::from(name.as_bytes()), (sev, Origin::Configured));
            // Every spelling of a renamed action gets one severity.
            for other in severity::other_spellings(name) {
                match self.actions.get(&other) {
                    Some(&theirs) if Severity::from(theirs) != sev => {
                        return Err(Error::config(format!(
                            "severity.actions.{name}: differs from severity.actions.{other}, \
                             another spelling of the same action"
                        )));
                    }
                    _ => {
                        actions.insert(Box::from(other.as_bytes()), (sev, Origin::Configured));
                    }
                }
            }
        }
        let common = parse_status("severity.status", &self.status)?;
        let mut tables = severity::builtin_status();
        let mut tke_400 = Some(Severity::Critical);
        for (service, table) in Service::ALL.into_iter().zip(&mut tables) {
            let own = match self
                .services
                .iter()
                .find(|(n, _)| Service::from(**n) == service)
            {
                Some((_, c)) => parse_status(
                    &format!("severity.services.{}.status", service.name()),
                    &c.status,
                )?,
                None => Vec::new(),
            };
            for &(code, sev) in common.iter().chain(&own) {
                table.retain(|&(c, _, _)| c != code);
                table.push((code, sev, Origin::Configured));
                // A configured 400 for HPCS applies to its TKE actions too.
                if service == Service::Hpcs && code == 400 {
                    tke_400 = None;
                }
            }
        }
        let precedence = match self.precedence {
            PrecedenceName::Highest => Precedence::Highest,
            PrecedenceName::Status => Precedence::Status,
            PrecedenceName::Action => Precedence::Action,
        };
        Ok(SeverityRules::new(
            actions,
            tables,
            tke_400,
            enabled,
            self.default.into(),
            precedence,
        ))
    }
}

/// Status overrides as (code, severity), each code checked.
fn parse_status(
    path: &str,
    status: &BTreeMap<String, SeverityName>,
) -> Result<Vec<(u16, Severity)>, Error> {
    status
        .iter()
        .map(|(code, &sev)| {
            let parsed = code
                .parse::<u16>()
                .ok()
                .filter(|c| code.bytes().all(|b| b.is_ascii_digit()) && (100..=999).contains(c))
                .ok_or_else(|| {
                    Error::config(format!(
                        "{path}.{code}: expected an HTTP status code from 100 to 999"
                    ))
                })?;
            Ok((parsed, Severity::from(sev)))
        })
        .collect()
}

impl RedactConfig {
    fn compile(&self, route_field: Option<&str>, enabled: [bool; 2]) -> Result<KeyMaterial, Error> {
        for (i, name) in self.fields.iter().enumerate() {
            if name.is_empty() {
                return Err(Error::config(format!(
                    "redact.fields[{i}]: a field name may not be empty"
                )));
            }
            // Names are compared as the scanner compares member names:
            // ignoring ASCII case, so `Severity` would strip `severity`.
            if name.eq_ignore_ascii_case("severity") {
                return Err(Error::config(format!(
                    "redact.fields[{i}]: {name} names severity, the field the transform sets \
                     (names match without regard to ASCII case)"
                )));
            }
        }
        let mode = match self.mode {
            ModeName::Remove => RedactMode::Remove,
            ModeName::Mask => RedactMode::Mask(json::string_literal(&self.mask)),
        };
        let builtin = redact::builtin_names(enabled[Service::Hpcs as usize], self.inferred);
        let km = KeyMaterial::new(builtin.chain(self.fields.iter().map(String::as_str)), mode);
        if let Some(field) = route_field {
            if field.is_empty() {
                return Err(Error::config("route.field: may not be empty"));
            }
            if field.eq_ignore_ascii_case("severity") {
                return Err(Error::config(format!(
                    "route.field: {field} names severity, the field the transform sets \
                     (names match without regard to ASCII case)"
                )));
            }
            if km.contains(field.as_bytes()) {
                let which = if redact::is_builtin(field) {
                    "a built-in key-material name"
                } else {
                    "listed in redact.fields"
                };
                return Err(Error::config(format!(
                    "route.field: {field} is {which} (names match without regard to ASCII case)"
                )));
            }
        }
        Ok(km)
    }
}

impl RouteConfig {
    fn compile(&self) -> Result<RouteRules, Error> {
        let mut regions: HashMap<String, String> = REGION_TABLE
            .iter()
            .map(|&(kp, at)| (kp.to_owned(), at.to_owned()))
            .collect();
        for (region, at_region) in &self.regions {
            if region.is_empty() {
                return Err(Error::config(
                    "route.regions: a region name may not be empty",
                ));
            }
            check_route_name(&format!("route.regions.{region}"), at_region)?;
            regions.insert(region.clone(), at_region.clone());
        }
        let mut destinations = HashMap::new();
        for (at_region, name) in &self.destinations {
            let path = format!("route.destinations.{at_region}");
            if !regions.values().any(|r| r == at_region) {
                return Err(Error::config(format!(
                    "{path}: no region routes to an Activity Tracker region of that name"
                )));
            }
            check_route_name(&path, name)?;
            destinations.insert(at_region.clone(), name.clone());
        }
        check_route_name("route.unmatched", &self.unmatched)?;
        Ok(RouteRules::new(&regions, &destinations, &self.unmatched))
    }
}

/// A JSON syntax error as `line L, column C: what`.
fn syntax_error(e: &serde_json::Error) -> Error {
    let text = e.to_string();
    // serde_json appends the position to its description; it comes first here.
    let what = match text.rfind(" at line ") {
        Some(cut) => &text[..cut],
        None => &text,
    };
    Error::config(format!(
        "line {}, column {}: {what} (the configuration is not valid JSON)",
        e.line(),
        e.column()
    ))
}

/// serde would also read a section from a JSON array (its fields in
/// order); a config written that way is a mistake, so sections must be
/// objects.
fn require_objects(value: &serde_json::Value) -> Result<(), Error> {
    let Some(root) = value.as_object() else {
        return Err(Error::config("expected a JSON object"));
    };
    for section in ["severity", "redact", "route", "limits"] {
        if let Some(v) = root.get(section) {
            if !v.is_object() {
                return Err(Error::config(format!("{section}: expected a JSON object")));
            }
        }
    }
    Ok(())
}

/// Route names reach the host's own configuration (tags, file names), so
/// they must be visible text.
fn check_route_name(path: &str, name: &str) -> Result<(), Error> {
    if name.is_empty() {
        return Err(Error::config(format!(
            "{path}: a route name may not be empty"
        )));
    }
    if name.chars().any(char::is_control) {
        return Err(Error::config(format!(
            "{path}: a route name may not hold control characters"
        )));
    }
    Ok(())
}

//! Deterministic generator of synthetic IBM Key Protect activity-tracking
//! events, one compact JSON object per line (NDJSON).
//!
//! The events follow the shape of Key Protect's published Activity Tracker
//! events (action, outcome, reason.reasonCode, initiator, target,
//! requestData/responseData, correlationId, logSourceCRN) with the quirks
//! seen in the wild: renamed actions, zone locations, CRNs without their
//! scheme, events lacking logSourceCRN or target.id, and key material that an
//! unfiltered upstream leaks into requestData/responseData. Weights and
//! probabilities match the project's reference Python generator; the output
//! is not byte-identical to it because the PRNG differs.
//!
//! Standard library only, so integration tests and benchmarks can include it
//! with `#[path = "../examples/gen_events/corpus.rs"] mod corpus;`.

// Every includer (the example, tests, benchmarks) uses a different subset.
#![allow(dead_code)]

use std::io::{self, Write};

/// xoshiro256** seeded through splitmix64: fast, tiny and good enough that
/// the event mix matches its weights.
pub struct Rng {
    s: [u64; 4],
}

impl Rng {
    pub fn new(seed: u64) -> Self {
        let mut state = seed;
        let mut next = || {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        };
        // splitmix64 is a bijection of distinct counters, so the state can
        // never be all zero (the one state xoshiro cannot leave).
        Rng {
            s: [next(), next(), next(), next()],
        }
    }

    pub fn next_u64(&mut self) -> u64 {
        let result = self.s[1].wrapping_mul(5).rotate_left(7).wrapping_mul(9);
        let t = self.s[1] << 17;
        self.s[2] ^= self.s[0];
        self.s[3] ^= self.s[1];
        self.s[1] ^= self.s[2];
        self.s[0] ^= self.s[3];
        self.s[2] ^= t;
        self.s[3] = self.s[3].rotate_left(45);
        result
    }

    pub fn next_u128(&mut self) -> u128 {
        (u128::from(self.next_u64()) << 64) | u128::from(self.next_u64())
    }

    /// Uniform in `0..n` without modulo bias (Lemire's multiply-and-reject).
    pub fn below(&mut self, n: u64) -> u64 {
        assert!(n > 0, "Rng::below(0)");
        let mut m = u128::from(self.next_u64()) * u128::from(n);
        if (m as u64) < n {
            let threshold = n.wrapping_neg() % n;
            while (m as u64) < threshold {
                m = u128::from(self.next_u64()) * u128::from(n);
            }
        }
        (m >> 64) as u64
    }

    /// Uniform in `lo..=hi`, like Python's `randint`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    /// Uniform in `[0, 1)` with 53 bits of precision, like Python's `random()`.
    pub fn unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    pub fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    pub fn pick_weighted<'a, T>(&mut self, table: &'a [(T, u32)]) -> &'a T {
        let total: u64 = table.iter().map(|&(_, w)| u64::from(w)).sum();
        let mut r = self.below(total);
        for (item, w) in table {
            if r < u64::from(*w) {
                return item;
            }
            r -= u64::from(*w);
        }
        unreachable!("r < total weight")
    }

    pub fn fill_bytes(&mut self, buf: &mut [u8]) {
        for chunk in buf.chunks_mut(8) {
            let bytes = self.next_u64().to_le_bytes();
            chunk.copy_from_slice(&bytes[..chunk.len()]);
        }
    }
}

pub const ACTIONS: &[(&str, u32)] = &[
    ("kms.secrets.wrap", 30),
    ("kms.secrets.unwrap", 30),
    ("kms.secrets.read", 8),
    ("kms.secrets.readmetadata", 6),
    ("kms.secrets.list", 6),
    ("kms.secrets.head", 2),
    ("kms.secrets.create", 4),
    ("kms.secrets.rewrap", 3),
    ("kms.secrets.rotate", 2),
    ("kms.secrets.delete", 1),
    ("kms.secrets.restore", 1),
    ("kms.secrets.enable", 1),
    ("kms.secrets.disable", 1),
    ("kms.secrets.setkeyfordeletion", 1),
    ("kms.secrets.unsetkeyfordeletion", 1),
    ("kms.secrets.listkeyversions", 1),
    ("kms.secrets.eventack", 1),
    ("kms.secrets.default", 1),
    ("kms.policies.read", 1),
    ("kms.policies.write", 1),
    ("kms.instancepolicies.read", 1),
    ("kms.instancepolicies.write", 1),
    ("kms.policies.default", 1),
    ("kms.instancepolicies.default", 1),
    ("kms.importtoken.create", 1),
    ("kms.importtoken.read", 1),
    ("kms.importtoken.default", 1),
    ("kms.registrations.list", 1),
    ("kms.registrations.default", 1),
    ("kms.registrations.create", 1),
    ("kms.registrations.delete", 1),
    ("kms.secrets.ack-rotate", 1),
    // Named by the newer documentation, most without a documented severity.
    ("kms.secrets.purge", 1),
    ("kms.secrets.expire", 1),
    ("kms.secrets.patch", 1),
    ("kms.kmip.create", 1),
    ("kms.kmip.get", 1),
    ("kms.kmip.activate", 1),
    ("kms.kmip.revoke", 1),
    ("kms.kmip.destroy", 1),
    ("kms.kmip-management.create", 1),
    ("kms.kmip-management.delete", 1),
    ("kms.keyrings.create", 1),
    ("kms.keyrings.delete", 1),
    ("kms.keyrings.default", 1),
    ("kms.secrets.createalias", 1),
    ("kms.secrets.deletealias", 1),
    ("kms.secrets.defaultalias", 1),
    ("kms.governance.configread", 1),
    ("kms.instance.readallowedipport", 1),
    ("kms.instance.readipwhitelistport", 1),
];

/// Hyper Protect Crypto Services actions (they share the stream): EP11
/// crypto calls dominate, then the KMS key API, keystores, UKO, the
/// certificate manager and crypto-unit (TKE) administration.
pub const HPCS_ACTIONS: &[(&str, u32)] = &[
    ("hs-crypto.ep11.use", 30),
    ("hs-crypto.secrets.wrap", 12),
    ("hs-crypto.secrets.unwrap", 12),
    ("hs-crypto.secrets.read", 3),
    ("hs-crypto.secrets.readmetadata", 2),
    ("hs-crypto.secrets.create", 2),
    ("hs-crypto.secrets.rotate", 1),
    ("hs-crypto.secrets.delete", 1),
    ("hs-crypto.secrets.purge", 1),
    ("hs-crypto.instancepolicies.write", 1),
    ("hs-crypto.hs-crypto.instance-policies.write", 1),
    ("hs-crypto.keystore.listkeysbyids", 2),
    ("hs-crypto.keystore.storenewkey", 1),
    ("hs-crypto.keystore.deletekey", 1),
    ("hs-crypto.keystore.updatekey", 1),
    ("hs-crypto.managed-keys.read", 2),
    ("hs-crypto.managed-keys.write", 1),
    ("hs-crypto.managed-keys.delete", 1),
    ("hs-crypto.target-keystores.write", 1),
    ("hs-crypto.vaults.list", 1),
    ("hs-crypto.key-templates.delete", 1),
    ("hs-crypto.kmip-key.destroy", 1),
    ("hs-crypto.kmip-key.revoke", 1),
    ("hs-crypto.mtlscert-cert.list", 1),
    ("hs-crypto.mtlscert-cert.set", 1),
    ("hs-crypto.mtlscert-admin-key.create", 1),
    ("hs-crypto.tke-cryptounit-admin.add", 1),
    ("hs-crypto.tke-cryptounit-threshold.set", 1),
    ("hs-crypto.tke-cryptounit-master-key-register.add", 1),
    ("hs-crypto.tke-cryptounit-master-key-register.commit", 1),
    (
        "hs-crypto.tke-cryptounit-current-master-key-register.clear",
        1,
    ),
    ("hs-crypto.tke-cryptounit.reset", 1),
];

/// Where HPCS runs (au-syd only until 2024).
pub const HPCS_REGIONS: &[(&str, u32)] = &[
    ("us-south", 30),
    ("us-east", 20),
    ("eu-de", 20),
    ("eu-gb", 8),
    ("eu-es", 4),
    ("br-sao", 3),
    ("jp-tok", 8),
    ("ca-tor", 3),
    ("au-syd", 1),
    ("xx-unknown", 1),
];

/// The share of HPCS events and of envelopes in a corpus.
#[derive(Clone, Copy, Debug)]
pub struct Mix {
    /// Hyper Protect Crypto Services events among all events.
    pub hpcs: f64,
    /// Events wrapped in Activity Tracker's ingestion envelope.
    pub envelope: f64,
}

/// What `event` and `write_corpus` generate.
pub const DEFAULT_MIX: Mix = Mix {
    hpcs: 0.10,
    envelope: 0.02,
};

/// Key Protect events only, none wrapped.
pub const KEY_PROTECT_ONLY: Mix = Mix {
    hpcs: 0.0,
    envelope: 0.0,
};

/// "xx-unknown" exercises routing for a region the transform does not know.
pub const REGIONS: &[(&str, u32)] = &[
    ("us-south", 30),
    ("us-east", 15),
    ("eu-gb", 12),
    ("eu-de", 15),
    ("au-syd", 8),
    ("jp-tok", 8),
    ("jp-osa", 3),
    ("ca-tor", 3),
    ("br-sao", 2),
    ("eu-es", 2),
    ("xx-unknown", 1),
];

pub const STATUSES: &[((u16, &str), u32)] = &[
    ((200, "OK"), 70),
    ((201, "Created"), 8),
    ((204, "No Content"), 6),
    ((400, "Bad Request"), 4),
    ((401, "Unauthorized"), 3),
    ((403, "Forbidden"), 2),
    ((404, "Not Found"), 2),
    ((409, "Conflict"), 2),
    ((424, "Failed Dependency"), 1),
    ((500, "Internal Server Error"), 1),
    ((502, "Bad Gateway"), 1),
    ((503, "Service Unavailable"), 1),
    ((504, "Gateway Timeout"), 1),
    ((507, "Insufficient Storage"), 1),
];

pub const KEY_MATERIAL: [&str; 7] = [
    "payload",
    "encryptedNonce",
    "iv",
    "plaintext",
    "ciphertext",
    "aad",
    "nonce",
];

const LEAK_SIZES: [usize; 4] = [16, 32, 48, 256];

/// Later Key Protect releases renamed some actions (HPCS the same under
/// its prefix); both spellings occur in the wild.
pub fn renamed(action: &str) -> Option<String> {
    let (prefix, rest) = action.split_once('.')?;
    let new = match rest {
        "governance.configread" => "governance-config.read",
        "importtoken.create" => "import-token.create",
        "importtoken.read" => "import-token.read",
        "importtoken.default" => "import-token.request",
        "instance.readallowedipport" => "instance-allowed-ip-port.read",
        "instance.readipwhitelistport" => "instance-ip-allowlist-port.read",
        "instancepolicies.write" => "instance-policies.write",
        "instancepolicies.read" => "instance-policies.read",
        "instancepolicies.default" => "instance-policies.request",
        "keyrings.create" => "key-rings.create",
        "keyrings.delete" => "key-rings.delete",
        "keyrings.list" => "key-rings.list",
        "keyrings.default" => "key-rings.request",
        "secrets.defaultalias" => "secrets-alias.request",
        "secrets.createalias" => "secrets-alias.create",
        "secrets.deletealias" => "secrets-alias.delete",
        "secrets.eventack" => "secrets-event.ack",
        "secrets.listkeyversions" => "secrets-key-versions.list",
        "secrets.readmetadata" => "secrets-metadata.read",
        _ => return None,
    };
    Some(format!("{prefix}.{new}"))
}

/// One generated event as compact single-line JSON, without a newline.
pub fn event(rng: &mut Rng) -> String {
    let mut out = String::with_capacity(1536);
    write_event(rng, &mut out);
    out
}

/// One event of the given mix.
pub fn event_of(rng: &mut Rng, mix: &Mix) -> String {
    let mut out = String::with_capacity(1536);
    write_event_of(rng, mix, &mut out);
    out
}

/// Appends one event of the default mix to `out`.
pub fn write_event(rng: &mut Rng, out: &mut String) {
    write_event_of(rng, &DEFAULT_MIX, out);
}

/// Appends one event of `mix` to `out`: a Key Protect or an HPCS event,
/// possibly wrapped in the ingestion envelope
/// (`{"payload": {<event>}, "logSourceCRN": ..., "saveServiceCopy": true}`),
/// whose `logSourceCRN` is then the envelope's.
pub fn write_event_of(rng: &mut Rng, mix: &Mix, out: &mut String) {
    let hpcs = rng.chance(mix.hpcs);
    let envelope = rng.chance(mix.envelope);
    if !envelope {
        write_service_event(rng, hpcs, None, out);
        return;
    }
    out.push_str("{\"payload\":");
    let mut crn = String::new();
    write_service_event(rng, hpcs, Some(&mut crn), out);
    if !crn.is_empty() {
        out.push_str(",\"logSourceCRN\":\"");
        out.push_str(&crn);
        out.push('"');
    }
    out.push_str(",\"saveServiceCopy\":true}");
}

#[derive(Clone, Copy)]
struct Leak {
    field: &'static str,
    len: usize,
    into_request: bool,
}

/// Appends one event to `out`; lets a caller reuse one buffer for a corpus.
/// With `envelope_crn`, the event's logSourceCRN is written there instead
/// of into the event (for the envelope around it).
///
/// The decisions are drawn in the reference generator's order, but values
/// that only appear in the output (timestamps, names, leaked bytes) are drawn
/// while writing, which keeps this a single pass without a JSON tree.
fn write_service_event(
    rng: &mut Rng,
    hpcs: bool,
    envelope_crn: Option<&mut String>,
    out: &mut String,
) {
    let (actions, regions, crn_service, product) = if hpcs {
        (
            HPCS_ACTIONS,
            HPCS_REGIONS,
            "hs-crypto",
            "Hyper Protect Crypto Services",
        )
    } else {
        (ACTIONS, REGIONS, "kms", "Key Protect")
    };
    let listed = *rng.pick_weighted(actions);
    let region = *rng.pick_weighted(regions);
    let (status, reason) = *rng.pick_weighted(STATUSES);
    let account = rng.next_u128();
    let instance = rng.next_u128();
    let key_id = rng.next_u128();
    let renamed_action = renamed(listed);
    let action: &str = match &renamed_action {
        Some(new) if rng.chance(0.3) => new,
        _ => listed,
    };
    // The action without its service prefix decides the event's shape.
    let op = action.split_once('.').map_or(action, |(_, op)| op);
    let tke = op.starts_with("tke-cryptounit");
    // Which endpoint the request went to (a share of each documented shape).
    let host = pick_host(rng, hpcs, region);
    // A zone inside the region, as some multi-zone regions report.
    let zone = if matches!(region, "eu-de" | "jp-tok") && rng.chance(0.05) {
        Some(rng.range(1, 3))
    } else {
        None
    };
    // Seen in published samples: a logSourceCRN without its "crn:" scheme.
    let schemeless_crn = rng.chance(0.01);
    let private_host = rng.chance(0.2);
    let ok = status < 400;
    let instance_key = if rng.chance(0.7) {
        "instanceID"
    } else {
        "instanceId"
    };
    let key_type = if op.starts_with("secrets") && (op.ends_with("create") || op.ends_with("read"))
    {
        Some(*rng.pick(&["root_key", "standard_key"]))
    } else {
        None
    };
    let metadata = if matches!(
        op,
        "secrets.create" | "secrets.read" | "secrets.readmetadata"
    ) {
        Some((
            rng.next_u128(),
            rng.range(1, 28),
            rng.range(0, 59),
            *rng.pick(&[0u8, 1, 1, 1, 2, 3, 5]),
        ))
    } else {
        None
    };
    let wrap_version = if matches!(
        op,
        "secrets.wrap" | "secrets.unwrap" | "secrets.rewrap" | "secrets.restore"
    ) {
        Some(rng.next_u128())
    } else {
        None
    };
    let total_resources = if matches!(
        op,
        "secrets.list" | "secrets.head" | "secrets.listkeyversions" | "registrations.list"
    ) {
        Some(rng.range(0, 5000))
    } else {
        None
    };
    let max_retrievals = if op == "importtoken.create" {
        Some(rng.range(1, 10))
    } else {
        None
    };
    let ack_event = if op == "secrets.ack-rotate" {
        Some(rng.next_u128())
    } else {
        None
    };

    // An unfiltered upstream leaks key material in a share of events.
    let mut leaks = [Leak {
        field: "",
        len: 0,
        into_request: false,
    }; 3];
    let mut n_leaks = 0;
    if rng.chance(0.35) {
        n_leaks = rng.range(1, 3) as usize;
        let mut fields = KEY_MATERIAL;
        for (i, leak) in leaks.iter_mut().enumerate().take(n_leaks) {
            let j = i + rng.below((fields.len() - i) as u64) as usize;
            fields.swap(i, j);
            let field = fields[i];
            let len = if field == "aad" {
                16
            } else {
                *rng.pick(&LEAK_SIZES)
            };
            *leak = Leak {
                field,
                len,
                into_request: rng.chance(0.6),
            };
        }
    }
    let leaks = &leaks[..n_leaks];
    // Legacy event shape that still carried request headers.
    let request_header = rng.chance(0.02);
    // UKO writes carry whole request bodies; a missed upstream redaction
    // leaves a cloud credential in one.
    let credential = if hpcs && op.ends_with(".write") && rng.chance(0.5) {
        Some(*rng.pick(&[
            "aws_secret_access_key",
            "azure_service_principal_password",
            "ibm_api_key",
            "secret_access_key",
        ]))
    } else {
        None
    };
    let r = rng.unit();
    // Routing must fall back to target.id, and then to the request URI's host.
    let drop_log_source = r < 0.03;
    let drop_target_id = (0.02..0.03).contains(&r);

    let location = |out: &mut String| {
        push_escaped(out, region);
        if let Some(z) = zone {
            out.push('-');
            push_uint(out, z);
        }
    };

    out.push_str("{\"eventTime\":\"2026-11-");
    push_padded(out, rng.range(1, 28), 2);
    out.push('T');
    push_padded(out, rng.range(0, 23), 2);
    out.push(':');
    push_padded(out, rng.range(0, 59), 2);
    out.push(':');
    push_padded(out, rng.range(0, 59), 2);
    out.push('.');
    push_padded(out, rng.range(0, 999), 3);
    out.push_str("+0000\",\"action\":");
    push_str_value(out, action);
    out.push_str(",\"outcome\":\"");
    out.push_str(if ok { "success" } else { "failure" });
    out.push_str("\",\"reason\":{\"reasonCode\":");
    push_uint(out, u64::from(status));
    out.push_str(",\"reasonType\":");
    push_str_value(out, reason);
    out.push_str("},\"severity\":\"normal\",\"initiator\":{\"id\":\"IBMid-");
    push_padded(out, rng.next_u64() >> 34, 10);
    out.push_str("\",\"typeURI\":\"service/security/account/user\",\"name\":\"user");
    push_uint(out, rng.range(1, 500));
    out.push_str("@example.com\",\"host\":{\"address\":\"192.0.2.");
    push_uint(out, rng.range(1, 254));
    out.push_str(
        "\",\"addressType\":\"IPv4\",\"agent\":\"Go-http-client/1.1\"},\
         \"credential\":{\"type\":\"token\"},\"authnName\":\"user\",\"authnId\":\"IBMid-",
    );
    push_padded(out, rng.next_u64() >> 34, 10);
    out.push_str("\"},\"target\":{");
    if !drop_target_id {
        out.push_str("\"id\":\"crn:v1:bluemix:public:");
        out.push_str(crn_service);
        out.push(':');
        location(out);
        out.push_str(":a/");
        push_hex(out, account, 32);
        out.push(':');
        push_uuid(out, instance);
        out.push_str(if tke { ":crypto-unit:" } else { ":key:" });
        push_uuid(out, key_id);
        out.push_str("\",");
    }
    out.push_str("\"name\":\"key-");
    push_uint(out, rng.range(1, 10000));
    out.push_str(if tke {
        "\",\"typeURI\":\"hs-crypto/tke-cryptounit/master-key-register\"},"
    } else if hpcs {
        "\",\"typeURI\":\"hs-crypto/secrets\"},"
    } else {
        "\",\"typeURI\":\"kms/secrets\"},"
    });
    out.push_str("\"observer\":{\"name\":\"ActivityTracker\"}");

    out.push_str(",\"requestData\":{\"requestURI\":\"https://");
    write_host(out, host, private_host, region, instance);
    if let Some(verb) = action.strip_prefix("hs-crypto.managed-keys.") {
        // UKO's API; a write is an update or a state change, the destroy
        // among them (chosen from the key's id, so the stream of random
        // numbers, and the rest of the corpus, stay as they were).
        out.push_str("/api/v4/managed_keys/");
        push_uuid(out, key_id);
        if verb == "write" {
            out.push_str(["", "/activate", "/deactivate", "/destroy"][(key_id & 3) as usize]);
        }
    } else {
        out.push_str("/api/v2/keys/");
        push_uuid(out, key_id);
        out.push_str("?action=");
        push_escaped(out, action.rsplit('.').next().unwrap_or(action));
    }
    out.push_str("\",\"");
    out.push_str(instance_key);
    out.push_str("\":\"");
    push_uuid(out, instance);
    out.push('"');
    if let Some(t) = key_type {
        out.push_str(",\"keyType\":");
        push_str_value(out, t);
    }
    let mut first = false;
    for leak in leaks.iter().filter(|l| l.into_request) {
        push_leak(rng, out, &mut first, leak);
    }
    if tke {
        // The crypto unit, and SHA-256 hashes of administrator keys: not
        // key material, they identify who did what.
        out.push_str(",\"location\":\"[");
        push_escaped(out, region);
        out.push_str("].[AZ2-CSSTAG2].[03].[22]\",\"adminId\":\"");
        push_hex(out, rng.next_u128(), 32);
        push_hex(out, rng.next_u128(), 32);
        out.push('"');
    }
    if let Some(name) = credential {
        out.push_str(",\"");
        out.push_str(name);
        out.push_str("\":\"");
        push_random_base64(rng, out, 30);
        out.push('"');
    }
    if request_header {
        out.push_str(",\"requestHeader\":{\"authorization\":\"Bearer ");
        push_random_base64(rng, out, 96);
        out.push_str("\",\"content-type\":\"application/json\"}");
    }

    out.push_str("},\"responseData\":{");
    let mut first = true;
    if let Some((version, day, minute, state)) = metadata {
        key(out, &mut first, "keyId");
        out.push('"');
        push_uuid(out, key_id);
        out.push_str("\",\"keyVersionId\":\"");
        push_uuid(out, version);
        out.push_str("\",\"keyVersionCreationDate\":\"2026-11-");
        push_padded(out, day, 2);
        out.push_str("T10:");
        push_padded(out, minute, 2);
        out.push_str(":00Z\",\"keyState\":");
        push_uint(out, u64::from(state));
    }
    if let Some(version) = wrap_version {
        key(out, &mut first, "keyVersionId");
        out.push('"');
        push_uuid(out, version);
        out.push('"');
    }
    if let Some(total) = total_resources {
        key(out, &mut first, "totalResources");
        push_uint(out, total);
    }
    if let Some(max) = max_retrievals {
        key(out, &mut first, "expirationDate");
        out.push_str("\"2026-11-30T00:00:00Z\",\"maxAllowedRetrievals\":");
        push_uint(out, max);
    }
    if let Some(event_id) = ack_event {
        key(out, &mut first, "eventAckData");
        out.push_str("{\"eventId\":\"");
        push_uuid(out, event_id);
        out.push_str(
            "\",\"eventType\":\"rotation\",\"keyState\":\"DEK_ENABLED\",\
             \"eventAckTimeStamp\":\"2026-11-13T14:10:12Z\"}",
        );
    }
    for leak in leaks.iter().filter(|l| !l.into_request) {
        push_leak(rng, out, &mut first, leak);
    }

    // TKE events carry no correlationId.
    if tke {
        out.push('}');
    } else {
        out.push_str("},\"correlationId\":\"");
        push_uuid(out, rng.next_u128());
        out.push('"');
    }
    if !drop_log_source {
        let mut crn = String::with_capacity(128);
        if !schemeless_crn {
            crn.push_str("crn:");
        }
        crn.push_str("v1:bluemix:public:");
        crn.push_str(crn_service);
        crn.push(':');
        location(&mut crn);
        crn.push_str(":a/");
        push_hex(&mut crn, account, 32);
        crn.push(':');
        push_uuid(&mut crn, instance);
        crn.push_str("::");
        match envelope_crn {
            Some(outer) => *outer = crn,
            None => {
                out.push_str(",\"logSourceCRN\":\"");
                out.push_str(&crn);
                out.push('"');
            }
        }
    }
    out.push_str(",\"saveServiceCopy\":true,\"dataEvent\":");
    let data_event = matches!(
        op,
        "secrets.wrap" | "secrets.unwrap" | "secrets.read" | "ep11.use"
    );
    out.push_str(if data_event { "true" } else { "false" });
    out.push_str(",\"message\":\"");
    out.push_str(product);
    out.push_str(": ");
    push_escaped(out, action.split_once('.').map_or(action, |(_, rest)| rest));
    out.push_str(if ok { " succeeded\"}" } else { " failed\"}" });
}

/// Which endpoint host a request went to.
#[derive(Clone, Copy)]
enum Host {
    /// `<region>.kms.cloud.ibm.com` (or `private.`).
    Classic,
    /// `qsc.` / `private-qsc.<region>.kms.cloud.ibm.com`.
    QuantumSafe,
    /// `<instance>.api.<region>.kms.appdomain.cloud`.
    Dedicated,
    /// `keyprotect.<region>.bluemix.net`, before December 2018.
    Legacy,
    /// `api.<region>.hs-crypto.cloud.ibm.com` (or `api.private.`).
    HpcsPort,
    /// `<instance>.api.<region>.hs-crypto.appdomain.cloud`.
    HpcsInstance,
}

fn pick_host(rng: &mut Rng, hpcs: bool, region: &str) -> Host {
    if hpcs {
        return if rng.chance(0.5) {
            Host::HpcsInstance
        } else {
            Host::HpcsPort
        };
    }
    let r = rng.unit();
    if r < 0.05 && matches!(region, "us-south" | "eu-gb" | "eu-de") {
        Host::QuantumSafe
    } else if r < 0.08 && matches!(region, "us-south" | "us-east" | "eu-de" | "eu-es") {
        Host::Dedicated
    } else if r < 0.09 {
        Host::Legacy
    } else {
        Host::Classic
    }
}

fn write_host(out: &mut String, host: Host, private: bool, region: &str, instance: u128) {
    match host {
        Host::Classic | Host::QuantumSafe => {
            out.push_str(match (host, private) {
                (Host::Classic, false) => "",
                (Host::Classic, true) => "private.",
                (_, false) => "qsc.",
                (_, true) => "private-qsc.",
            });
            push_escaped(out, region);
            out.push_str(".kms.cloud.ibm.com");
        }
        Host::Dedicated => {
            push_hex(out, instance, 32);
            out.push_str(".api.");
            push_escaped(out, region);
            out.push_str(".kms.appdomain.cloud");
        }
        Host::Legacy => {
            out.push_str("keyprotect.");
            push_escaped(out, region);
            out.push_str(".bluemix.net");
        }
        Host::HpcsPort => {
            out.push_str(if private { "api.private." } else { "api." });
            push_escaped(out, region);
            out.push_str(".hs-crypto.cloud.ibm.com:9730");
        }
        Host::HpcsInstance => {
            push_hex(out, instance, 32);
            out.push_str(if private { ".api.private." } else { ".api." });
            push_escaped(out, region);
            out.push_str(".hs-crypto.appdomain.cloud");
        }
    }
}

fn key(out: &mut String, first: &mut bool, name: &str) {
    if !*first {
        out.push(',');
    }
    *first = false;
    push_str_value(out, name);
    out.push(':');
}

fn push_leak(rng: &mut Rng, out: &mut String, first: &mut bool, leak: &Leak) {
    key(out, first, leak.field);
    // aad is a list in Key Protect's wrap API; keep that shape.
    let list = leak.field == "aad";
    out.push_str(if list { "[\"" } else { "\"" });
    push_random_base64(rng, out, leak.len);
    out.push_str(if list { "\"]" } else { "\"" });
}

fn push_random_base64(rng: &mut Rng, out: &mut String, len: usize) {
    let mut buf = [0u8; 256];
    let bytes = &mut buf[..len];
    rng.fill_bytes(bytes);
    push_base64(out, bytes);
}

/// Standard alphabet, padded, as Python's `base64.b64encode`.
pub fn push_base64(out: &mut String, bytes: &[u8]) {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    out.reserve(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        out.push(char::from(ALPHABET[(n >> 18) as usize & 63]));
        out.push(char::from(ALPHABET[(n >> 12) as usize & 63]));
        out.push(if chunk.len() > 1 {
            char::from(ALPHABET[(n >> 6) as usize & 63])
        } else {
            '='
        });
        out.push(if chunk.len() > 2 {
            char::from(ALPHABET[n as usize & 63])
        } else {
            '='
        });
    }
}

/// A JSON string literal, quotes included.
pub fn push_str_value(out: &mut String, s: &str) {
    out.push('"');
    push_escaped(out, s);
    out.push('"');
}

/// Escapes `s` for the inside of a JSON string literal. Escaping works char
/// by char, so a literal may be assembled from separately escaped pieces;
/// digits, hex and base64 need none and are pushed directly.
pub fn push_escaped(out: &mut String, s: &str) {
    let needs = |b: u8| b < 0x20 || b == b'"' || b == b'\\';
    if !s.bytes().any(needs) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '\u{08}' => out.push_str("\\b"),
            '\u{0c}' => out.push_str("\\f"),
            c if (c as u32) < 0x20 => {
                out.push_str("\\u00");
                push_hex(out, u128::from(c as u32), 2);
            }
            c => out.push(c),
        }
    }
}

fn push_uint(out: &mut String, n: u64) {
    push_padded(out, n, 1);
}

/// Decimal, zero-padded to at least `width` digits (Python's `%0Nd`).
fn push_padded(out: &mut String, mut n: u64, width: usize) {
    let mut buf = [b'0'; 20];
    let mut i = buf.len();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    let start = i.min(buf.len() - width.min(buf.len()));
    out.push_str(std::str::from_utf8(&buf[start..]).expect("ASCII digits"));
}

/// The low `digits` hex digits of `n`, lowercase.
fn push_hex(out: &mut String, n: u128, digits: u32) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    for i in (0..digits).rev() {
        out.push(char::from(HEX[(n >> (4 * i)) as usize & 15]));
    }
}

/// 8-4-4-4-12 of all 128 bits, as Python's `str(uuid.UUID(int=...))`.
fn push_uuid(out: &mut String, n: u128) {
    push_hex(out, n >> 96, 8);
    out.push('-');
    push_hex(out, n >> 80, 4);
    out.push('-');
    push_hex(out, n >> 64, 4);
    out.push('-');
    push_hex(out, n >> 48, 4);
    out.push('-');
    push_hex(out, n, 12);
}

/// Writes NDJSON until `count` events or until at least `max_bytes` bytes
/// were written, whichever comes first; with neither, until `w` fails. The
/// byte limit is checked before each event, like the reference generator's
/// `--size-mb`, so the last line may overshoot it.
pub fn write_corpus(
    rng: &mut Rng,
    mix: &Mix,
    w: &mut impl Write,
    count: Option<u64>,
    max_bytes: Option<u64>,
) -> io::Result<(u64, u64)> {
    let mut line = String::with_capacity(4096);
    let (mut events, mut bytes) = (0u64, 0u64);
    while under_limits(events, bytes, count, max_bytes) {
        line.clear();
        write_event_of(rng, mix, &mut line);
        line.push('\n');
        w.write_all(line.as_bytes())?;
        bytes += line.len() as u64;
        events += 1;
    }
    Ok((events, bytes))
}

/// The loop condition of [`write_corpus`], for callers that write lines
/// themselves.
pub fn under_limits(events: u64, bytes: u64, count: Option<u64>, max_bytes: Option<u64>) -> bool {
    let under = |limit: Option<u64>, n: u64| match limit {
        Some(limit) => n < limit,
        None => true,
    };
    under(count, events) && under(max_bytes, bytes)
}

/// A corrupted copy of `line` that no strict JSON parser accepts, for testing
/// the accounting of rejected events. A trailing newline is kept so the
/// corruption stays on its own line.
pub fn corrupt_line(rng: &mut Rng, line: &[u8]) -> Vec<u8> {
    let newline = if line.ends_with(b"\r\n") {
        2
    } else if line.ends_with(b"\n") {
        1
    } else {
        0
    };
    let (body, tail) = line.split_at(line.len() - newline);
    let mut bad = body.to_vec();
    let content_end = body
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(0, |i| i + 1);
    match rng.below(5) {
        0 if content_end > 1 => {
            // A proper prefix of an object never closes it.
            bad.truncate(rng.range(1, content_end as u64 - 1) as usize);
        }
        1 => {
            // Only bytes outside strings: a lenient (lossy UTF-8) reader
            // would otherwise still accept a flipped byte inside a value.
            let structural = structural_positions(body);
            if structural.is_empty() {
                bad.insert(rng.range(0, bad.len() as u64) as usize, 0xff);
            } else {
                // ASCII ^ 0x80 is never a newline.
                bad[*rng.pick(&structural)] ^= 0x80;
            }
        }
        2 => {
            // A raw control character is invalid inside and outside strings.
            bad.insert(rng.range(0, bad.len() as u64) as usize, 0);
        }
        3 => {
            bad.insert(rng.range(0, bad.len() as u64) as usize, 0xff);
        }
        _ => match bad.iter().rposition(|&b| b == b'}') {
            Some(i) => {
                bad.remove(i);
            }
            None => bad.push(b'{'),
        },
    }
    // The reasoning above assumes an object; anything else gets an unbalanced
    // brace, which no JSON text survives.
    if bad.as_slice() == body || body.first() != Some(&b'{') {
        bad.push(b'{');
    }
    bad.extend_from_slice(tail);
    bad
}

/// Offsets of `{}[]:,` outside string literals.
fn structural_positions(json: &[u8]) -> Vec<usize> {
    let (mut in_string, mut escaped) = (false, false);
    let mut found = Vec::new();
    for (i, &b) in json.iter().enumerate() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
        } else if b == b'"' {
            in_string = true;
        } else if b"{}[]:,".contains(&b) {
            found.push(i);
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Minimal strict RFC 8259 validator, so the tests need no JSON crate.
    fn is_json(text: &[u8]) -> bool {
        struct P<'a> {
            b: &'a [u8],
            i: usize,
        }
        impl P<'_> {
            fn peek(&self) -> Option<u8> {
                self.b.get(self.i).copied()
            }
            fn eat(&mut self, c: u8) -> bool {
                let hit = self.peek() == Some(c);
                self.i += usize::from(hit);
                hit
            }
            fn ws(&mut self) {
                while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
                    self.i += 1;
                }
            }
            fn lit(&mut self, s: &[u8]) -> bool {
                let hit = self.b[self.i..].starts_with(s);
                self.i += if hit { s.len() } else { 0 };
                hit
            }
            fn digits(&mut self) -> bool {
                let start = self.i;
                while matches!(self.peek(), Some(b'0'..=b'9')) {
                    self.i += 1;
                }
                self.i > start
            }
            fn number(&mut self) -> bool {
                self.eat(b'-');
                let int_part =
                    self.eat(b'0') || (matches!(self.peek(), Some(b'1'..=b'9')) && self.digits());
                if !int_part {
                    return false;
                }
                if self.eat(b'.') && !self.digits() {
                    return false;
                }
                if self.eat(b'e') || self.eat(b'E') {
                    let _ = self.eat(b'+') || self.eat(b'-');
                    return self.digits();
                }
                true
            }
            fn string(&mut self) -> bool {
                if !self.eat(b'"') {
                    return false;
                }
                loop {
                    match self.peek() {
                        None => return false,
                        Some(b'"') => {
                            self.i += 1;
                            return true;
                        }
                        Some(c) if c < 0x20 => return false,
                        Some(b'\\') => {
                            self.i += 1;
                            match self.peek() {
                                Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                                    self.i += 1
                                }
                                Some(b'u') => {
                                    self.i += 1;
                                    for _ in 0..4 {
                                        if !matches!(self.peek(), Some(c) if c.is_ascii_hexdigit())
                                        {
                                            return false;
                                        }
                                        self.i += 1;
                                    }
                                }
                                _ => return false,
                            }
                        }
                        Some(_) => self.i += 1,
                    }
                }
            }
            fn seq(&mut self, close: u8, member: fn(&mut Self) -> bool) -> bool {
                self.i += 1;
                self.ws();
                if self.eat(close) {
                    return true;
                }
                loop {
                    self.ws();
                    if !member(self) {
                        return false;
                    }
                    self.ws();
                    if self.eat(close) {
                        return true;
                    }
                    if !self.eat(b',') {
                        return false;
                    }
                }
            }
            fn pair(&mut self) -> bool {
                if !self.string() {
                    return false;
                }
                self.ws();
                if !self.eat(b':') {
                    return false;
                }
                self.ws();
                self.value()
            }
            fn value(&mut self) -> bool {
                match self.peek() {
                    Some(b'{') => self.seq(b'}', Self::pair),
                    Some(b'[') => self.seq(b']', Self::value),
                    Some(b'"') => self.string(),
                    Some(b't') => self.lit(b"true"),
                    Some(b'f') => self.lit(b"false"),
                    Some(b'n') => self.lit(b"null"),
                    _ => self.number(),
                }
            }
        }
        if std::str::from_utf8(text).is_err() {
            return false;
        }
        let mut p = P { b: text, i: 0 };
        p.ws();
        let ok = p.value();
        p.ws();
        ok && p.i == text.len()
    }

    #[test]
    fn validator_sanity() {
        assert!(is_json(
            br#"{"a":[1,-2.5e3,"x\u0041"],"b":{},"c":true,"d":null}"#
        ));
        assert!(!is_json(br#"{"a":1"#));
        assert!(!is_json(br#"{"a":01}"#));
        assert!(!is_json(b"{\"a\":\"\x01\"}"));
        assert!(!is_json(b"{} {"));
    }

    #[test]
    fn same_seed_same_events() {
        let (mut a, mut b, mut c) = (Rng::new(7), Rng::new(7), Rng::new(8));
        let first: Vec<String> = (0..200).map(|_| event(&mut a)).collect();
        let second: Vec<String> = (0..200).map(|_| event(&mut b)).collect();
        let other: Vec<String> = (0..200).map(|_| event(&mut c)).collect();
        assert_eq!(first, second);
        assert_ne!(first, other);
    }

    #[test]
    fn events_are_single_line_json_objects() {
        let mut rng = Rng::new(1);
        for _ in 0..5000 {
            let e = event(&mut rng);
            assert!(!e.contains('\n'), "{e}");
            assert!(
                e.starts_with("{\"eventTime\":") || e.starts_with("{\"payload\":{\"eventTime\":"),
                "{e}"
            );
            assert!(is_json(e.as_bytes()), "{e}");
        }
    }

    #[test]
    fn corrupt_line_is_never_json() {
        let mut rng = Rng::new(3);
        let mut corrupt = Rng::new(4);
        for _ in 0..5000 {
            let mut line = event(&mut rng);
            line.push('\n');
            let bad = corrupt_line(&mut corrupt, line.as_bytes());
            assert_ne!(bad, line.as_bytes());
            assert!(bad.ends_with(b"\n"));
            assert!(!bad[..bad.len() - 1].contains(&b'\n'));
            assert!(!is_json(&bad), "{}", String::from_utf8_lossy(&bad));
        }
        for odd in [&b""[..], b"\n", b"1", b"[]", b"{}  ", b"\"}\""] {
            let bad = corrupt_line(&mut corrupt, odd);
            assert_ne!(bad, odd);
            assert!(!is_json(&bad), "{:?}", String::from_utf8_lossy(&bad));
        }
    }

    #[test]
    fn write_corpus_stops_at_limits() {
        let mut out = Vec::new();
        let (n, bytes) =
            write_corpus(&mut Rng::new(1), &DEFAULT_MIX, &mut out, Some(10), None).unwrap();
        assert_eq!((n, bytes), (10, out.len() as u64));
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 10);

        let mut out = Vec::new();
        let (n, bytes) = write_corpus(
            &mut Rng::new(1),
            &DEFAULT_MIX,
            &mut out,
            None,
            Some(100_000),
        )
        .unwrap();
        assert!((100_000..100_000 + 8192).contains(&bytes), "{bytes}");
        assert_eq!(bytes, out.len() as u64);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count() as u64, n);
    }

    #[test]
    fn helpers_match_python_formatting() {
        let mut s = String::new();
        push_uuid(&mut s, 0x0123_4567_89ab_cdef_0011_2233_4455_6677);
        assert_eq!(s, "01234567-89ab-cdef-0011-223344556677");
        s.clear();
        push_padded(&mut s, 42, 10);
        push_padded(&mut s, 123_456, 2);
        assert_eq!(s, "0000000042123456");
        s.clear();
        for input in [&b""[..], b"f", b"fo", b"foo", b"foob"] {
            push_base64(&mut s, input);
            s.push(' ');
        }
        assert_eq!(s, " Zg== Zm8= Zm9v Zm9vYg== ");
        s.clear();
        push_str_value(&mut s, "a\"b\\c\n\u{1}é");
        assert_eq!(s, "\"a\\\"b\\\\c\\n\\u0001é\"");
    }

    #[test]
    fn rng_ranges() {
        let mut rng = Rng::new(9);
        for _ in 0..10_000 {
            assert!(rng.below(3) < 3);
            assert!((1..=3).contains(&rng.range(1, 3)));
            let u = rng.unit();
            assert!((0.0..1.0).contains(&u));
        }
    }
}

//! Every row of `DOMAIN-NEWER.md`: what Key Protect's documentation added
//! after the seed documents. Written out here from the facts file, not
//! taken from the library, so that a wrong table entry fails.

mod common;

use common::{event_with, run, run_with, transform};
use kpaudit::Severity::{self, Critical, Normal, Warning};

/// (a) The current action list: documented severities.
const DOCUMENTED: &[(&str, Severity)] = &[
    ("kms.secrets.create", Normal),
    ("kms.secrets.read", Normal),
    ("kms.secrets-metadata.read", Normal),
    ("kms.secrets.head", Normal),
    ("kms.secrets.list", Normal),
    ("kms.secrets.wrap", Normal),
    ("kms.secrets.unwrap", Normal),
    ("kms.secrets.rewrap", Normal),
    ("kms.secrets.rotate", Warning),
    ("kms.secrets.restore", Warning),
    ("kms.secrets.enable", Warning),
    ("kms.secrets.disable", Warning),
    ("kms.secrets.setkeyfordeletion", Warning),
    ("kms.secrets.unsetkeyfordeletion", Warning),
    ("kms.secrets.delete", Critical),
    ("kms.secrets-key-versions.list", Normal),
    ("kms.policies.read", Normal),
    ("kms.policies.write", Warning),
    ("kms.instance-policies.read", Normal),
    ("kms.instance-policies.write", Warning),
    ("kms.import-token.create", Normal),
    ("kms.import-token.read", Normal),
    ("kms.registrations.list", Normal),
    ("kms.registrations.create", Normal),
    ("kms.registrations.write", Normal),
    ("kms.registrations.merge", Normal),
    ("kms.registrations.delete", Critical),
    ("kms.secrets-event.ack", Normal),
    ("kms.secrets.ack-delete", Normal),
    ("kms.secrets.ack-restore", Normal),
    ("kms.secrets.ack-rotate", Normal),
    ("kms.secrets.ack-enable", Normal),
    ("kms.secrets.ack-disable", Normal),
];

/// (a) and (f): actions no table rates. `.0` with `severity.inferred:
/// false` (the default severity), `.1` as inferred by default.
const UNRATED: &[(&str, Severity)] = &[
    ("kms.secrets.expire", Warning),
    ("kms.secrets.patch", Warning),
    ("kms.secrets.purge", Critical),
    ("kms.secrets.default", Normal),
    ("kms.secrets-alias.create", Normal),
    ("kms.secrets-alias.delete", Warning),
    ("kms.secrets-alias.request", Normal),
    ("kms.key-rings.create", Normal),
    ("kms.key-rings.delete", Warning),
    ("kms.key-rings.list", Normal),
    ("kms.key-rings.request", Normal),
    ("kms.policies.default", Normal),
    ("kms.instance-policies.request", Normal),
    ("kms.import-token.request", Normal),
    ("kms.registrations.default", Normal),
    ("kms.kmip-management.create", Normal),
    ("kms.kmip-management.delete", Critical),
    ("kms.kmip-management.list", Normal),
    ("kms.kmip-management.read", Normal),
    ("kms.kmip-management.default", Normal),
    ("kms.kmip.create", Normal),
    ("kms.kmip.get", Normal),
    ("kms.kmip.activate", Warning),
    ("kms.kmip.revoke", Warning),
    ("kms.kmip.destroy", Critical),
    ("kms.kmip.locate", Normal),
    ("kms.kmip.default", Normal),
    ("kms.governance-config.read", Normal),
    ("kms.instance-allowed-ip-port.read", Normal),
    ("kms.instance-ip-allowlist-port.read", Normal),
    ("kms.secrets-with-policy-overrides.create", Normal),
    ("kms.secrets.ack-migrate", Normal),
    ("kms.secrets.endtoenddelete", Normal),
];

/// (b) Table 1: all 19 historical -> current pairs.
const RENAMES: &[(&str, &str)] = &[
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

fn severity_of(config: &str, action: &str, code: &str) -> Severity {
    run_with(&transform(config), &event_with(action, code))
        .unwrap()
        .severity
}

#[test]
fn the_current_action_list_has_its_documented_severities() {
    for &(action, want) in DOCUMENTED {
        assert_eq!(run(&event_with(action, "200")).severity, want, "{action}");
        assert_eq!(
            severity_of(r#"{"severity":{"inferred":false}}"#, action, "200"),
            want,
            "{action}"
        );
    }
}

#[test]
fn unrated_actions_are_inferred_or_take_the_default() {
    let documented_only = transform(r#"{"severity":{"inferred":false}}"#);
    let raised_default = transform(r#"{"severity":{"inferred":false,"default":"warning"}}"#);
    for &(action, inferred) in UNRATED {
        assert_eq!(
            run(&event_with(action, "200")).severity,
            inferred,
            "{action}"
        );
        let event = event_with(action, "200");
        assert_eq!(
            run_with(&documented_only, &event).unwrap().severity,
            Normal,
            "{action}"
        );
        assert_eq!(
            run_with(&raised_default, &event).unwrap().severity,
            Warning,
            "{action}"
        );
    }
    // Configured entries still win over inferred ones.
    assert_eq!(
        severity_of(
            r#"{"severity":{"actions":{"kms.secrets.purge":"normal"}}}"#,
            "kms.secrets.purge",
            "200"
        ),
        Normal
    );
}

#[test]
fn all_19_renames_share_a_severity_built_in_and_configured() {
    for &(old, new) in RENAMES {
        assert_eq!(
            run(&event_with(old, "200")).severity,
            run(&event_with(new, "200")).severity,
            "{old} / {new}"
        );
        for (configured, other) in [(old, new), (new, old)] {
            let config = format!(r#"{{"severity":{{"actions":{{"{configured}":"critical"}}}}}}"#);
            assert_eq!(
                severity_of(&config, other, "200"),
                Critical,
                "{configured} -> {other}"
            );
        }
        let both =
            format!(r#"{{"severity":{{"actions":{{"{old}":"critical","{new}":"warning"}}}}}}"#);
        let e = kpaudit::Transform::from_json(both.as_bytes()).unwrap_err();
        assert!(
            e.message().contains("another spelling of the same action"),
            "{}",
            e.message()
        );
    }
}

#[test]
fn the_status_table_is_unchanged_and_408_and_500_add_nothing() {
    for (code, want) in [
        ("401", Critical),
        ("403", Critical),
        ("503", Critical),
        ("507", Critical),
        ("400", Warning),
        ("409", Warning),
        ("424", Warning),
        ("502", Warning),
        ("504", Warning),
        ("505", Warning),
        ("408", Normal),
        ("500", Normal),
        ("404", Normal),
    ] {
        assert_eq!(
            run(&event_with("kms.secrets.read", code)).severity,
            want,
            "{code}"
        );
    }
    // The precedence example: a 401 on a create request.
    assert_eq!(
        run(&event_with("kms.secrets.create", "401")).severity,
        Critical
    );
}

fn route_of_uri(uri: &str) -> String {
    run(&format!(
        r#"{{"action":"kms.secrets.read","requestData":{{"requestURI":"{uri}"}}}}"#
    ))
    .route
}

#[test]
fn every_documented_endpoint_host_routes_by_its_region() {
    let rows = [
        ("https://us-south.kms.cloud.ibm.com/api/v2/keys", "us-south"),
        (
            "https://private.in-che.kms.cloud.ibm.com/api/v2/keys",
            "in-che",
        ),
        (
            "https://qsc.us-south.kms.cloud.ibm.com/api/v2/keys",
            "us-south",
        ),
        ("https://qsc.eu-gb.kms.cloud.ibm.com/api/v2/keys", "eu-gb"),
        (
            "https://private-qsc.eu-de.kms.cloud.ibm.com/api/v2/keys",
            "eu-de",
        ),
        ("https://jp-tok.kms.cloud.ibm.com:5696", "jp-tok"),
        (
            "https://3f1a-77.api.us-east.kms.appdomain.cloud/api/v2/keys",
            "us-east",
        ),
        (
            "https://3f1a-77.api.eu-es.kms.appdomain.cloud/api/v2/keys",
            "eu-es",
        ),
        (
            "https://keyprotect.au-syd.bluemix.net/api/v2/keys",
            "au-syd",
        ),
        (
            "https://keyprotect.us-south.bluemix.net/api/v2/keys",
            "us-south",
        ),
        // No region in the host, or a shape nobody documented: never a guess.
        (
            "https://ibm-key-protect.edge.bluemix.net/api/v2/keys",
            "unmatched",
        ),
        (
            "https://private.eu-fr2.kms.cloud.ibm.com/api/v2/keys",
            "unmatched",
        ),
        ("https://a.b.c.kms.cloud.ibm.com/api", "unmatched"),
        (
            "https://x.api.private.us-south.kms.appdomain.cloud/",
            "unmatched",
        ),
        ("https://keyprotect.a.b.bluemix.net/", "unmatched"),
        ("/api/v2/keys/abc", "unmatched"),
    ];
    for (uri, route) in rows {
        assert_eq!(route_of_uri(uri), route, "{uri}");
    }
    // The VPE gateway CRN: account and instance segments empty.
    let vpe = r#"{"logSourceCRN":"crn:v1:bluemix:public:kms:ca-tor:::endpoint:private.ca-tor.kms.cloud.ibm.com"}"#;
    assert_eq!(run(vpe).route, "ca-tor");
}

fn route_of_location(config: &str, location: &str) -> String {
    let event = format!(r#"{{"logSourceCRN":"crn:v1:bluemix:public:kms:{location}:a/1:2::"}}"#);
    run_with(&transform(config), &event).unwrap().route
}

#[test]
fn locations_zones_global_empty_and_eu_fr2() {
    let regions = [
        "us-south", "us-east", "eu-gb", "eu-de", "au-syd", "jp-tok", "jp-osa", "ca-tor", "br-sao",
        "eu-es", "ca-mon", "in-che", "in-mum",
    ];
    for region in regions {
        assert_eq!(route_of_location("", region), region);
        for zone in ["1", "2", "3", "10"] {
            assert_eq!(
                route_of_location("", &format!("{region}-{zone}")),
                region,
                "{region}-{zone}"
            );
        }
        // Not zones: a letter, nothing after the dash, a second suffix.
        for not_zone in ["a", "", "1-1"] {
            assert_eq!(
                route_of_location("", &format!("{region}-{not_zone}")),
                "unmatched"
            );
        }
    }
    assert_eq!(route_of_location("", "global"), "unmatched");
    assert_eq!(route_of_location("", ""), "unmatched");
    assert_eq!(
        route_of_location("", "US-SOUTH"),
        "unmatched",
        "locations are lower case"
    );
    // eu-fr2 (Key Protect Dedicated in the BNP Paribas dMZR): no documented
    // destination, so unmatched unless an operator adds it.
    assert_eq!(route_of_location("", "eu-fr2"), "unmatched");
    let with_fr2 = r#"{"route":{"regions":{"eu-fr2":"eu-fr2"}}}"#;
    assert_eq!(route_of_location(with_fr2, "eu-fr2"), "eu-fr2");
    assert_eq!(route_of_location(with_fr2, "eu-fr2-1"), "eu-fr2");
    assert!(transform(with_fr2)
        .route_names()
        .iter()
        .any(|r| r == "eu-fr2"));
    let to_paris = r#"{"route":{"regions":{"eu-fr2":"eu-fr2"},"destinations":{"eu-fr2":"paris"}}}"#;
    assert_eq!(route_of_location(to_paris, "eu-fr2"), "paris");
    // Madrid's first months: eu-es to eu-de.
    assert_eq!(
        route_of_location(r#"{"route":{"regions":{"eu-es":"eu-de"}}}"#, "eu-es"),
        "eu-de"
    );
}

#[test]
fn the_ingestion_envelope_keeps_the_event() {
    // (e): the form a service sends in; samples 9-11 of the facts' samples.
    let envelope = r#"{"payload":{"eventTime":"2025-01-01T00:00:00.00+0000","action":"kms.secrets.delete","outcome":"success","reason":{"reasonCode":204},"target":{"id":"crn:v1:bluemix:public:kms:eu-de:a/1:2:key:3"},"responseData":{"plaintext":"S3CRET"}},"logSourceCRN":"crn:v1:bluemix:public:kms:us-east:a/1:2::","saveServiceCopy":true}"#;
    let done = run(envelope);
    assert_eq!(
        (done.severity, done.route.as_str(), done.redacted),
        (Critical, "us-east", 1)
    );
    assert!(
        done.json
            .contains(r#""responseData":{},"severity":"critical"}"#),
        "{}",
        done.json
    );
    assert!(done.json.contains("eventTime") && !done.json.contains("S3CRET"));
}

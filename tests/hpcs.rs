//! Every row of `DOMAIN-HPCS.md`: Hyper Protect Crypto Services events in
//! the same stream as Key Protect's. Written out from the facts file.

mod common;

use common::{event_with, run, run_with, transform};
use kpaudit::Severity::{self, Critical, Normal, Warning};

/// The documented action table (UKO rows included), current spellings.
const ACTIONS: &[(&str, Severity)] = &[
    ("hs-crypto.secrets.delete", Critical),
    ("hs-crypto.registrations.delete", Critical),
    ("hs-crypto.tke-cryptounit-admin.add", Critical),
    ("hs-crypto.tke-cryptounit-admin.remove", Critical),
    ("hs-crypto.tke-cryptounit-threshold.set", Critical),
    ("hs-crypto.tke-cryptounit-master-key-register.add", Critical),
    (
        "hs-crypto.tke-cryptounit-master-key-register.commit",
        Critical,
    ),
    (
        "hs-crypto.tke-cryptounit-master-key-register.activate",
        Critical,
    ),
    (
        "hs-crypto.tke-cryptounit-new-master-key-register.clear",
        Critical,
    ),
    (
        "hs-crypto.tke-cryptounit-current-master-key-register.clear",
        Critical,
    ),
    ("hs-crypto.tke-cryptounit.reset", Critical),
    ("hs-crypto.mtlscert-admin-key.create", Critical),
    ("hs-crypto.mtlscert-admin-key.update", Critical),
    ("hs-crypto.mtlscert-admin-key.delete", Critical),
    ("hs-crypto.mtlscert-cert.set", Critical),
    ("hs-crypto.mtlscert-cert.delete", Critical),
    ("hs-crypto.keystore.deletekey", Critical),
    ("hs-crypto.keystore.deletekeystore", Critical),
    ("hs-crypto.keystore.updatekey", Critical),
    ("hs-crypto.target-keystores.delete", Critical),
    ("hs-crypto.managed-keys.delete", Critical),
    ("hs-crypto.vaults.delete", Critical),
    ("hs-crypto.secrets.rotate", Warning),
    ("hs-crypto.secrets.restore", Warning),
    ("hs-crypto.secrets.enable", Warning),
    ("hs-crypto.secrets.disable", Warning),
    ("hs-crypto.secrets.setkeyfordeletion", Warning),
    ("hs-crypto.secrets.unsetkeyfordeletion", Warning),
    ("hs-crypto.policies.write", Warning),
    ("hs-crypto.instance-policies.write", Warning),
    ("hs-crypto.hs-crypto.instance-policies.write", Warning),
    ("hs-crypto.managed-keys.write", Warning),
    // Key Protect's 23 normal actions under the HPCS prefix.
    ("hs-crypto.secrets.create", Normal),
    ("hs-crypto.secrets.read", Normal),
    ("hs-crypto.secrets-metadata.read", Normal),
    ("hs-crypto.secrets.head", Normal),
    ("hs-crypto.secrets.list", Normal),
    ("hs-crypto.secrets.wrap", Normal),
    ("hs-crypto.secrets.unwrap", Normal),
    ("hs-crypto.secrets.rewrap", Normal),
    ("hs-crypto.secrets-key-versions.list", Normal),
    ("hs-crypto.secrets-event.ack", Normal),
    ("hs-crypto.policies.read", Normal),
    ("hs-crypto.instance-policies.read", Normal),
    ("hs-crypto.import-token.create", Normal),
    ("hs-crypto.import-token.read", Normal),
    ("hs-crypto.registrations.create", Normal),
    ("hs-crypto.registrations.write", Normal),
    ("hs-crypto.registrations.merge", Normal),
    ("hs-crypto.registrations.list", Normal),
    ("hs-crypto.secrets.ack-delete", Normal),
    ("hs-crypto.secrets.ack-restore", Normal),
    ("hs-crypto.secrets.ack-rotate", Normal),
    ("hs-crypto.secrets.ack-enable", Normal),
    ("hs-crypto.secrets.ack-disable", Normal),
    ("hs-crypto.mtlscert-cert.read", Normal),
    ("hs-crypto.mtlscert-cert.list", Normal),
    ("hs-crypto.mtlscert-admin-key.read", Normal),
    ("hs-crypto.keystore.createkeystore", Normal),
    ("hs-crypto.keystore.storenewkey", Normal),
    ("hs-crypto.keystore.listkeysbyattributes", Normal),
    ("hs-crypto.keystore.listkeysbyids", Normal),
    ("hs-crypto.keystore.listkeystoresbyattributes", Normal),
    ("hs-crypto.keystore.listkeystoresbyids", Normal),
    ("hs-crypto.ep11.use", Normal),
    ("hs-crypto.managed-keys.list", Normal),
    ("hs-crypto.managed-keys.read", Normal),
    ("hs-crypto.target-keystores.write", Normal),
    ("hs-crypto.target-keystores.list", Normal),
    ("hs-crypto.target-keystores.read", Normal),
    ("hs-crypto.vaults.list", Normal),
    ("hs-crypto.vaults.write", Normal),
    ("hs-crypto.vaults.read", Normal),
];

/// Rated in no table: (inferred by default, as with inferred: false).
const UNRATED: &[(&str, Severity)] = &[
    ("hs-crypto.kmip-key.create", Normal),
    ("hs-crypto.kmip-key.read", Normal),
    ("hs-crypto.kmip-key.activate", Warning),
    ("hs-crypto.kmip-key.revoke", Warning),
    ("hs-crypto.kmip-key.destroy", Critical),
    ("hs-crypto.kmip-key-attributes.retrieve", Normal),
    ("hs-crypto.key-templates.write", Normal),
    ("hs-crypto.key-templates.list", Normal),
    ("hs-crypto.key-templates.read", Normal),
    ("hs-crypto.key-templates.delete", Warning),
    ("hs-crypto.secrets.expire", Warning),
    ("hs-crypto.secrets.patch", Warning),
    ("hs-crypto.secrets.purge", Critical),
    ("hs-crypto.secrets.default", Normal),
    ("hs-crypto.secrets-alias.create", Normal),
    ("hs-crypto.secrets-alias.delete", Warning),
    ("hs-crypto.key-rings.create", Normal),
    ("hs-crypto.key-rings.delete", Warning),
    ("hs-crypto.key-rings.list", Normal),
    ("hs-crypto.key-rings.request", Normal),
    ("hs-crypto.policies.default", Normal),
    ("hs-crypto.instance-policies.request", Normal),
    ("hs-crypto.import-token.request", Normal),
    ("hs-crypto.registrations.default", Normal),
];

#[test]
fn every_documented_action_has_its_severity() {
    for &(action, want) in ACTIONS {
        assert_eq!(run(&event_with(action, "200")).severity, want, "{action}");
    }
}

#[test]
fn unrated_actions_are_inferred_or_normal() {
    let documented_only = transform(r#"{"severity":{"inferred":false}}"#);
    for &(action, inferred) in UNRATED {
        let event = event_with(action, "200");
        assert_eq!(run(&event).severity, inferred, "{action}");
        assert_eq!(
            run_with(&documented_only, &event).unwrap().severity,
            Normal,
            "{action}"
        );
    }
}

#[test]
fn the_status_table_differs_from_key_protects() {
    let rows = [
        ("hs-crypto.secrets.read", "401", Critical),
        ("hs-crypto.secrets.read", "403", Critical),
        ("hs-crypto.secrets.read", "500", Critical),
        ("hs-crypto.secrets.read", "503", Critical),
        ("hs-crypto.secrets.read", "507", Critical),
        ("hs-crypto.secrets.read", "400", Warning),
        ("hs-crypto.secrets.read", "409", Warning),
        ("hs-crypto.secrets.read", "424", Warning),
        ("hs-crypto.secrets.read", "502", Warning),
        ("hs-crypto.secrets.read", "504", Warning),
        ("hs-crypto.secrets.read", "505", Warning),
        ("hs-crypto.secrets.read", "408", Normal),
        ("hs-crypto.ep11.use", "400", Warning),
        ("hs-crypto.tke-cryptounit-admin.add", "400", Critical),
        ("hs-crypto.tke-cryptounit.reset", "400", Critical),
        // Key Protect's table for Key Protect's events in the same stream.
        ("kms.secrets.read", "500", Normal),
        ("kms.secrets.read", "400", Warning),
        // An event of no known service uses Key Protect's table.
        ("other.thing.do", "500", Normal),
        ("other.thing.do", "401", Critical),
    ];
    for (action, code, want) in rows {
        assert_eq!(
            run(&event_with(action, code)).severity,
            want,
            "{action} {code}"
        );
    }
    // The rule is the same: the higher of action and status.
    assert_eq!(
        run(&event_with("hs-crypto.secrets.create", "401")).severity,
        Critical
    );
}

#[test]
fn renames_and_the_misspelling_share_a_severity_under_the_hpcs_prefix() {
    let pairs = [
        (
            "hs-crypto.governance.configread",
            "hs-crypto.governance-config.read",
        ),
        (
            "hs-crypto.importtoken.default",
            "hs-crypto.import-token.request",
        ),
        (
            "hs-crypto.instancepolicies.write",
            "hs-crypto.instance-policies.write",
        ),
        ("hs-crypto.keyrings.delete", "hs-crypto.key-rings.delete"),
        ("hs-crypto.keyrings.default", "hs-crypto.key-rings.request"),
        (
            "hs-crypto.secrets.defaultalias",
            "hs-crypto.secrets-alias.request",
        ),
        (
            "hs-crypto.secrets.readmetadata",
            "hs-crypto.secrets-metadata.read",
        ),
        (
            "hs-crypto.instance.readipwhitelistport",
            "hs-crypto.instance-ip-allowlist-port.read",
        ),
    ];
    for (old, new) in pairs {
        assert_eq!(
            run(&event_with(old, "200")).severity,
            run(&event_with(new, "200")).severity,
            "{old}"
        );
        let config = format!(r#"{{"severity":{{"actions":{{"{old}":"critical"}}}}}}"#);
        let t = transform(&config);
        assert_eq!(
            run_with(&t, &event_with(new, "200")).unwrap().severity,
            Critical,
            "{new}"
        );
    }
    let t = transform(
        r#"{"severity":{"actions":{"hs-crypto.hs-crypto.instance-policies.write":"critical"}}}"#,
    );
    for spelling in [
        "hs-crypto.instance-policies.write",
        "hs-crypto.instancepolicies.write",
    ] {
        assert_eq!(
            run_with(&t, &event_with(spelling, "200")).unwrap().severity,
            Critical,
            "{spelling}"
        );
    }
}

#[test]
fn hpcs_events_route_by_their_crn_and_hosts() {
    let cases = [
        (
            r#"{"action":"hs-crypto.ep11.use","logSourceCRN":"crn:v1:bluemix:public:hs-crypto:us-east:a/1:2::"}"#,
            "us-east",
        ),
        (
            r#"{"action":"hs-crypto.tke-cryptounit-admin.add","target":{"id":"crn:v1:bluemix:public:hs-crypto:eu-de:a/1:2:crypto-unit:3","name":"[eu-de].[AZ2].[03].[22]"},"requestData":{"location":"[us-east].[AZ2-CSSTAG2].[03].[22]"}}"#,
            "eu-de",
        ),
        (
            r#"{"action":"hs-crypto.secrets.read","requestData":{"requestURI":"https://api.us-south.hs-crypto.cloud.ibm.com:9730/api/v2/keys"}}"#,
            "us-south",
        ),
        (
            r#"{"action":"hs-crypto.secrets.read","requestData":{"requestURI":"https://api.private.eu-gb.hs-crypto.cloud.ibm.com/api"}}"#,
            "eu-gb",
        ),
        (
            r#"{"action":"hs-crypto.secrets.read","requestData":{"requestURI":"https://a1b2.api.eu-es.hs-crypto.appdomain.cloud/api"}}"#,
            "eu-es",
        ),
        (
            r#"{"action":"hs-crypto.secrets.read","requestData":{"requestURI":"https://a1b2.api.private.br-sao.hs-crypto.appdomain.cloud/api"}}"#,
            "br-sao",
        ),
        (
            r#"{"action":"hs-crypto.secrets.read","requestData":{"requestURI":"https://a1b2.uko.ca-tor.hs-crypto.appdomain.cloud/api"}}"#,
            "ca-tor",
        ),
        (
            r#"{"action":"hs-crypto.ep11.use","requestData":{"requestURI":"https://a1b2.ep11.vpc.private.jp-tok.hs-crypto.appdomain.cloud"}}"#,
            "jp-tok",
        ),
        (
            r#"{"action":"hs-crypto.secrets.read","requestData":{"requestURI":"https://tke.us-east.hs-crypto.cloud.ibm.com/"}}"#,
            "us-east",
        ),
        (
            r#"{"action":"hs-crypto.secrets.read","requestData":{"requestURI":"https://cert-mgr.us-east.hs-crypto.cloud.ibm.com/"}}"#,
            "us-east",
        ),
        (
            r#"{"action":"hs-crypto.secrets.read","requestData":{"requestURI":"https://kmip.us-east.hs-crypto.cloud.ibm.com/"}}"#,
            "us-east",
        ),
        // A host of another shape: never a guess.
        (
            r#"{"action":"hs-crypto.secrets.read","requestData":{"requestURI":"https://hs-crypto.us-east.example.com/"}}"#,
            "unmatched",
        ),
        // Mixed: an ack about an HPCS key whose logSourceCRN says kms.
        (
            r#"{"action":"kms.secrets.ack-rotate","logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::","target":{"id":"crn:v1:bluemix:public:hs-crypto:eu-de:a/1:2:key:3"}}"#,
            "us-south",
        ),
        (
            r#"{"action":"hs-crypto.secrets.read","logSourceCRN":"crn:v1:bluemix:public:hs-crypto:eu-fr2:a/1:2::"}"#,
            "unmatched",
        ),
    ];
    for (event, route) in cases {
        assert_eq!(run(event).route, route, "{event}");
    }
}

#[test]
fn credentials_and_ep11_fields_are_stripped_hashes_are_kept() {
    let event = r#"{"action":"hs-crypto.target-keystores.write","requestData":{"aws":{"aws_access_key_id":"AKIA","aws_secret_access_key":"S3CRET","access_key_id":"AKIA","secret_access_key":"S3CRET"},"azure_service_principal_password":"S3CRET","service_principal_password":"S3CRET","ibm_api_key":"S3CRET","api_key":"S3CRET","tokenspaceIDPassword":"S3CRET","private_keystore_password":"S3CRET","label":"prod"},"responseData":{"KeyBytes":"S3CRET","PrivKeyBytes":"S3CRET","NewKeyBytes":"S3CRET","UnwrappedBytes":"S3CRET","Key":"S3CRET","KeK":"S3CRET","MacKey":"S3CRET","BaseKey":"S3CRET","PrivKey":"S3CRET","DecKey":"S3CRET","EncKey":"S3CRET","Wrapped":"S3CRET","WrappedKey":"S3CRET","RewrappedKey":"S3CRET","Plain":"S3CRET","State":"S3CRET","Rnd":"S3CRET","PubKeyBytes":"pub","CheckSum":"sum","Signature":"sig"}}"#;
    let done = run(event);
    assert!(!done.json.contains("S3CRET"), "{}", done.json);
    assert_eq!(done.redacted, 27);
    assert!(done.json.contains(r#""label":"prod""#));
    for kept in ["PubKeyBytes", "CheckSum", "Signature"] {
        assert!(done.json.contains(kept), "{kept}");
    }
    // TKE events carry SHA-256 hashes of key files: audit data, kept.
    let tke = r#"{"action":"hs-crypto.tke-cryptounit-admin.add","requestData":{"adminId":"9f86d0","masterKeyIds":["a1"]},"responseData":{"adminIds":["9f86d0"],"verificationPattern":"77af"}}"#;
    let done = run(tke);
    assert_eq!(done.redacted, 0);
    assert_eq!(done.severity, Critical);
    for kept in ["adminId", "masterKeyIds", "adminIds", "verificationPattern"] {
        assert!(done.json.contains(kept), "{kept}");
    }
    // redact.inferred: false keeps the EP11 fields, strips the credentials.
    let documented = transform(r#"{"redact":{"inferred":false}}"#);
    let done = run_with(&documented, event).unwrap();
    assert_eq!(done.redacted, 10);
    assert!(done.json.contains(r#""Plain":"S3CRET""#));
}

#[test]
fn services_and_per_service_status_overrides() {
    // Key Protect only: HPCS events are events of no known service.
    let kp_only = transform(r#"{"services":["kms"]}"#);
    let sev = |t: &kpaudit::Transform, action: &str, code: &str| {
        run_with(t, &event_with(action, code)).unwrap().severity
    };
    assert_eq!(
        sev(&kp_only, "hs-crypto.tke-cryptounit.reset", "200"),
        Normal
    );
    assert_eq!(sev(&kp_only, "hs-crypto.secrets.read", "500"), Normal);
    assert_eq!(sev(&kp_only, "kms.secrets.delete", "200"), Critical);
    let done = run_with(&kp_only, r#"{"ibm_api_key":"S3CRET"}"#).unwrap();
    assert_eq!(done.redacted, 0, "HPCS credentials go with the service");
    let hpcs_only = transform(r#"{"services":["hs-crypto"]}"#);
    assert_eq!(sev(&hpcs_only, "kms.secrets.delete", "200"), Normal);
    assert_eq!(sev(&hpcs_only, "hs-crypto.secrets.delete", "200"), Critical);
    // Overrides: for every service, or for one.
    let t = transform(
        r#"{"severity":{"status":{"500":"warning"},"services":{"hs-crypto":{"status":{"400":"normal","418":"critical"}}}}}"#,
    );
    assert_eq!(sev(&t, "kms.secrets.read", "500"), Warning);
    assert_eq!(sev(&t, "hs-crypto.secrets.read", "500"), Warning);
    assert_eq!(
        sev(&t, "hs-crypto.tke-cryptounit.reset", "400"),
        Critical,
        "the action is critical anyway"
    );
    assert_eq!(sev(&t, "hs-crypto.ep11.use", "400"), Normal);
    assert_eq!(sev(&t, "hs-crypto.ep11.use", "418"), Critical);
    assert_eq!(sev(&t, "kms.secrets.read", "418"), Normal);
    let t = transform(
        r#"{"severity":{"precedence":"status","services":{"hs-crypto":{"status":{"400":"normal"}}}}}"#,
    );
    assert_eq!(
        sev(&t, "hs-crypto.tke-cryptounit.reset", "400"),
        Normal,
        "a configured 400 covers TKE too"
    );
    for (config, message) in [
        (
            r#"{"services":["kms","hpcs"]}"#,
            "services[1]: unknown variant `hpcs`",
        ),
        (
            r#"{"severity":{"services":{"hs-crypto":{"status":{"5xx":"warning"}}}}}"#,
            "severity.services.hs-crypto.status.5xx: expected an HTTP status code",
        ),
        (
            r#"{"severity":{"services":{"kms":{"actions":{}}}}}"#,
            "unknown field `actions`",
        ),
    ] {
        let e = kpaudit::Transform::from_json(config.as_bytes()).unwrap_err();
        assert!(e.message().contains(message), "{config}: {}", e.message());
    }
}

/// UKO's `managed-keys.write` is critical when it moves the key to
/// `destroyed`: the request is `POST .../api/v4/managed_keys/{id}/destroy`.
#[test]
fn a_uko_key_write_that_destroys_the_key_is_critical() {
    let write = |uri: &str| {
        format!(
            r#"{{"action":"hs-crypto.managed-keys.write","reason":{{"reasonCode":200}},"requestData":{{"requestURI":"{uri}"}},"logSourceCRN":"crn:v1:bluemix:public:hs-crypto:us-south:a/1:2::"}}"#
        )
    };
    let host = "https://0b3d.uko.us-south.hs-crypto.appdomain.cloud";
    let destroy = write(&format!("{host}/api/v4/managed_keys/7f1c/destroy"));
    let done = run(&destroy);
    assert_eq!(done.severity, Critical);
    assert!(
        done.json.contains(r#""severity":"critical""#),
        "{}",
        done.json
    );
    assert_eq!(done.route, "us-south");
    // A JSON escape in the URI is read as what it means.
    assert_eq!(
        run(&write(r"\/api\/v4\/managed_keys\/7f1c\/destroy")).severity,
        Critical
    );
    for other in [
        "/api/v4/managed_keys/7f1c/deactivate",
        "/api/v4/managed_keys/7f1c",
    ] {
        assert_eq!(
            run(&write(&format!("{host}{other}"))).severity,
            Warning,
            "{other}"
        );
    }
    // The same event inside an ingestion envelope.
    let envelope = format!(
        r#"{{"payload":{destroy},"logSourceCRN":"crn:v1:bluemix:public:hs-crypto:eu-de:a/1:2::"}}"#
    );
    assert_eq!(run(&envelope).severity, Critical);
    // A configured rating of the action wins; without HPCS it is no known action.
    let configured =
        transform(r#"{"severity":{"actions":{"hs-crypto.managed-keys.write":"normal"}}}"#);
    assert_eq!(run_with(&configured, &destroy).unwrap().severity, Normal);
    let kp_only = transform(r#"{"services":["kms"]}"#);
    assert_eq!(run_with(&kp_only, &destroy).unwrap().severity, Normal);
    // `explain` names the rule.
    let why = transform("").explain(destroy.as_bytes()).unwrap();
    assert_eq!(
        why.action_rule,
        Some((Critical, kpaudit::severity::Origin::HpcsUkoDestroy))
    );
}

/// "Every TKE event is critical": a crypto-unit action that HPCS's table
/// does not list (a new one) is too, a documented rule rather than an
/// inference; a configured rating wins.
#[test]
fn an_unlisted_tke_action_is_critical() {
    let action = "hs-crypto.tke-cryptounit-domain-control-points.set";
    let documented_only = transform(r#"{"severity":{"inferred":false}}"#);
    for t in [&transform(""), &documented_only] {
        assert_eq!(
            run_with(t, &event_with(action, "200")).unwrap().severity,
            Critical
        );
    }
    let x = transform("")
        .explain(event_with(action, "200").as_bytes())
        .unwrap();
    assert_eq!(
        x.action_rule,
        Some((Critical, kpaudit::severity::Origin::HpcsTke))
    );
    let kp_only = transform(r#"{"services":["kms"]}"#);
    assert_eq!(
        run_with(&kp_only, &event_with(action, "200"))
            .unwrap()
            .severity,
        Normal
    );
    let configured = transform(&format!(
        r#"{{"severity":{{"actions":{{"{action}":"warning"}}}}}}"#
    ));
    assert_eq!(
        run_with(&configured, &event_with(action, "200"))
            .unwrap()
            .severity,
        Warning
    );
    // Not a crypto-unit action.
    assert_eq!(
        run(&event_with("hs-crypto.tke.other", "200")).severity,
        Normal
    );
}

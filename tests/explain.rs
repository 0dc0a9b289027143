//! `Transform::explain`: the rule behind each decision, and the path of
//! every member removed, agreeing with what the transform did.

mod leak;

use kpaudit::severity::Origin;
use kpaudit::Severity::{Critical, Normal, Warning};
use kpaudit::{Output, Transform};
use leak::corpus::{self, Rng};

fn defaults() -> Transform {
    Transform::from_json(b"").unwrap()
}

#[test]
fn it_names_the_rules_and_the_route_field() {
    let t = defaults();
    let x = t
        .explain(br#"{"action":"kms.secrets.create","reason":{"reasonCode":"401"},"target":{"id":"crn:v1:bluemix:public:kms:jp-tok-2:a/1:2:key:3"}}"#)
        .unwrap();
    assert_eq!(x.severity, Critical);
    assert_eq!(x.action.as_deref(), Some("kms.secrets.create"));
    assert_eq!(x.action_rule, Some((Normal, Origin::KeyProtect)));
    assert_eq!(
        (x.status, x.status_rule),
        (Some(401), Some((Critical, Origin::KeyProtect)))
    );
    assert!(x.decided_by.starts_with("the status"), "{}", x.decided_by);
    assert_eq!(x.route, "jp-tok");
    assert_eq!(x.route_field.as_deref(), Some("target.id"));
    assert_eq!(x.location.as_deref(), Some("jp-tok-2"));

    let x = t
        .explain(br#"{"action":"hs-crypto.tke-cryptounit.reset","reason":{"reasonCode":400}}"#)
        .unwrap();
    assert_eq!(x.action_rule, Some((Critical, Origin::Hpcs)));
    assert_eq!(x.status_rule, Some((Critical, Origin::HpcsTke400)));
    assert_eq!(
        (x.route.as_str(), x.route_field.as_deref()),
        ("unmatched", None)
    );

    let x = t.explain(br#"{"action":"kms.secrets.purge","requestData":{"requestURI":"https://qsc.eu-gb.kms.cloud.ibm.com/api"}}"#).unwrap();
    assert_eq!(x.action_rule, Some((Critical, Origin::Inferred)));
    assert_eq!(x.route_field.as_deref(), Some("requestData.requestURI"));
    assert_eq!(x.route, "eu-gb");

    let configured = Transform::from_json(
        br#"{"severity":{"actions":{"kms.secrets.read":"warning"},"status":{"500":"critical"}}}"#,
    )
    .unwrap();
    let x = configured
        .explain(br#"{"action":"kms.secrets.read","reason":{"reasonCode":500}}"#)
        .unwrap();
    assert_eq!(x.action_rule, Some((Warning, Origin::Configured)));
    assert_eq!(x.status_rule, Some((Critical, Origin::Configured)));

    let x = t.explain(br#"{"payload":{"action":"kms.secrets.rotate","iv":"x"},"logSourceCRN":"crn:v1:bluemix:public:kms:ca-mon:a/1:2::"}"#).unwrap();
    assert!(x.envelope);
    assert_eq!((x.severity, x.route.as_str()), (Warning, "ca-mon"));
    assert_eq!(x.redacted, ["$.payload.iv"]);
    assert!(t.explain(b"not json").is_err());
}

#[test]
fn redacted_paths_are_the_members_the_transform_removed() {
    let t = defaults();
    let cases: &[(&str, &[&str])] = &[
        (
            r#"{"a":{"PayLoad":1,"b":[{"nonce":[1]},{"x":{"IV":2}}]},"odd name":{"aad":1}}"#,
            &[
                "$.a.PayLoad",
                "$.a.b[0].nonce",
                "$.a.b[1].x.IV",
                "$[\"odd name\"].aad",
            ],
        ),
        // Inside removed members and the replaced severity: nothing more.
        (
            r#"{"payload":{"iv":1},"severity":{"nonce":1},"x":{"severity":{"iv":1}}}"#,
            &["$.payload", "$.x.severity.iv"],
        ),
        (r#"{"iv":1,"iv":2}"#, &["$.iv", "$.iv"]),
        (
            r#"{"payload":{"iv":1},"payload":{"action":"kms.secrets.read","nonce":2}}"#,
            &["$.payload", "$.payload.nonce"],
        ),
    ];
    for (event, paths) in cases {
        let x = t.explain(event.as_bytes()).unwrap();
        assert_eq!(x.redacted, *paths, "{event}");
    }
    // On generated and planted events, as many paths as members removed.
    let mut rng = Rng::new(31);
    let mut out = Output::new();
    for i in 0..3000 {
        let event = if i % 2 == 0 {
            corpus::event(&mut rng)
        } else {
            leak::planted_event(&mut rng).event
        };
        t.transform(event.as_bytes(), &mut out).unwrap();
        let x = t.explain(event.as_bytes()).unwrap();
        assert_eq!(x.redacted.len() as u32, out.redacted(), "{event}");
        // What explain shows is output too: no planted marker in it.
        let shown = format!("{x:?}");
        assert!(!leak::contains_marker(shown.as_bytes()), "{event}: {shown}");
        assert_eq!(x.output, out.data());
        assert_eq!(
            (x.severity, x.route.as_str()),
            (out.severity(), out.route())
        );
    }
}

/// What explain reads from the event is output too: a value or a member
/// name that holds JSON text with key material (nulled or dropped by the
/// transform) is withheld there as well, in the text and in every field.
#[test]
fn values_and_names_holding_key_material_are_withheld() {
    use kpaudit::explain::WITHHELD;
    let t = defaults();
    for event in [
        r#"{"action":"{\"payload\":\"S3CRET1\"}","logSourceCRN":"{\"iv\":\"S3CRET2\"}"}"#,
        r#"{"target":{"id":"crn:v1:{\"plaintext\":\"S3CRET3\"}"},"action":"kms.secrets.read"}"#,
        r#"{"requestData":{"requestURI":"https://x/?{\"ciphertext\":\"S3CRET4\"}"}}"#,
        r#"{"payload":{"action":"{\"payload\":\"S3CRET5\"}","logSourceCRN":"{\"iv\":\"S3CRET6\"}"}}"#,
        r#"{"action":"kms.secrets.create","{\"payload\":\"S3CRET7\"}":1,"a":{"{\"iv\":\"S3CRET8\"}":{"x":1}}}"#,
    ] {
        let x = t.explain(event.as_bytes()).unwrap();
        let shown = format!("{x:?}");
        assert!(!shown.contains("S3CRET"), "{event}: {shown}");
        assert!(shown.contains(WITHHELD), "{event}: {shown}");
        let mut out = Output::new();
        t.transform(event.as_bytes(), &mut out).unwrap();
        assert_eq!(x.redacted.len() as u32, out.redacted(), "{event}");
    }
    let x = t
        .explain(br#"{"action":"kms.secrets.create","{\"payload\":\"S3CRET\"}":1}"#)
        .unwrap();
    assert_eq!(x.redacted, [format!("$[{WITHHELD}]")]);
    assert_eq!(x.action.as_deref(), Some("kms.secrets.create"));
}

/// The envelope as the transform decides it: an event with its own
/// `action` has none; an event time marks one.
#[test]
fn envelopes_are_explained_as_the_transform_decides_them() {
    let t = defaults();
    let x = t
        .explain(
            br#"{"payload":{"action":"kms.secrets.read","iv":"x"},"action":"kms.secrets.delete"}"#,
        )
        .unwrap();
    assert!(!x.envelope);
    assert_eq!(x.severity, Critical);
    assert_eq!(x.redacted, ["$.payload"]);
    let x = t
        .explain(br#"{"payload":{"eventTime":"2026-01-01T00:00:00Z","iv":"x"}}"#)
        .unwrap();
    assert!(x.envelope);
    assert_eq!(x.redacted, ["$.payload.iv"]);
}

/// Whatever the transform accepts, explain explains: numbers of any size,
/// and nesting to `limits.max_depth`, here far deeper than a parser's
/// recursion would go.
#[test]
fn every_event_the_transform_accepts_is_explained() {
    let t = defaults();
    let x = t
        .explain(br#"{"n":1e400,"m":-0.0e-999,"iv":"x","a":[1e400,{"iv":2}]}"#)
        .unwrap();
    assert_eq!(x.redacted, ["$.iv", "$.a[1].iv"]);
    // `depth` levels of objects and arrays, one `iv` at the bottom.
    let nested = |depth: usize| {
        let mut e = String::from(r#"{"action":"kms.secrets.read","d":"#);
        e.push_str(&"[{\"d\":".repeat(depth / 2 - 1));
        e.push_str(r#"{"iv":1}"#);
        e.push_str(&"}]".repeat(depth / 2 - 1));
        e.push('}');
        e
    };
    let x = t.explain(nested(128).as_bytes()).unwrap();
    assert_eq!(x.redacted.len(), 1);
    assert!(
        x.redacted[0].starts_with("$.d[0].d[0].d"),
        "{}",
        x.redacted[0]
    );
    assert!(x.redacted[0].ends_with(".d[0].d.iv"), "{}", x.redacted[0]);
    let very =
        Transform::from_json(br#"{"limits":{"max_depth":100000,"max_event_bytes":10000000}}"#)
            .unwrap();
    let event = nested(100_000);
    let x = very.explain(event.as_bytes()).unwrap();
    assert_eq!(x.redacted.len(), 1);
    let mut out = Output::new();
    very.transform(event.as_bytes(), &mut out).unwrap();
    assert_eq!(out.redacted(), 1);
}

#[test]
fn a_status_written_as_a_whole_double_is_explained_as_the_transform_reads_it() {
    let t = defaults();
    for code in ["401.0", "4.01e2"] {
        let event = format!(r#"{{"action":"kms.secrets.read","reason":{{"reasonCode":{code}}}}}"#);
        let x = t.explain(event.as_bytes()).unwrap();
        assert_eq!((x.status, x.severity), (Some(401), Critical), "{code}");
    }
    let x = t
        .explain(br#"{"action":"kms.secrets.read","reason":{"reasonCode":401.5}}"#)
        .unwrap();
    assert_eq!((x.status, x.severity), (None, Normal));
}

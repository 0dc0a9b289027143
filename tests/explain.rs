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
        assert_eq!(x.output, out.data());
        assert_eq!(
            (x.severity, x.route.as_str()),
            (out.severity(), out.route())
        );
    }
}

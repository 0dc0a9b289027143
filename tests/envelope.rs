//! Activity Tracker's ingestion envelope, `{"payload": {<event>},
//! "logSourceCRN": ..., ...}`: a top-level `payload` object holding a
//! string `action` is the event, transformed inside the envelope; a
//! `payload` of any other shape is key material, stripped as before.
//! Checked through the JSON and the MessagePack paths alike.

mod common;
mod msgpack_codec;

use common::{run_with, transform, Done};
use kpaudit::Severity::{Critical, Normal, Warning};
use kpaudit::{Output, Transform};
use msgpack_codec::{decode, encode};
use serde_json::{json, Value};

const US_SOUTH: &str = "crn:v1:bluemix:public:kms:us-south:a/1:2::";
const EU_DE: &str = "crn:v1:bluemix:public:kms:eu-de:a/1:2::";

/// The event through the JSON path and the MessagePack path: both must
/// agree on everything; the JSON result is returned. (The MessagePack
/// record is encoded from a parsed value, so an event with duplicate
/// members is checked on the JSON path alone.)
fn both(t: &Transform, event: &str) -> Done {
    let done = run_with(t, event).unwrap_or_else(|e| panic!("{event}: {e}"));
    if has_duplicates(event) {
        return done;
    }
    let mut out = Output::new();
    let value: Value = serde_json::from_str(event).unwrap();
    t.transform_msgpack(&encode(&value), &mut out)
        .unwrap_or_else(|e| panic!("msgpack {event}: {e}"));
    assert_eq!(out.severity(), done.severity, "{event}");
    assert_eq!(out.route(), done.route, "{event}");
    assert_eq!(out.redacted(), done.redacted, "{event}");
    let via_json: Value = serde_json::from_str(&done.json).unwrap();
    assert_eq!(decode(out.data()).unwrap(), via_json, "{event}");
    done
}

fn has_duplicates(event: &str) -> bool {
    let top: serde_json::Map<String, Value> = serde_json::from_str(event).unwrap();
    let mut de = serde_json::Deserializer::from_str(event);
    let members: Vec<(String, Value)> = {
        use serde::de::{Deserializer, MapAccess, Visitor};
        struct Pairs;
        impl<'de> Visitor<'de> for Pairs {
            type Value = Vec<(String, Value)>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
                let mut v = Vec::new();
                while let Some(k) = m.next_key::<String>()? {
                    v.push((k, m.next_value::<Value>()?));
                }
                Ok(v)
            }
        }
        (&mut de).deserialize_map(Pairs).unwrap()
    };
    members.len() != top.len()
}

fn value(done: &Done) -> Value {
    serde_json::from_str(&done.json).unwrap()
}

#[test]
fn an_envelope_is_transformed_inside() {
    let t = transform("");
    let event = json!({
        "payload": {
            "action": "kms.secrets.create",
            "reason": {"reasonCode": 401},
            "requestData": {"payload": "S3CRET", "keyType": "root_key"},
            "responseData": {"nested": [{"iv": "S3CRET", "k": 1}]},
            "target": {"id": "crn:v1:bluemix:public:kms:jp-tok:a/1:2:key:3"}
        },
        "logSourceCRN": EU_DE,
        "saveServiceCopy": true
    })
    .to_string();
    let done = both(&t, &event);
    assert_eq!(done.severity, Critical, "401 on a create, from inside");
    assert_eq!(done.route, "eu-de", "the envelope's logSourceCRN first");
    assert_eq!(done.redacted, 2);
    assert!(!done.json.contains("S3CRET"));
    let v = value(&done);
    assert_eq!(v["payload"]["severity"], json!("critical"));
    assert!(
        v.get("severity").is_none(),
        "severity goes where the unwrapped event has it"
    );
    assert_eq!(v["payload"]["requestData"], json!({"keyType": "root_key"}));
    assert_eq!(v["payload"]["responseData"]["nested"], json!([{"k": 1}]));
    assert_eq!(v["saveServiceCopy"], json!(true));
}

#[test]
fn the_route_falls_back_to_the_inner_event() {
    let t = transform("");
    let cases = [
        (
            json!({"payload": {"action": "kms.secrets.read", "logSourceCRN": US_SOUTH}}),
            "us-south",
        ),
        (
            json!({"payload": {"action": "kms.secrets.read", "target": {"id": EU_DE}}}),
            "eu-de",
        ),
        (
            json!({"payload": {"action": "kms.secrets.read",
                   "requestData": {"requestURI": "https://qsc.eu-gb.kms.cloud.ibm.com/api/v2/keys"}}}),
            "eu-gb",
        ),
        // The envelope's own target.id is not the event's.
        (
            json!({"payload": {"action": "kms.secrets.read"}, "target": {"id": EU_DE}}),
            "unmatched",
        ),
        (
            json!({"payload": {"action": "kms.secrets.read", "logSourceCRN": US_SOUTH},
                "logSourceCRN": null}),
            "us-south",
        ),
        (
            json!({"payload": {"action": "kms.secrets.read", "logSourceCRN": US_SOUTH},
                "logSourceCRN": 5}),
            "unmatched",
        ),
    ];
    for (event, route) in cases {
        assert_eq!(both(&t, &event.to_string()).route, route, "{event}");
    }
}

#[test]
fn severity_replaces_the_inner_one_and_the_outer_one_stays_consistent() {
    let t = transform("");
    let event = r#"{"severity":"normal","payload":{"severity":"x","action":"kms.secrets.rotate","severity":"y"},"logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::"}"#;
    let done = run_with(&t, event).unwrap();
    assert_eq!(
        done.json,
        r#"{"severity":"warning","payload":{"severity":"warning","action":"kms.secrets.rotate"},"logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::"}"#
    );
    assert_eq!(done.severity, Warning);
    // Byte-exact, the added member at the end of the event.
    let done = run_with(&t, r#"{"payload": {"action":"kms.secrets.delete"} }"#).unwrap();
    assert_eq!(
        done.json,
        r#"{"payload": {"action":"kms.secrets.delete","severity":"critical"} }"#
    );
}

#[test]
fn a_payload_of_any_other_shape_is_key_material() {
    let t = transform("");
    for (event, json) in [
        (
            r#"{"payload":{"a":1},"b":2}"#,
            r#"{"b":2,"severity":"normal"}"#,
        ),
        (
            r#"{"a":0,"payload":{"action":5,"x":{"iv":1}},"b":2}"#,
            r#"{"a":0,"b":2,"severity":"normal"}"#,
        ),
        (r#"{"payload":{"action":null}}"#, r#"{"severity":"normal"}"#),
        (
            r#"{"payload":"S3CRET","action":"kms.secrets.delete"}"#,
            r#"{"action":"kms.secrets.delete","severity":"critical"}"#,
        ),
        (r#"{"payload":["S3CRET"]}"#, r#"{"severity":"normal"}"#),
        // Only a top-level payload is an envelope.
        (
            r#"{"x":{"payload":{"action":"kms.secrets.delete"}}}"#,
            r#"{"x":{},"severity":"normal"}"#,
        ),
        // A later payload is key material once the envelope is settled.
        (
            r#"{"payload":{"action":"kms.secrets.read"},"payload":{"action":"kms.secrets.read"}}"#,
            r#"{"payload":{"action":"kms.secrets.read","severity":"normal"}}"#,
        ),
    ] {
        let done = both(&t, event);
        assert_eq!(done.json, json, "{event}");
    }
    // The first payload that is not an envelope leaves room for one later.
    let done = both(
        &t,
        r#"{"payload":{"iv":"S3CRET"},"payload":{"action":"kms.secrets.delete"}}"#,
    );
    assert_eq!(
        done.json,
        r#"{"payload":{"action":"kms.secrets.delete","severity":"critical"}}"#
    );
    assert_eq!(
        done.redacted, 1,
        "the first payload counts once; its inner iv goes with it"
    );
}

#[test]
fn masks_counts_and_the_route_field_follow_the_envelope() {
    let t = transform(r#"{"redact":{"mode":"mask"},"route":{"field":"_route"}}"#);
    let done = both(
        &t,
        r#"{"payload":{"plaintext":"S3CRET"},"logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::"}"#,
    );
    assert_eq!(
        done.json,
        r#"{"payload":"[REDACTED]","logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::","severity":"normal","_route":"us-south"}"#
    );
    assert_eq!(done.redacted, 1);
    let done = both(
        &t,
        r#"{"payload":{"action":"kms.secrets.read","plaintext":"S3CRET"},"logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::"}"#,
    );
    assert_eq!(
        done.json,
        r#"{"payload":{"action":"kms.secrets.read","plaintext":"[REDACTED]","severity":"normal","_route":"us-south"},"logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::"}"#
    );
    let done = both(&t, r#"{"payload":{}}"#);
    assert_eq!(
        done.json,
        r#"{"payload":"[REDACTED]","severity":"normal","_route":"unmatched"}"#
    );
}

#[test]
fn envelope_off_strips_every_payload() {
    let t = transform(r#"{"envelope":"off"}"#);
    let done = both(
        &t,
        r#"{"payload":{"action":"kms.secrets.delete"},"logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::"}"#,
    );
    assert_eq!(done.severity, Normal);
    assert_eq!(
        done.json,
        r#"{"logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::","severity":"normal"}"#
    );
    let e = Transform::from_json(br#"{"envelope":"on"}"#).unwrap_err();
    assert!(
        e.message().contains("envelope: unknown variant `on`"),
        "{}",
        e.message()
    );
}

#[test]
fn an_event_with_its_own_action_has_no_envelope() {
    // Whatever its `payload` object holds, an event with a top-level
    // `action` is the event: its `payload` is key material, before or
    // after the action, whatever the action's value.
    let t = transform("");
    for (event, json, severity) in [
        (
            r#"{"action":"kms.secrets.delete","payload":{"action":"kms.secrets.read","keyData":"S3CRET"},"b":1}"#,
            r#"{"action":"kms.secrets.delete","b":1,"severity":"critical"}"#,
            Critical,
        ),
        (
            r#"{"payload":{"action":"kms.secrets.read","keyData":"S3CRET"},"action":"kms.secrets.delete"}"#,
            r#"{"action":"kms.secrets.delete","severity":"critical"}"#,
            Critical,
        ),
        (
            r#"{"payload":{"eventTime":"2026-01-01T00:00:00.00+0000","keyData":"S3CRET"},"action":"kms.secrets.read"}"#,
            r#"{"action":"kms.secrets.read","severity":"normal"}"#,
            Normal,
        ),
        (
            r#"{"payload":{"action":"kms.secrets.delete","iv":"S3CRET"},"action":null}"#,
            r#"{"action":null,"severity":"normal"}"#,
            Normal,
        ),
        (
            r#"{"payload":{"action":"kms.secrets.read"},"payload":{"action":"kms.secrets.read"},"action":5}"#,
            r#"{"action":5,"severity":"normal"}"#,
            Normal,
        ),
    ] {
        let done = both(&t, event);
        assert_eq!(done.json, json, "{event}");
        assert_eq!(done.severity, severity, "{event}");
        assert!(!done.json.contains("S3CRET"), "{event}");
    }
    let done = both(
        &t,
        r#"{"payload":{"action":"kms.secrets.read","iv":"S3CRET"},"action":"kms.secrets.read"}"#,
    );
    assert_eq!(done.redacted, 1, "the payload counts once, its iv with it");

    let t = transform(r#"{"redact":{"mode":"mask"},"route":{"field":"_route"}}"#);
    let done = both(
        &t,
        r#"{"payload":{"action":"kms.secrets.read","k":"S3CRET"},"logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::","action":"kms.secrets.delete"}"#,
    );
    assert_eq!(
        done.json,
        r#"{"payload":"[REDACTED]","logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::","action":"kms.secrets.delete","severity":"critical","_route":"us-south"}"#
    );
}

#[test]
fn an_envelope_event_may_have_an_event_time_and_no_action() {
    let t = transform("");
    let event = r#"{"payload":{"eventTime":"2026-01-01T00:00:00.00+0000","reason":{"reasonCode":401},"iv":"S3CRET","target":{"id":"crn:v1:bluemix:public:kms:jp-tok:a/1:2:key:3"}}}"#;
    let done = both(&t, event);
    assert_eq!(
        done.json,
        r#"{"payload":{"eventTime":"2026-01-01T00:00:00.00+0000","reason":{"reasonCode":401},"target":{"id":"crn:v1:bluemix:public:kms:jp-tok:a/1:2:key:3"},"severity":"critical"}}"#
    );
    assert_eq!(done.severity, Critical, "a 401 with no action");
    assert_eq!(done.route, "jp-tok");
    assert_eq!(done.redacted, 1);
    // Not a string: key material.
    let done = both(&t, r#"{"payload":{"eventTime":5,"a":1}}"#);
    assert_eq!(done.json, r#"{"severity":"normal"}"#);
}

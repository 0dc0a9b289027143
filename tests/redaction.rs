//! Redaction: key material goes at any depth, in any spelling of its name;
//! everything else passes through byte for byte.

mod common;

use common::{run, run_with, transform};

#[test]
fn every_built_in_name_goes_at_the_top_level() {
    for name in [
        "payload",
        "encryptedNonce",
        "iv",
        "plaintext",
        "ciphertext",
        "aad",
        "nonce",
        "authorization",
    ] {
        let d = run(&format!(r#"{{"a":1,"{name}":"MARK","b":2}}"#));
        assert_eq!(d.json, r#"{"a":1,"b":2,"severity":"normal"}"#, "{name}");
        assert_eq!(d.redacted, 1, "{name}");
    }
}

#[test]
fn at_depth_in_arrays_and_whatever_the_value() {
    let e = r#"{"requestData":{"payload":"A","keys":[{"iv":"B","id":1},[{"nonce":{"x":[1,2]}}]],
        "deep":{"l1":{"l2":{"l3":{"plaintext":["C",{"d":1}],"keep":true}}}}},
        "responseData":{"ciphertext":null,"aad":["D","E"],"n":1e5}}"#;
    let d = run(e);
    for mark in [
        "\"A\"",
        "\"B\"",
        "\"C\"",
        "\"D\"",
        "\"E\"",
        "nonce",
        "plaintext",
        "ciphertext",
        "aad",
        "payload",
    ] {
        assert!(!d.json.contains(mark), "{mark} in {}", d.json);
    }
    assert_eq!(d.redacted, 6);
    assert!(d.json.contains(r#""keys":[{"id":1},[{}]]"#), "{}", d.json);
    assert!(d.json.contains(r#""l3":{"keep":true}"#), "{}", d.json);
    assert!(d.json.contains(r#""responseData":{"n":1e5}"#), "{}", d.json);
}

#[test]
fn names_match_after_unescaping_and_ignoring_ascii_case() {
    let e = r#"{"Pay\u006coad":"A","PAYLOAD":"B","EncryptedNONCE":"C","\u0069\u0076":"D","\u0041AD":"E","keep":1}"#;
    let d = run(e);
    assert_eq!(d.json, r#"{"keep":1,"severity":"normal"}"#);
    assert_eq!(d.redacted, 5);
    // Other names: a letter more, a space, an accent. (KELVIN SIGN is `k`
    // to Unicode case folding: see `names_that_fold_to_key_material_go`.)
    let d = run(r#"{"payloa\u0064s":1,"pay load":2,"\u212Aey":3,"p\u00e1yload":4}"#);
    assert_eq!(d.redacted, 1);
    assert_eq!(
        d.json,
        r#"{"payloa\u0064s":1,"pay load":2,"p\u00e1yload":4,"severity":"normal"}"#
    );
}

#[test]
fn a_value_equal_to_a_name_stays() {
    let d = run(r#"{"field":"payload","list":["iv","nonce"],"n":{"x":"ciphertext"}}"#);
    assert_eq!(d.redacted, 0);
    assert_eq!(
        d.json,
        r#"{"field":"payload","list":["iv","nonce"],"n":{"x":"ciphertext"},"severity":"normal"}"#
    );
}

#[test]
fn duplicates_go_each_time_and_count_each_time() {
    let d = run(r#"{"payload":"A","x":1,"payload":"B","y":{"iv":1,"iv":2,"z":3}}"#);
    assert_eq!(d.json, r#"{"x":1,"y":{"z":3},"severity":"normal"}"#);
    assert_eq!(d.redacted, 4);
}

#[test]
fn names_inside_a_removed_value_are_not_counted_again() {
    let d = run(r#"{"payload":{"iv":1,"nonce":[{"aad":2}]},"k":1}"#);
    assert_eq!(d.json, r#"{"k":1,"severity":"normal"}"#);
    assert_eq!(d.redacted, 1);
    // A replaced or dropped `severity` value is removed as a whole too.
    let d = run(r#"{"severity":{"iv":"A"},"k":1,"severity":[{"payload":"B"}]}"#);
    assert_eq!(d.json, r#"{"severity":"normal","k":1}"#);
    assert_eq!(d.redacted, 0);
}

#[test]
fn commas_stay_right_whichever_members_go() {
    let cases = [
        (r#"{"iv":1}"#, r#"{"severity":"normal"}"#),
        (r#"{"iv":1,"iv":2}"#, r#"{"severity":"normal"}"#),
        (r#"{"iv":1,"a":2}"#, r#"{"a":2,"severity":"normal"}"#),
        (r#"{"a":1,"iv":2}"#, r#"{"a":1,"severity":"normal"}"#),
        (
            r#"{"a":1,"iv":2,"b":3}"#,
            r#"{"a":1,"b":3,"severity":"normal"}"#,
        ),
        (
            r#"{"iv":0,"a":1,"iv":2,"b":3,"iv":4}"#,
            r#"{"a":1,"b":3,"severity":"normal"}"#,
        ),
        (r#"{"o":{"iv":1}}"#, r#"{"o":{},"severity":"normal"}"#),
        (
            r#"{"o":{"iv":1,"iv":2,"a":1}}"#,
            r#"{"o":{"a":1},"severity":"normal"}"#,
        ),
        (
            r#"{ "iv" : 1 , "a" : 2 }"#,
            r#"{  "a" : 2 ,"severity":"normal"}"#,
        ),
        (r#"{"a":1 , "iv":2 }"#, r#"{"a":1  ,"severity":"normal"}"#),
    ];
    for (input, expected) in cases {
        let d = run(input);
        assert_eq!(d.json, expected, "{input}");
        serde_json::from_str::<serde_json::Value>(&d.json).expect("valid JSON");
    }
}

#[test]
fn extra_names_are_added_and_mask_mode_replaces_values() {
    let t = transform(r#"{"redact":{"fields":["secretValue","Token"]}}"#);
    let d = run_with(&t, r#"{"SECRETVALUE":1,"token":2,"payload":3,"k":4}"#).unwrap();
    assert_eq!(d.json, r#"{"k":4,"severity":"normal"}"#);
    assert_eq!(d.redacted, 3);

    let t = transform(r#"{"redact":{"mode":"mask","mask":"[gone \"x\"]"}}"#);
    let d = run_with(&t, r#"{"payload":{"iv":1},"a":[{"Nonce":"n"}],"iv":2}"#).unwrap();
    assert_eq!(
        d.json,
        r#"{"payload":"[gone \"x\"]","a":[{"Nonce":"[gone \"x\"]"}],"iv":"[gone \"x\"]","severity":"normal"}"#
    );
    assert_eq!(d.redacted, 3);
}

#[test]
fn untouched_members_pass_through_byte_for_byte() {
    let e = "{\"n\":1.50e3,\"big\":123456789012345678901234567890,\"neg\":-0.0,\
             \"esc\":\"\\u00e9\\n\\\"\\/\",\"utf8\":\"caf\u{e9} \u{1F511}\",\
             \"dup\":1,\"dup\":2,\"arr\":[ 1 , { \"k\" : [ ] } ],\"t\":true,\"f\":false,\"z\":null}";
    let d = run(e);
    let expected = format!("{},\"severity\":\"normal\"}}", &e[..e.len() - 1]);
    assert_eq!(d.json, expected);
}

#[test]
fn whitespace_around_the_event_is_not_copied() {
    let d = run(" \t\r\n{\"a\":1}\n\n ");
    assert_eq!(d.json, r#"{"a":1,"severity":"normal"}"#);
}

/// A string that holds JSON text with a key-material member (a request
/// body kept as text, escaped once or twice, a line cut short) becomes
/// null, or the mask; a member whose name holds such text goes whole. A
/// name merely quoted in prose stays.
#[test]
fn strings_holding_json_text_with_key_material_go() {
    let event = r#"{"action":"kms.secrets.wrap","requestData":{"body":"{\"id\":1,\"Payload\":\"S1\"}","raw":["ok","\"{\\\"iv\\\":\\\"S2\\\"}\"",3],"cut":"{\"plaintext\":\"S3","note":"the \"iv\" member is missing"},"{\"aad\":\"S4\"}":1,"k":2}"#;
    let done = run(event);
    assert_eq!(
        done.json,
        r#"{"action":"kms.secrets.wrap","requestData":{"body":null,"raw":["ok",null,3],"cut":null,"note":"the \"iv\" member is missing"},"k":2,"severity":"normal"}"#
    );
    assert_eq!(done.redacted, 4);
    let masked = transform(r#"{"redact":{"mode":"mask","mask":"***"}}"#);
    let done = run_with(&masked, event).unwrap();
    assert_eq!(
        done.json,
        r#"{"action":"kms.secrets.wrap","requestData":{"body":"***","raw":["ok","***",3],"cut":"***","note":"the \"iv\" member is missing"},"k":2,"severity":"normal"}"#,
        "the name holding text goes whole in mask mode too"
    );
    assert_eq!(done.redacted, 4);
    // Inside an ingestion envelope's event, and at its top level.
    let envelope = r#"{"payload":{"action":"kms.secrets.wrap","body":"{\"iv\":\"S5\"}"},"raw":"{\"iv\":\"S6\"}"}"#;
    let done = run(envelope);
    assert!(
        !done.json.contains("S5") && !done.json.contains("S6"),
        "{}",
        done.json
    );
    assert_eq!(done.redacted, 2);
    // `explain` lists them.
    let why = transform("").explain(event.as_bytes()).unwrap();
    assert_eq!(
        why.redacted,
        [
            "$.requestData.body",
            "$.requestData.raw[1]",
            "$.requestData.cut",
            // A name holding key material is not shown.
            format!("$[{}]", kpaudit::explain::WITHHELD).as_str()
        ]
    );
}

/// Unicode simple case folding takes two letters outside ASCII to ASCII
/// ones (KELVIN SIGN to `k`, LONG S to `s`), and readers that match names
/// ignoring case that way (Go's encoding/json filling a struct) read
/// `"\u212aey"` as `Key`: such a spelling of a key-material name is one,
/// raw or escaped, as a name and inside text.
#[test]
fn names_that_fold_to_key_material_go() {
    for (event, json) in [
        (
            "{\"a\":1,\"\u{212A}ey\":\"S3CRET\",\"b\":2}",
            r#"{"a":1,"b":2,"severity":"normal"}"#,
        ),
        (
            r#"{"a":1,"\u212aey":"S3CRET","b":2}"#,
            r#"{"a":1,"b":2,"severity":"normal"}"#,
        ),
        (
            "{\"x\":{\"\u{17F}ecret_acce\u{17F}\u{17F}_\u{212A}ey\":[\"S3CRET\"]},\"b\":2}",
            r#"{"x":{},"b":2,"severity":"normal"}"#,
        ),
        (
            r#"{"body":"{\"\\u212aeyBytes\":\"S3CRET\"}","b":2}"#,
            r#"{"body":null,"b":2,"severity":"normal"}"#,
        ),
        (
            "{\"\u{131}v\":1,\"PLA\u{130}NTEXT\":2,\"b\":2}",
            r#"{"b":2,"severity":"normal"}"#,
        ),
        // Other letters outside ASCII fold to nothing here.
        (
            "{\"\u{212B}ey\":1,\"Ke\u{1E8F}\":2}",
            "{\"\u{212B}ey\":1,\"Ke\u{1E8F}\":2,\"severity\":\"normal\"}",
        ),
    ] {
        let d = run(event);
        assert_eq!(d.json, json, "{event}");
    }
    // A configured name so spelled is that name, in any spelling.
    let t = transform("{\"redact\":{\"fields\":[\"\u{212A}eyring\"]}}");
    let d = run_with(
        &t,
        "{\"keyring\":1,\"KEYRING\":2,\"\u{212A}eyRing\":3,\"k\":4}",
    )
    .unwrap();
    assert_eq!(d.json, r#"{"k":4,"severity":"normal"}"#);
    let masked = transform(r#"{"redact":{"mode":"mask","mask":"***"}}"#);
    let d = run_with(&masked, "{\"\u{212A}ey\":\"S3CRET\"}").unwrap();
    assert_eq!(d.json, "{\"\u{212A}ey\":\"***\",\"severity\":\"normal\"}");
    assert_eq!(d.redacted, 1);
}

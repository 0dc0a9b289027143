//! Severity: every row of Tables 7 and 8, the renamed actions, precedence.

mod common;

use common::{event_with, run, run_with, transform};
use kpaudit::Severity::{self, Critical, Normal, Warning};

/// Table 7, written out from the source document rather than taken from
/// the library, so that a wrong table entry fails here.
const TABLE_7: &[(&str, Severity)] = &[
    ("kms.secrets.delete", Critical),
    ("kms.registrations.delete", Critical),
    ("kms.secrets.rotate", Warning),
    ("kms.secrets.restore", Warning),
    ("kms.secrets.enable", Warning),
    ("kms.secrets.disable", Warning),
    ("kms.secrets.setkeyfordeletion", Warning),
    ("kms.secrets.unsetkeyfordeletion", Warning),
    ("kms.policies.write", Warning),
    ("kms.instancepolicies.write", Warning),
    ("kms.secrets.create", Normal),
    ("kms.secrets.read", Normal),
    ("kms.secrets.readmetadata", Normal),
    ("kms.secrets.head", Normal),
    ("kms.secrets.list", Normal),
    ("kms.secrets.wrap", Normal),
    ("kms.secrets.unwrap", Normal),
    ("kms.secrets.rewrap", Normal),
    ("kms.secrets.listkeyversions", Normal),
    ("kms.secrets.eventack", Normal),
    ("kms.policies.read", Normal),
    ("kms.instancepolicies.read", Normal),
    ("kms.importtoken.create", Normal),
    ("kms.importtoken.read", Normal),
    ("kms.registrations.create", Normal),
    ("kms.registrations.write", Normal),
    ("kms.registrations.merge", Normal),
    ("kms.registrations.list", Normal),
    ("kms.secrets.ack-delete", Normal),
    ("kms.secrets.ack-restore", Normal),
    ("kms.secrets.ack-rotate", Normal),
    ("kms.secrets.ack-enable", Normal),
    ("kms.secrets.ack-disable", Normal),
];

const TABLE_8: &[(u16, Severity)] = &[
    (503, Critical),
    (507, Critical),
    (401, Critical),
    (403, Critical),
    (502, Warning),
    (504, Warning),
    (505, Warning),
    (400, Warning),
    (409, Warning),
    (424, Warning),
];

const RENAMED: &[(&str, &str)] = &[
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

#[test]
fn every_action_of_table_7() {
    for &(action, expected) in TABLE_7 {
        let done = run(&event_with(action, "200"));
        assert_eq!(done.severity, expected, "{action}");
        let written = format!(r#""severity":"{}""#, expected.as_str());
        assert!(done.json.contains(&written), "{action}: {}", done.json);
    }
}

#[test]
fn every_status_of_table_8_on_a_normal_action() {
    for &(code, expected) in TABLE_8 {
        let done = run(&event_with("kms.secrets.wrap", &code.to_string()));
        assert_eq!(done.severity, expected, "{code}");
    }
}

#[test]
fn unlisted_statuses_add_nothing() {
    for code in ["200", "201", "204", "404", "408", "500", "0", "999", "1000"] {
        assert_eq!(
            run(&event_with("kms.secrets.wrap", code)).severity,
            Normal,
            "{code}"
        );
        assert_eq!(
            run(&event_with("kms.secrets.rotate", code)).severity,
            Warning,
            "{code}"
        );
    }
}

#[test]
fn both_spellings_of_a_renamed_action_agree() {
    let t = transform(r#"{"severity":{"actions":{"kms.keyrings.delete":"critical"}}}"#);
    for &(old, new) in RENAMED {
        for code in ["200", "409"] {
            let a = run(&event_with(old, code)).severity;
            let b = run(&event_with(new, code)).severity;
            assert_eq!(a, b, "{old} / {new} with {code}");
            let a = run_with(&t, &event_with(old, code)).unwrap().severity;
            let b = run_with(&t, &event_with(new, code)).unwrap().severity;
            assert_eq!(a, b, "configured: {old} / {new} with {code}");
        }
    }
    assert_eq!(
        run(&event_with("kms.instance-policies.write", "200")).severity,
        Warning
    );
    let t_delete = run_with(&t, &event_with("kms.key-rings.delete", "200")).unwrap();
    assert_eq!(t_delete.severity, Critical);
}

#[test]
fn the_status_takes_precedence_when_more_severe() {
    // The source document's own example: an unauthenticated create.
    assert_eq!(
        run(&event_with("kms.secrets.create", "401")).severity,
        Critical
    );
    assert_eq!(
        run(&event_with("kms.secrets.rotate", "503")).severity,
        Critical
    );
    assert_eq!(
        run(&event_with("kms.secrets.wrap", "409")).severity,
        Warning
    );
    // A listed status never lowers the action's severity.
    assert_eq!(
        run(&event_with("kms.secrets.delete", "409")).severity,
        Critical
    );
    assert_eq!(
        run(&event_with("kms.secrets.delete", "200")).severity,
        Critical
    );
}

#[test]
fn reason_code_as_whole_number_or_digit_string_only() {
    // A whole number with a point or an exponent is 401 to every JSON
    // reader (and what double-only tools write back).
    for code in [
        "401",
        r#""401""#,
        r#""0401""#,
        r#""\u0034\u0030\u0031""#,
        "401.0",
        "401.000",
        "4.01e2",
        "4.01E+2",
        "401e0",
        "40100e-2",
        "0.0401e4",
    ] {
        assert_eq!(
            run(&event_with("kms.secrets.wrap", code)).severity,
            Critical,
            "{code}"
        );
    }
    for code in [
        "401.5",
        "4.015e2",
        "-401",
        "-401.0",
        "-4.01e2",
        r#""401.0""#,
        r#""4.01e2""#,
        r#""+401""#,
        r#"" 401""#,
        r#""401 ""#,
        r#""""#,
        "true",
        "null",
        "[401]",
        "{}",
        r#""40l""#,
    ] {
        assert_eq!(
            run(&event_with("kms.secrets.wrap", code)).severity,
            Normal,
            "{code}"
        );
    }
    // Past u64, or from 2^53 on, where a double no longer holds every
    // whole number (9007199254740993.0 reads as 2^53), or -0: no status.
    let t = transform("");
    for code in [
        "401000000000000000000000000000",
        "4.01e29",
        "9007199254740992.0",
        "9007199254740993.0",
        "-0.0",
        "-0",
    ] {
        let event = event_with("kms.secrets.wrap", code);
        assert_eq!(run(&event).severity, Normal, "{code}");
        assert_eq!(t.explain(event.as_bytes()).unwrap().status, None, "{code}");
    }
    // The double a JSON reader makes of it decides: this one is 401.
    assert_eq!(
        run(&event_with("kms.secrets.wrap", "400.99999999999999999")).severity,
        Critical
    );
}

#[test]
fn unknown_and_missing_actions_take_the_default() {
    for action in [
        "kms.secrets.default",
        "kms.kmip.adapter.create",
        "KMS.SECRETS.DELETE",
        "",
    ] {
        assert_eq!(run(&event_with(action, "200")).severity, Normal, "{action}");
    }
    assert_eq!(run(r#"{"reason":{"reasonCode":200}}"#).severity, Normal);
    assert_eq!(
        run(r#"{"action":7,"reason":{"reasonCode":403}}"#).severity,
        Critical
    );
    let t = transform(r#"{"severity":{"default":"warning"}}"#);
    assert_eq!(
        run_with(&t, &event_with("kms.kmip.x", "200"))
            .unwrap()
            .severity,
        Warning
    );
    assert_eq!(
        run_with(&t, &event_with("kms.secrets.wrap", "200"))
            .unwrap()
            .severity,
        Normal
    );
}

#[test]
fn configured_tables_merge_over_the_built_in_ones() {
    let t = transform(
        r#"{"severity":{"actions":{"kms.custom.op":"warning","kms.secrets.delete":"warning"},
                        "status":{"500":"warning","401":"normal"}}}"#,
    );
    let sev = |a: &str, c: &str| run_with(&t, &event_with(a, c)).unwrap().severity;
    assert_eq!(sev("kms.custom.op", "200"), Warning);
    assert_eq!(sev("kms.secrets.delete", "200"), Warning);
    assert_eq!(sev("kms.secrets.wrap", "500"), Warning);
    assert_eq!(sev("kms.secrets.wrap", "401"), Normal);
    assert_eq!(sev("kms.secrets.wrap", "403"), Critical);
    assert_eq!(sev("kms.secrets.rotate", "200"), Warning);
}

#[test]
fn precedence_status_and_action() {
    let status = transform(r#"{"severity":{"precedence":"status"}}"#);
    let sev = |t, a: &str, c: &str| run_with(t, &event_with(a, c)).unwrap().severity;
    assert_eq!(sev(&status, "kms.secrets.delete", "409"), Warning);
    assert_eq!(sev(&status, "kms.secrets.delete", "200"), Critical);
    assert_eq!(sev(&status, "kms.secrets.create", "401"), Critical);
    assert_eq!(sev(&status, "kms.unknown", "200"), Normal);

    let action = transform(r#"{"severity":{"precedence":"action","default":"warning"}}"#);
    assert_eq!(sev(&action, "kms.secrets.create", "401"), Normal);
    assert_eq!(sev(&action, "kms.secrets.delete", "409"), Critical);
    assert_eq!(sev(&action, "kms.unknown", "401"), Critical);
    assert_eq!(sev(&action, "kms.unknown", "200"), Warning);
}

#[test]
fn the_last_occurrence_of_a_read_field_counts() {
    let e = r#"{"action":"kms.secrets.delete","action":"kms.secrets.wrap","reason":{"reasonCode":200}}"#;
    assert_eq!(run(e).severity, Normal);
    let e = r#"{"action":"kms.secrets.wrap","reason":{"reasonCode":401,"reasonCode":200}}"#;
    assert_eq!(run(e).severity, Normal);
    // A later `reason` without a code replaces the earlier one's code.
    let e =
        r#"{"action":"kms.secrets.wrap","reason":{"reasonCode":401},"reason":{"reasonType":"OK"}}"#;
    assert_eq!(run(e).severity, Normal);
    let e = r#"{"action":"kms.secrets.wrap","reason":{"reasonCode":200},"reason":{"reasonCode":"403"}}"#;
    assert_eq!(run(e).severity, Critical);
    // Nested `action` and `reasonCode` members elsewhere are not read.
    let e = r#"{"action":"kms.secrets.wrap","x":{"action":"kms.secrets.delete","reason":{"reasonCode":401}},
               "reason":{"x":{"reasonCode":401}}}"#;
    assert_eq!(run(e).severity, Normal);
    // Escaped names are the same names.
    let e = r#"{"\u0061ction":"kms.secrets.d\u0065lete"}"#;
    assert_eq!(run(e).severity, Critical);
}

#[test]
fn exactly_one_severity_member_replaced_in_place() {
    let d = run(r#"{"a":1,"severity":"normal","b":2,"severity":"x","c":3,"severity":{"n":[1]}}"#);
    assert_eq!(d.json, r#"{"a":1,"severity":"normal","b":2,"c":3}"#);
    let d = run(r#"{"severity":"normal","action":"kms.secrets.delete"}"#);
    assert_eq!(
        d.json,
        r#"{"severity":"critical","action":"kms.secrets.delete"}"#
    );
    let d = run(r#"{"action":"kms.secrets.rotate"}"#);
    assert_eq!(
        d.json,
        r#"{"action":"kms.secrets.rotate","severity":"warning"}"#
    );
    let d = run(r#"{ "severity" : 42 , "k" : 1 }"#);
    assert_eq!(d.json, r#"{ "severity" : "normal" , "k" : 1 }"#);
    // Only the top level holds the transform's severity.
    let d = run(r#"{"x":{"severity":"low"}}"#);
    assert_eq!(d.json, r#"{"x":{"severity":"low"},"severity":"normal"}"#);
    let d = run(r#"{"s\u0065verity":"low","a":1}"#);
    assert_eq!(d.json, r#"{"s\u0065verity":"normal","a":1}"#);
}

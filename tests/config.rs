//! Configuration: defaults, and errors that name the key's path.

use kpaudit::{ErrorKind, Transform};

fn rejected(config: &str) -> String {
    match Transform::from_json(config.as_bytes()) {
        Ok(_) => panic!("accepted: {config}"),
        Err(e) => {
            assert_eq!(e.kind(), ErrorKind::InvalidConfig, "{}", e.message());
            e.message().to_owned()
        }
    }
}

#[test]
fn empty_text_and_empty_object_are_the_defaults() {
    for config in [
        "",
        "{}",
        r#"{"severity":{},"redact":{},"route":{},"limits":{}}"#,
    ] {
        let t = Transform::from_json(config.as_bytes()).unwrap();
        assert_eq!(t.max_event_bytes(), 1 << 20);
        assert_eq!(t.route_names()[0], "unmatched");
        assert_eq!(t.route_names().len(), 14, "{:?}", t.route_names());
    }
}

#[test]
fn the_documented_example_is_accepted() {
    let config = r#"{
      "severity": { "default": "normal", "precedence": "highest", "actions": {"kms.custom.op": "warning"}, "status": {"500": "warning"} },
      "redact":   { "fields": ["secretValue"], "mode": "remove", "mask": "[REDACTED]" },
      "route":    { "regions": {"eu-es": "eu-de"}, "destinations": {"us-south": "at-dallas"}, "unmatched": "unmatched", "field": null },
      "limits":   { "max_event_bytes": 1048576, "max_depth": 128 } }"#;
    Transform::from_json(config.as_bytes()).unwrap();
}

#[test]
fn errors_name_the_path_and_what_was_expected() {
    let cases = [
        (
            r#"{"route":{"destinatons":{}}}"#,
            "route.destinatons: unknown field",
        ),
        (r#"{"sevrity":{}}"#, "sevrity"),
        (
            r#"{"severity":{"default":"high"}}"#,
            "severity.default: unknown variant `high`",
        ),
        (
            r#"{"severity":{"precedence":"lowest"}}"#,
            "severity.precedence: unknown variant",
        ),
        (
            r#"{"severity":{"actions":{"kms.x":"urgent"}}}"#,
            "severity.actions.kms.x: unknown variant",
        ),
        (
            r#"{"severity":{"status":{"5xx":"warning"}}}"#,
            "severity.status.5xx: expected an HTTP status code",
        ),
        (
            r#"{"severity":{"status":{"1000":"warning"}}}"#,
            "severity.status.1000",
        ),
        (
            r#"{"severity":{"status":{"+500":"warning"}}}"#,
            "severity.status.+500",
        ),
        (
            r#"{"severity":{"actions":{"":"warning"}}}"#,
            "severity.actions: an action name may not be empty",
        ),
        (
            r#"{"severity":{"actions":{"kms.keyrings.list":"warning","kms.key-rings.list":"critical"}}}"#,
            "another spelling of the same action",
        ),
        (
            r#"{"redact":{"mode":"hide"}}"#,
            "redact.mode: unknown variant",
        ),
        (
            r#"{"redact":{"fields":"payload"}}"#,
            "redact.fields: invalid type",
        ),
        (
            r#"{"redact":{"fields":[""]}}"#,
            "redact.fields[0]: a field name may not be empty",
        ),
        (
            r#"{"redact":{"fields":["x","severity"]}}"#,
            "redact.fields[1]: severity names severity, the field the transform sets",
        ),
        // Names match without regard to ASCII case, in the scanner and so here.
        (
            r#"{"redact":{"fields":["Severity"]}}"#,
            "redact.fields[0]: Severity names severity",
        ),
        (
            r#"{"redact":{"fields":["SEVERITY"],"mode":"mask"}}"#,
            "redact.fields[0]: SEVERITY names severity",
        ),
        (r#"{"route":{"field":"Severity"}}"#, "route.field: Severity names severity"),
        (r#"{"route":{"field":"severity"}}"#, "route.field: severity"),
        (
            r#"{"route":{"field":"PayLoad"}}"#,
            "route.field: PayLoad is a built-in key-material name",
        ),
        (
            r#"{"route":{"field":"tok"},"redact":{"fields":["TOK"]}}"#,
            "route.field: tok is listed in redact.fields",
        ),
        (r#"{"route":{"field":""}}"#, "route.field: may not be empty"),
        (
            r#"{"route":{"unmatched":""}}"#,
            "route.unmatched: a route name may not be empty",
        ),
        (
            r#"{"route":{"unmatched":"a\nb"}}"#,
            "route.unmatched: a route name may not hold control characters",
        ),
        (
            r#"{"route":{"destinations":{"us-soth":"x"}}}"#,
            "route.destinations.us-soth: no region routes",
        ),
        (
            r#"{"route":{"destinations":{"us-south":""}}}"#,
            "route.destinations.us-south: a route name may not be empty",
        ),
        (
            r#"{"route":{"regions":{"eu-es":"\u0007"}}}"#,
            "route.regions.eu-es: a route name may not hold control",
        ),
        (
            r#"{"limits":{"max_event_bytes":0}}"#,
            "limits.max_event_bytes: expected 1 to",
        ),
        (
            r#"{"limits":{"max_event_bytes":-1}}"#,
            "limits.max_event_bytes: invalid value",
        ),
        (
            r#"{"limits":{"max_depth":0}}"#,
            "limits.max_depth: expected 1 to",
        ),
        (
            r#"{"limits":{"max_depth":"128"}}"#,
            "limits.max_depth: invalid type",
        ),
        (
            r#"{"limits":{"max_depth":128,"max_depth":64}}"#,
            "limits: duplicate field `max_depth`",
        ),
        ("[]", "invalid config: expected a JSON object"),
        (
            r#"{"route":[]}"#,
            "invalid config: route: expected a JSON object",
        ),
        (
            r#"{"limits":[1,2]}"#,
            "invalid config: limits: expected a JSON object",
        ),
        // Text that is not JSON: its line and column, no key path.
        (
            "{",
            "invalid config: line 1, column 1: EOF while parsing an object (the configuration is not valid JSON)",
        ),
        (
            "{\n  \"route\": {\"field\": \"x\"",
            "invalid config: line 2, column 24: EOF while parsing an object",
        ),
        (
            "{\"redact\": {\"fields\": [\"a\",]}}",
            "invalid config: line 1, column 28: trailing comma",
        ),
        ("{} {}", "invalid config: line 1, column 4: trailing characters"),
        ("   ", "invalid config: line 1, column 3: EOF while parsing a value"),
    ];
    for (config, expected) in cases {
        let message = rejected(config);
        assert!(message.starts_with("invalid config: "), "{message}");
        assert!(!message.contains('?'), "{message}");
        assert!(
            message.contains(expected),
            "{config}\n  gave: {message}\n  want: {expected}"
        );
    }
}

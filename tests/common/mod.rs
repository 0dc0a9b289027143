//! Helpers shared by the integration tests.
#![allow(dead_code)]

use kpaudit::{Error, Output, Severity, Transform};

/// The result of one event through a transform.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Done {
    pub json: String,
    pub severity: Severity,
    pub route: String,
    pub redacted: u32,
}

pub fn transform(config: &str) -> Transform {
    Transform::from_json(config.as_bytes()).unwrap_or_else(|e| panic!("config rejected: {e}"))
}

pub fn run_with(t: &Transform, event: &str) -> Result<Done, Error> {
    run_bytes(t, event.as_bytes())
}

pub fn run_bytes(t: &Transform, event: &[u8]) -> Result<Done, Error> {
    let mut out = Output::new();
    t.transform(event, &mut out)?;
    Ok(Done {
        json: String::from_utf8(out.data().to_vec()).expect("output is UTF-8"),
        severity: out.severity(),
        route: out.route().to_owned(),
        redacted: out.redacted(),
    })
}

/// One event through the built-in defaults.
pub fn run(event: &str) -> Done {
    run_with(&transform(""), event).unwrap_or_else(|e| panic!("event rejected: {e}"))
}

pub fn event_with(action: &str, code: &str) -> String {
    format!(
        r#"{{"action":"{action}","reason":{{"reasonCode":{code}}},"logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::"}}"#
    )
}

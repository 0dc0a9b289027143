//! Any bytes as configuration: accepted or rejected with a message, never
//! a panic; an accepted configuration transforms an event into one of the
//! routes it declares.
#![no_main]

use kpaudit::{Output, Transform};

const EVENT: &[u8] = br#"{"action":"kms.secrets.delete","reason":{"reasonCode":503},"payload":"x","logSourceCRN":"crn:v1:bluemix:public:kms:eu-de:a/1:i::"}"#;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    match Transform::from_json(data) {
        Ok(t) => {
            let mut out = Output::new();
            if t.transform(EVENT, &mut out).is_ok() {
                assert!(t.route_names().iter().any(|r| r == out.route()));
            }
        }
        Err(e) => assert!(!e.message().is_empty()),
    }
});

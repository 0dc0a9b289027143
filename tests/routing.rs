//! Routing: every region of the table, zones, each fallback, never a guess.

mod common;

use common::{run, run_with, transform};

const REGIONS: &[&str] = &[
    "us-south", "us-east", "eu-gb", "eu-de", "au-syd", "jp-tok", "jp-osa", "ca-tor", "br-sao",
    "eu-es", "ca-mon", "in-che", "in-mum",
];

fn crn(location: &str) -> String {
    format!(
        "crn:v1:bluemix:public:kms:{location}:a/0123abcd:fd692647-43d0-4699-9f83-f39a54b1327b::"
    )
}

fn key_crn(location: &str) -> String {
    format!("crn:v1:bluemix:public:kms:{location}:a/0123abcd:fd69:key:76c2c9cb")
}

#[test]
fn every_region_routes_to_its_own_activity_tracker_region() {
    for region in REGIONS {
        let d = run(&format!(r#"{{"logSourceCRN":"{}"}}"#, crn(region)));
        assert_eq!(d.route, *region);
    }
}

#[test]
fn a_zone_routes_as_its_region() {
    for (zone, region) in [
        ("eu-de-1", "eu-de"),
        ("jp-tok-2", "jp-tok"),
        ("us-south-3", "us-south"),
    ] {
        assert_eq!(
            run(&format!(r#"{{"logSourceCRN":"{}"}}"#, crn(zone))).route,
            region
        );
    }
    for not_zone in ["eu-de-", "eu-de-a", "eu-de-1-2", "xx-1", "eu", "-1"] {
        let d = run(&format!(r#"{{"logSourceCRN":"{}"}}"#, crn(not_zone)));
        assert_eq!(d.route, "unmatched", "{not_zone}");
    }
}

#[test]
fn a_crn_without_its_scheme_is_the_same_crn() {
    let c = crn("au-syd");
    assert_eq!(
        run(&format!(r#"{{"logSourceCRN":"{}"}}"#, &c[4..])).route,
        "au-syd"
    );
}

#[test]
fn falls_back_to_target_id_then_to_the_request_host() {
    let uri = "https://private.ca-tor.kms.cloud.ibm.com/api/v2/keys/x?action=wrap";
    let e = format!(
        r#"{{"target":{{"id":"{}"}},"requestData":{{"requestURI":"{uri}"}}}}"#,
        key_crn("br-sao")
    );
    assert_eq!(run(&e).route, "br-sao");
    let e = format!(
        r#"{{"logSourceCRN":null,"target":{{"id":"{}"}}}}"#,
        key_crn("br-sao")
    );
    assert_eq!(run(&e).route, "br-sao");
    let e =
        format!(r#"{{"target":{{"id":null,"name":"k"}},"requestData":{{"requestURI":"{uri}"}}}}"#);
    assert_eq!(run(&e).route, "ca-tor");
    let e = format!(r#"{{"target":"flat","requestData":{{"requestURI":"{uri}"}}}}"#);
    assert_eq!(run(&e).route, "ca-tor");
    let e = r#"{"requestData":{"requestURI":"https://eu-gb.kms.cloud.ibm.com/api/v2/keys"}}"#;
    assert_eq!(run(e).route, "eu-gb");
    let e = r#"{"requestData":{"requestURI":"https://EU-GB.KMS.cloud.ibm.com:443/api"}}"#;
    assert_eq!(run(e).route, "eu-gb", "a host name has no case");
    let e = r#"{"requestData":{"requestURI":"https://Jp-Tok-2.kms.cloud.ibm.com/api"}}"#;
    assert_eq!(run(e).route, "jp-tok", "a zone, in any case");
    let e = r#"{"logSourceCRN":"crn:v1:bluemix:public:kms:EU-GB:a/1:2::"}"#;
    assert_eq!(
        run(e).route,
        "unmatched",
        "a CRN's location is compared as written"
    );
    // A URL in the query of a bare path is not the request's host.
    let e =
        r#"{"requestData":{"requestURI":"/api/v2/keys?next=https://us-east.kms.cloud.ibm.com/x"}}"#;
    assert_eq!(run(e).route, "unmatched");
    assert_eq!(run(r#"{"a":1}"#).route, "unmatched");
}

#[test]
fn a_present_value_that_is_no_crn_never_falls_back() {
    let target = format!(r#""target":{{"id":"{}"}}"#, key_crn("us-east"));
    for bad in [
        r#""us-east""#,
        r#""""#,
        "42",
        "true",
        "{}",
        r#"["x"]"#,
        r#""crn:v1:bluemix""#,
        &format!("\"{}\"", crn("xx-unknown")),
    ] {
        let e = format!(r#"{{"logSourceCRN":{bad},{target}}}"#);
        assert_eq!(run(&e).route, "unmatched", "{bad}");
    }
    let e = r#"{"requestData":{"requestURI":"/api/v2/keys/abc?action=wrap"}}"#;
    assert_eq!(run(e).route, "unmatched");
    let e = r#"{"requestData":{"requestURI":"https://us-south.example.com/"}}"#;
    assert_eq!(run(e).route, "unmatched");
}

#[test]
fn the_last_occurrence_counts_and_null_means_absent() {
    let e = format!(
        r#"{{"logSourceCRN":"{}","logSourceCRN":"{}"}}"#,
        crn("eu-de"),
        crn("jp-osa")
    );
    assert_eq!(run(&e).route, "jp-osa");
    let e = format!(
        r#"{{"logSourceCRN":"{}","logSourceCRN":null,"target":{{"id":"{}"}}}}"#,
        crn("eu-de"),
        key_crn("in-che")
    );
    assert_eq!(run(&e).route, "in-che");
    // Escaped text is read as its unescaped value.
    let e = r#"{"logSourceCRN":"crn:v1:bluemix:public:kms:eu\u002dgb:a/1:2::"}"#;
    assert_eq!(run(e).route, "eu-gb");
}

#[test]
fn configured_regions_and_destinations() {
    let t = transform(
        r#"{"route":{"regions":{"eu-es":"eu-de","xx-new":"us-east"},
                     "destinations":{"us-south":"at-dallas","eu-de":"at-frankfurt"},
                     "unmatched":"dead-letter"}}"#,
    );
    let route = |loc: &str| {
        run_with(&t, &format!(r#"{{"logSourceCRN":"{}"}}"#, crn(loc)))
            .unwrap()
            .route
    };
    assert_eq!(route("us-south"), "at-dallas");
    assert_eq!(route("eu-es"), "at-frankfurt");
    assert_eq!(route("eu-de-2"), "at-frankfurt");
    assert_eq!(route("xx-new"), "us-east");
    assert_eq!(route("jp-tok"), "jp-tok");
    assert_eq!(route("zz-none"), "dead-letter");
    assert_eq!(
        run(&format!(r#"{{"logSourceCRN":"{}"}}"#, crn("eu-es"))).route,
        "eu-es"
    );
    let names = t.route_names();
    assert_eq!(names[0], "dead-letter");
    for name in ["at-dallas", "at-frankfurt", "us-east", "jp-tok"] {
        assert!(names.iter().any(|n| n == name), "{name} in {names:?}");
    }
}

#[test]
fn the_route_field_is_written_and_replaces_an_existing_member() {
    let t = transform(r#"{"route":{"field":"_route","destinations":{"eu-de":"at \"fra\""}}}"#);
    let e = format!(r#"{{"logSourceCRN":"{}","a":1}}"#, crn("eu-de"));
    let d = run_with(&t, &e).unwrap();
    assert!(
        d.json
            .ends_with(r#""a":1,"severity":"normal","_route":"at \"fra\""}"#),
        "{}",
        d.json
    );
    let e = format!(
        r#"{{"_route":"old","logSourceCRN":"{}","_route":"dup","severity":"x"}}"#,
        crn("au-syd")
    );
    let d = run_with(&t, &e).unwrap();
    assert_eq!(
        d.json,
        format!(
            r#"{{"_route":"au-syd","logSourceCRN":"{}","severity":"normal"}}"#,
            crn("au-syd")
        )
    );
    let d = run_with(&t, "{}").unwrap();
    assert_eq!(d.json, r#"{"severity":"normal","_route":"unmatched"}"#);
    serde_json::from_str::<serde_json::Value>(&d.json).unwrap();
}

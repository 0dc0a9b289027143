//! The batch API: the same results as event by event, every line accounted
//! for, nothing of a rejected line anywhere.

#[path = "../examples/gen_events/corpus.rs"]
mod corpus;

use kpaudit::{Batch, ErrorKind, Output, Severity, Transform};

const MARK: &str = "R3J3CT3DM4RK";

fn chunk(seed: u64, events: usize, corrupt_every: usize) -> (Vec<u8>, Vec<Vec<u8>>) {
    let mut rng = corpus::Rng::new(seed);
    let mut lines = Vec::new();
    for i in 0..events {
        let line = corpus::event(&mut rng).into_bytes();
        if corrupt_every > 0 && i % corrupt_every == 3 {
            let mut bad = format!(r#"{{"payload":"{MARK}","#).into_bytes();
            bad.extend_from_slice(&corpus::corrupt_line(&mut rng, &line));
            lines.push(bad);
        } else {
            lines.push(line);
        }
    }
    (lines.join(&b'\n'), lines)
}

#[test]
fn a_batch_equals_the_events_one_by_one() {
    let t = Transform::from_json(br#"{"route":{"destinations":{"eu-de":"at-fra"}}}"#).unwrap();
    let (ndjson, lines) = chunk(3, 5000, 97);
    let mut batch = Batch::new();
    t.transform_batch(&ndjson, &mut batch);

    let mut out = Output::new();
    let mut per_route = vec![Vec::new(); t.route_names().len()];
    let mut counts = vec![0; t.route_names().len()];
    let mut severities = [0; 3];
    let mut rejected = Vec::new();
    let mut redacted = 0u64;
    for (i, line) in lines.iter().enumerate() {
        match t.transform(line, &mut out) {
            Ok(()) => {
                per_route[out.route_index()].extend_from_slice(out.data());
                per_route[out.route_index()].push(b'\n');
                counts[out.route_index()] += 1;
                severities[out.severity() as usize] += 1;
                redacted += u64::from(out.redacted());
            }
            Err(e) => rejected.push((i + 1, e.kind(), e.message().to_owned())),
        }
    }
    assert_eq!(batch.lines(), lines.len());
    assert_eq!(batch.emitted() + batch.rejected().len(), batch.lines());
    assert!(!rejected.is_empty());
    assert_eq!(batch.route_count(), t.route_names().len());
    for r in 0..batch.route_count() {
        assert_eq!(batch.route_name(r), Some(t.route_names()[r].as_str()));
        assert_eq!(batch.route_ndjson(r), per_route[r].as_slice(), "route {r}");
        assert_eq!(batch.route_events(r), counts[r]);
    }
    for (s, sev) in [Severity::Normal, Severity::Warning, Severity::Critical]
        .into_iter()
        .enumerate()
    {
        assert_eq!(batch.severity_count(sev), severities[s]);
    }
    assert_eq!(batch.redacted(), redacted);
    let got: Vec<_> = batch
        .rejected()
        .iter()
        .enumerate()
        .map(|(i, r)| {
            (
                r.line,
                r.kind,
                batch.rejected_message(i).unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(got, rejected);
    // Nothing of a rejected line reaches any output or message.
    for r in 0..batch.route_count() {
        let text = String::from_utf8_lossy(batch.route_ndjson(r));
        assert!(!text.contains(MARK));
    }
    for i in 0..batch.rejected().len() {
        assert!(!batch.rejected_message(i).unwrap().contains(MARK));
    }
}

#[test]
fn lines_are_newline_terminated_and_empty_ones_are_rejected() {
    let t = Transform::from_json(b"").unwrap();
    let mut batch = Batch::new();
    let ok = br#"{"action":"kms.secrets.delete"}"#;
    let mut input = Vec::new();
    input.extend_from_slice(ok);
    input.extend_from_slice(b"\r\n\n");
    input.extend_from_slice(ok);
    input.extend_from_slice(b"\n   \n");
    input.extend_from_slice(ok);
    t.transform_batch(&input, &mut batch);
    assert_eq!(batch.lines(), 5);
    assert_eq!(batch.emitted(), 3);
    let lines: Vec<_> = batch.rejected().iter().map(|r| (r.line, r.kind)).collect();
    assert_eq!(
        lines,
        [(2, ErrorKind::InvalidEvent), (4, ErrorKind::InvalidEvent)]
    );
    assert_eq!(
        batch.rejected_message(0),
        Some("invalid event: empty event at byte 0")
    );
    assert_eq!(batch.severity_count(Severity::Critical), 3);
    let expected = "{\"action\":\"kms.secrets.delete\",\"severity\":\"critical\"}\n".repeat(3);
    assert_eq!(batch.route_ndjson(0), expected.as_bytes());

    // A trailing newline ends the last line; it does not start another.
    t.transform_batch(b"{}\n", &mut batch);
    assert_eq!((batch.lines(), batch.emitted()), (1, 1));
    t.transform_batch(b"", &mut batch);
    assert_eq!(
        (batch.lines(), batch.emitted(), batch.route_ndjson(0).len()),
        (0, 0, 0)
    );
}

#[test]
fn oversized_lines_are_rejected_by_size_first() {
    let t = Transform::from_json(br#"{"limits":{"max_event_bytes":40}}"#).unwrap();
    let mut batch = Batch::new();
    let big = format!(r#"{{"a":"{}"}}"#, "x".repeat(100));
    let input = format!("{{}}\n{big}\n{{\"payload\":1}}");
    t.transform_batch(input.as_bytes(), &mut batch);
    assert_eq!(batch.lines(), 3);
    assert_eq!(batch.rejected().get(0).unwrap().line, 2);
    assert_eq!(
        batch.rejected().get(0).unwrap().kind,
        ErrorKind::EventTooLarge
    );
    assert_eq!(batch.redacted(), 1);
}

#[test]
fn one_batch_serves_transforms_with_other_routes() {
    let a = Transform::from_json(b"").unwrap();
    let b =
        Transform::from_json(br#"{"route":{"unmatched":"dlq","destinations":{"us-south":"dal"}}}"#)
            .unwrap();
    let event = br#"{"logSourceCRN":"crn:v1:bluemix:public:kms:us-south:a/1:2::"}"#;
    let mut batch = Batch::new();
    a.transform_batch(event, &mut batch);
    let us = (0..batch.route_count())
        .find(|&r| batch.route_events(r) == 1)
        .unwrap();
    assert_eq!(batch.route_name(us), Some("us-south"));
    b.transform_batch(event, &mut batch);
    assert_eq!(batch.route_name(0), Some("dlq"));
    let dal = (0..batch.route_count())
        .find(|&r| batch.route_events(r) == 1)
        .unwrap();
    assert_eq!(batch.route_name(dal), Some("dal"));
    assert_eq!(batch.route_count(), b.route_names().len());
}

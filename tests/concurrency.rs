//! One transform shared by many threads gives what one thread gives.

#[path = "../examples/gen_events/corpus.rs"]
mod corpus;

use std::sync::Arc;

use kpaudit::{Batch, Output, Transform};

fn digest(t: &Transform, lines: &[String]) -> Vec<(Vec<u8>, String)> {
    let mut out = Output::new();
    lines
        .iter()
        .map(|line| match t.transform(line.as_bytes(), &mut out) {
            Ok(()) => (out.data().to_vec(), out.route().to_owned()),
            Err(e) => (Vec::new(), e.message().to_owned()),
        })
        .collect()
}

/// The corpus, one line in 50 corrupted.
fn corpus_lines() -> Vec<String> {
    let mut rng = corpus::Rng::new(21);
    (0..3000)
        .map(|i| {
            let line = corpus::event(&mut rng);
            if i % 50 == 0 {
                String::from_utf8_lossy(&corpus::corrupt_line(&mut rng, line.as_bytes()))
                    .into_owned()
            } else {
                line
            }
        })
        .collect()
}

#[test]
fn eight_threads_agree_with_one() {
    let lines = corpus_lines();
    let t = Arc::new(Transform::from_json(br#"{"route":{"field":"_route"}}"#).unwrap());
    let expected = digest(&t, &lines);
    assert!(
        expected.iter().any(|(data, _)| data.is_empty()),
        "some lines are rejected"
    );
    let lines = Arc::new(lines);
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (t, lines) = (Arc::clone(&t), Arc::clone(&lines));
            std::thread::spawn(move || digest(&t, &lines))
        })
        .collect();
    for th in threads {
        assert!(th.join().unwrap() == expected);
    }
}

/// Every route's NDJSON and the rejected lines of each chunk.
fn batch_digest(t: &Transform, chunks: &[Vec<u8>]) -> Vec<Vec<u8>> {
    let mut batch = Batch::new();
    let mut digest = Vec::new();
    for chunk in chunks {
        t.transform_batch(chunk, &mut batch);
        for route in 0..batch.route_count() {
            digest.push(batch.route_ndjson(route).to_vec());
        }
        let rejected = batch.rejected().iter().map(|r| r.line.to_string());
        digest.push(rejected.collect::<Vec<_>>().join(",").into_bytes());
    }
    digest
}

#[test]
fn twelve_threads_with_a_batch_each_agree_with_one() {
    let lines = corpus_lines();
    let chunks: Vec<Vec<u8>> = lines
        .chunks(250)
        .map(|c| c.join("\n").into_bytes())
        .collect();
    let t = Arc::new(Transform::from_json(b"").unwrap());
    let expected = batch_digest(&t, &chunks);
    assert!(expected
        .iter()
        .any(|d| !d.is_empty() && d[0].is_ascii_digit()));
    let (chunks, start) = (Arc::new(chunks), Arc::new(std::sync::Barrier::new(12)));
    let threads: Vec<_> = (0..12)
        .map(|_| {
            let (t, chunks, start) = (Arc::clone(&t), Arc::clone(&chunks), Arc::clone(&start));
            std::thread::spawn(move || {
                start.wait();
                batch_digest(&t, &chunks)
            })
        })
        .collect();
    for th in threads {
        assert!(th.join().unwrap() == expected);
    }
}

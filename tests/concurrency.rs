//! One transform shared by many threads gives what one thread gives.

#[path = "../examples/gen_events/corpus.rs"]
mod corpus;

use std::sync::Arc;

use kpaudit::{Output, Transform};

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

#[test]
fn eight_threads_agree_with_one() {
    let mut rng = corpus::Rng::new(21);
    let lines: Vec<String> = (0..3000)
        .map(|i| {
            let line = corpus::event(&mut rng);
            if i % 50 == 0 {
                String::from_utf8_lossy(&corpus::corrupt_line(&mut rng, line.as_bytes()))
                    .into_owned()
            } else {
                line
            }
        })
        .collect();
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

//! `kpaudit explain`: one event's decisions, as text or JSON.

use std::io::Read;
use std::path::PathBuf;

use kpaudit::severity::Precedence;
use kpaudit::Explanation;

use crate::{fail, load_transform, EXIT_IO, EXIT_OK, EXIT_REJECTED};

/// `kpaudit explain`'s arguments.
pub struct ExplainArgs {
    pub config: Option<PathBuf>,
    pub json: bool,
    pub event: Option<String>,
}

pub fn explain(args: ExplainArgs) -> u8 {
    let t = match load_transform(args.config.as_ref()) {
        Ok(t) => t,
        Err(status) => return status,
    };
    let event = match args.event.as_deref() {
        Some(event) if event != "-" => event.as_bytes().to_vec(),
        _ => {
            let mut buf = Vec::new();
            if let Err(e) = std::io::stdin().read_to_end(&mut buf) {
                return fail(EXIT_IO, format!("reading stdin: {e}"));
            }
            // One event, as a line: its newline is not part of it.
            while buf.last().is_some_and(|b| *b == b'\n' || *b == b'\r') {
                buf.pop();
            }
            buf
        }
    };
    match t.explain(&event) {
        Ok(x) => {
            if args.json {
                println!("{}", as_json(&x));
            } else {
                print!("{}", as_text(&x));
            }
            EXIT_OK
        }
        // The event is rejected: say why, as a run would.
        Err(e) => fail(EXIT_REJECTED, format!("the event is rejected: {e}")),
    }
}

fn precedence_name(p: Precedence) -> &'static str {
    match p {
        Precedence::Highest => "highest",
        Precedence::Status => "status",
        Precedence::Action => "action",
    }
}

fn as_text(x: &Explanation) -> String {
    let mut s = String::new();
    let rule = |r: Option<(kpaudit::Severity, kpaudit::severity::Origin)>| match r {
        Some((sev, origin)) => format!("{} ({})", sev.as_str(), origin.describe()),
        None => "not listed".to_owned(),
    };
    s += &format!("severity: {}\n", x.severity.as_str());
    match &x.action {
        Some(a) => s += &format!("  action: {a} -> {}\n", rule(x.action_rule)),
        None => s += "  action: none (no string `action`)\n",
    }
    match x.status {
        Some(c) => s += &format!("  status: {c} -> {}\n", rule(x.status_rule)),
        None => s += "  status: none (no usable reason.reasonCode)\n",
    }
    s += &format!("  decided by: {}\n", x.decided_by);
    s += &format!("route: {}\n", x.route);
    match (&x.route_field, &x.route_value) {
        (Some(field), Some(value)) => {
            let location = x.location.as_deref().unwrap_or("none found");
            s += &format!("  from: {field} = {value}\n  location: {location}\n");
        }
        (Some(field), None) => s += &format!("  from: {field}, which is not a string: unmatched\n"),
        _ => s +=
            "  from: no routing field present (logSourceCRN, target.id, requestData.requestURI)\n",
    }
    if x.envelope {
        s += "envelope: yes (the event inside `payload` decided; severity written there)\n";
    }
    s += &format!("redacted: {}\n", x.redacted.len());
    for path in &x.redacted {
        s += &format!("  {path}\n");
    }
    s += &format!("output:\n  {}\n", String::from_utf8_lossy(&x.output));
    s
}

fn as_json(x: &Explanation) -> serde_json::Value {
    let rule = |r: Option<(kpaudit::Severity, kpaudit::severity::Origin)>| match r {
        Some((sev, origin)) => {
            serde_json::json!({"severity": sev.as_str(), "from": origin.describe()})
        }
        None => serde_json::Value::Null,
    };
    let output: serde_json::Value = serde_json::from_slice(&x.output)
        .unwrap_or_else(|_| String::from_utf8_lossy(&x.output).into_owned().into());
    serde_json::json!({
        "severity": x.severity.as_str(),
        "action": x.action,
        "action_rule": rule(x.action_rule),
        "status": x.status,
        "status_rule": rule(x.status_rule),
        "precedence": precedence_name(x.precedence),
        "decided_by": x.decided_by,
        "route": x.route,
        "route_field": x.route_field,
        "route_value": x.route_value,
        "location": x.location,
        "envelope": x.envelope,
        "redacted": x.redacted,
        "output": output,
    })
}

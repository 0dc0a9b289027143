//! A one-bit-per-slot filter over member names. Most members of an event are
//! none of the few the scanner acts on (key material, `severity`, the route
//! field, the values it reads), and one lookup says so, sparing the string
//! comparisons whose outcome the CPU cannot predict.

/// Names are hashed on their length and their first and last bytes, folded
/// to ASCII lower case so that key material matches in any case.
#[derive(Clone, Debug)]
pub struct NameFilter {
    bits: [u64; SLOTS / 64],
}

const SLOTS: usize = 512;

impl NameFilter {
    pub fn new<'a>(names: impl IntoIterator<Item = &'a [u8]>) -> NameFilter {
        let mut bits = [0u64; SLOTS / 64];
        for name in names {
            let slot = slot(name);
            bits[slot / 64] |= 1 << (slot % 64);
        }
        NameFilter { bits }
    }

    /// False when `name` (unescaped) is certainly none of the names given.
    #[inline(always)]
    pub fn may_match(&self, name: &[u8]) -> bool {
        let slot = slot(name);
        self.bits[slot / 64] & (1 << (slot % 64)) != 0
    }
}

#[inline(always)]
fn slot(name: &[u8]) -> usize {
    let (first, last) = match name {
        [] => (0, 0),
        [only] => (*only, *only),
        [first, .., last] => (*first, *last),
    };
    let key = (name.len() as u32)
        ^ u32::from(first.to_ascii_lowercase()) << 16
        ^ u32::from(last.to_ascii_lowercase()) << 24;
    (key.wrapping_mul(0x9E37_79B1) >> 23) as usize % SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_names_always_pass_in_any_case() {
        let names: [&[u8]; 4] = [b"payload", b"iv", b"x", b""];
        let f = NameFilter::new(names);
        for n in names {
            assert!(f.may_match(n));
            assert!(f.may_match(&n.to_ascii_uppercase()));
        }
        assert!(f.may_match(b"PayLoaD"));
    }

    #[test]
    fn most_other_names_are_turned_away() {
        let f = NameFilter::new([&b"payload"[..], b"severity", b"action"]);
        let others = [
            "eventTime",
            "outcome",
            "reasonType",
            "initiator",
            "typeURI",
            "name",
            "host",
            "address",
            "addressType",
            "agent",
            "credential",
            "type",
            "authnName",
            "authnId",
            "observer",
            "instanceId",
            "responseData",
            "keyVersionId",
            "correlationId",
            "saveServiceCopy",
            "dataEvent",
            "message",
        ];
        let passed = others.iter().filter(|n| f.may_match(n.as_bytes())).count();
        assert!(passed <= 2, "{passed} of {} passed", others.len());
    }
}

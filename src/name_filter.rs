//! A table over member names, 512 slots of what a name there might be. Most
//! members of an event are none of the few the scanner acts on (key
//! material, `severity`, the route field, the values it reads), and one
//! lookup says so, or says which one comparison is worth making, sparing
//! comparisons whose outcome the CPU cannot predict.

/// What a name in a slot might be (bits of `NameFilter::slots`).
pub(crate) const KEY_MATERIAL: u8 = 1;
pub(crate) const SEVERITY: u8 = 2;
pub(crate) const ROUTE_FIELD: u8 = 4;
pub(crate) const READ: u8 = 8;
/// A name a host asked about (`Plan::watch`).
pub(crate) const WATCH: u8 = 16;

/// Names are hashed on their length and their first and last bytes, with
/// ASCII case folded so that key material matches in any case.
#[derive(Clone, Debug)]
pub struct NameFilter {
    slots: [u8; SLOTS],
}

const SLOTS: usize = 512;

impl NameFilter {
    pub fn new<'a>(names: impl IntoIterator<Item = (&'a [u8], u8)>) -> NameFilter {
        let mut slots = [0u8; SLOTS];
        for (name, kind) in names {
            slots[slot(name)] |= kind;
        }
        NameFilter { slots }
    }

    /// This filter with `name` added as `kind`: per call, for a name that
    /// only one call looks for (a copy of 512 bytes).
    pub fn with(&self, name: &[u8], kind: u8) -> NameFilter {
        let mut f = self.clone();
        f.slots[slot(name)] |= kind;
        f
    }

    /// A filter that says every name might be anything: the scanners then
    /// take no short path and compare every name (tests compare the two).
    #[cfg(test)]
    pub(crate) fn saturated() -> NameFilter {
        NameFilter {
            slots: [u8::MAX; SLOTS],
        }
    }

    /// The kinds `name` (unescaped) might be; 0 when it is certainly none
    /// of the names given.
    #[inline(always)]
    pub fn kinds(&self, name: &[u8]) -> u8 {
        self.slots[slot(name)]
    }
}

#[inline(always)]
fn slot(name: &[u8]) -> usize {
    let (first, last) = match name {
        [] => (0, 0),
        [first, ..] => (*first, name[name.len() - 1]),
    };
    // `| 0x20` folds ASCII letters to lower case in one operation (and
    // pairs some other bytes too, which only costs a rare extra compare).
    let key = (name.len() as u32) ^ u32::from(first | 0x20) << 16 ^ u32::from(last | 0x20) << 24;
    (key.wrapping_mul(0x9E37_79B1) >> 23) as usize % SLOTS
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn given_names_always_pass_in_any_case_with_their_kind() {
        let names: [&[u8]; 4] = [b"payload", b"iv", b"x", b""];
        let f = NameFilter::new(names.map(|n| (n, KEY_MATERIAL)));
        for n in names {
            assert_ne!(f.kinds(n) & KEY_MATERIAL, 0);
            assert_ne!(f.kinds(&n.to_ascii_uppercase()) & KEY_MATERIAL, 0);
        }
        assert_ne!(f.kinds(b"PayLoaD") & KEY_MATERIAL, 0);
        let f = NameFilter::new([(&b"severity"[..], SEVERITY), (b"action", READ)]);
        assert_eq!(f.kinds(b"severity"), SEVERITY);
        assert_eq!(f.kinds(b"action"), READ);
    }

    #[test]
    fn most_other_names_are_turned_away() {
        let f = NameFilter::new([
            (&b"payload"[..], KEY_MATERIAL),
            (b"severity", SEVERITY),
            (b"action", READ),
        ]);
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
        let passed = others.iter().filter(|n| f.kinds(n.as_bytes()) != 0).count();
        assert!(passed <= 2, "{passed} of {} passed", others.len());
    }
}

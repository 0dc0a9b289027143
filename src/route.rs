//! Routing: the Key Protect location of an event, its Activity Tracker
//! region, and the destination (route name) the host maps to an output.

use std::collections::HashMap;

use crate::fast_hash::FastMap;

/// Key Protect deployment region to Activity Tracker region (Table 5 of the
/// activity-tracking document, extended with the regions opened later).
pub const REGION_TABLE: &[(&str, &str)] = &[
    ("us-south", "us-south"),
    ("us-east", "us-east"),
    ("eu-gb", "eu-gb"),
    ("eu-de", "eu-de"),
    ("au-syd", "au-syd"),
    ("jp-tok", "jp-tok"),
    ("jp-osa", "jp-osa"),
    ("ca-tor", "ca-tor"),
    ("br-sao", "br-sao"),
    ("eu-es", "eu-es"),
    ("ca-mon", "ca-mon"),
    ("in-che", "in-che"),
    ("in-mum", "in-mum"),
];

/// The route of events whose region cannot be established, by default.
pub const DEFAULT_UNMATCHED: &str = "unmatched";

/// What the event said in one routing source field.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Source<'a> {
    /// Absent or `null`: fall back to the next source.
    Missing,
    /// A string value, unescaped.
    Text(&'a [u8]),
    /// Present but neither a string nor null: never a guess, so unmatched.
    Other,
}

/// The compiled routing rules. Route names are indexes into `names`.
#[derive(Clone, Debug)]
pub struct RouteRules {
    /// Key Protect region -> route index.
    by_region: FastMap<Box<[u8]>, usize>,
    names: Vec<String>,
    unmatched: usize,
}

impl RouteRules {
    /// `regions`: KP region -> AT region; `destinations`: AT region -> name
    /// (an AT region without an entry routes to its own name).
    pub fn new(
        regions: &HashMap<String, String>,
        destinations: &HashMap<String, String>,
        unmatched: &str,
    ) -> RouteRules {
        let mut names: Vec<String> = Vec::new();
        let mut index_of = |name: &str| -> usize {
            match names.iter().position(|n| n == name) {
                Some(i) => i,
                None => {
                    names.push(name.to_owned());
                    names.len() - 1
                }
            }
        };
        let unmatched = index_of(unmatched);
        let mut by_region = FastMap::default();
        let mut sorted: Vec<_> = regions.iter().collect();
        sorted.sort();
        for (region, at_region) in sorted {
            let dest = destinations.get(at_region).unwrap_or(at_region);
            by_region.insert(Box::from(region.as_bytes()), index_of(dest));
        }
        RouteRules {
            by_region,
            names,
            unmatched,
        }
    }

    /// Every route name this configuration can produce, `unmatched` first.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    pub fn name(&self, index: usize) -> &str {
        &self.names[index]
    }

    pub fn unmatched(&self) -> usize {
        self.unmatched
    }

    /// The route index for the three routing sources, in fallback order.
    pub fn route(&self, crn: Source<'_>, target_id: Source<'_>, uri: Source<'_>) -> usize {
        let location = match (crn, target_id, uri) {
            (Source::Text(c), _, _) => crn_location(c),
            (Source::Other, _, _) => None,
            (Source::Missing, Source::Text(c), _) => crn_location(c),
            (Source::Missing, Source::Other, _) => None,
            (Source::Missing, Source::Missing, Source::Text(u)) => uri_location(u),
            (Source::Missing, Source::Missing, _) => None,
        };
        location
            .and_then(|loc| self.region(loc))
            .unwrap_or(self.unmatched)
    }

    /// The route of a location: a region, or a zone inside one (`eu-de-1`).
    fn region(&self, location: &[u8]) -> Option<usize> {
        if let Some(&i) = self.by_region.get(location) {
            return Some(i);
        }
        let dash = location.iter().rposition(|&b| b == b'-')?;
        let zone = &location[dash + 1..];
        if zone.is_empty() || !zone.iter().all(u8::is_ascii_digit) {
            return None;
        }
        self.by_region.get(&location[..dash]).copied()
    }
}

/// The location segment of a CRN (`crn:v1:bluemix:public:kms:<location>:...`),
/// also accepted without its `crn:` scheme. `None` when it is not a CRN.
pub fn crn_location(crn: &[u8]) -> Option<&[u8]> {
    let rest = crn
        .strip_prefix(b"crn:v1:")
        .or_else(|| crn.strip_prefix(b"v1:"))?;
    // After the version: cname, ctype, service-name, location.
    let mut parts = rest.splitn(5, |&b| b == b':');
    let (_cname, _ctype, _service) = (parts.next()?, parts.next()?, parts.next()?);
    let location = parts.next()?;
    // A CRN goes on past its location (scope, instance, ...).
    parts.next()?;
    (!location.is_empty()).then_some(location)
}

/// The region in a Key Protect endpoint URL's host:
/// `<region>.kms.cloud.ibm.com` or `private.<region>.kms.cloud.ibm.com`.
/// A bare path has no host and so no location.
pub fn uri_location(uri: &[u8]) -> Option<&[u8]> {
    let after_scheme = uri.windows(3).position(|w| w == b"://")? + 3;
    let authority = &uri[after_scheme..];
    let end = authority
        .iter()
        .position(|&b| matches!(b, b'/' | b'?' | b'#'))
        .unwrap_or(authority.len());
    let mut host = &authority[..end];
    if let Some(at) = host.iter().rposition(|&b| b == b'@') {
        host = &host[at + 1..];
    }
    if let Some(colon) = host.iter().position(|&b| b == b':') {
        host = &host[..colon];
    }
    let host = strip_suffix_ignore_case(host, b".kms.cloud.ibm.com")?;
    let region = match strip_prefix_ignore_case(host, b"private.") {
        Some(r) => r,
        None => host,
    };
    (!region.is_empty() && !region.contains(&b'.')).then_some(region)
}

fn strip_suffix_ignore_case<'a>(s: &'a [u8], suffix: &[u8]) -> Option<&'a [u8]> {
    let cut = s.len().checked_sub(suffix.len())?;
    s[cut..].eq_ignore_ascii_case(suffix).then(|| &s[..cut])
}

fn strip_prefix_ignore_case<'a>(s: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    (s.len() >= prefix.len() && s[..prefix.len()].eq_ignore_ascii_case(prefix))
        .then(|| &s[prefix.len()..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crn_location_reads_the_sixth_segment() {
        let crn = b"crn:v1:bluemix:public:kms:us-south:a/0123:fd69::";
        assert_eq!(crn_location(crn), Some(&b"us-south"[..]));
        assert_eq!(crn_location(&crn[4..]), Some(&b"us-south"[..]));
        assert_eq!(crn_location(b"crn:v1:bluemix:public:kms:us-south"), None);
        assert_eq!(crn_location(b"us-south"), None);
        assert_eq!(crn_location(b"crn:v1:bluemix:public:kms::a/1:x::"), None);
    }

    #[test]
    fn uri_location_reads_public_and_private_hosts() {
        assert_eq!(
            uri_location(b"https://eu-de.kms.cloud.ibm.com/api/v2/keys"),
            Some(&b"eu-de"[..])
        );
        assert_eq!(
            uri_location(b"https://private.jp-tok.kms.cloud.ibm.com:443/api"),
            Some(&b"jp-tok"[..])
        );
        assert_eq!(uri_location(b"/api/v2/keys/abc"), None);
        assert_eq!(uri_location(b"https://example.com/api"), None);
        assert_eq!(uri_location(b"https://a.b.kms.cloud.ibm.com/"), None);
    }
}

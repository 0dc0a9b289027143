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

    /// The route of an event whose location is `location` (`None` when
    /// no location could be read): its region's, else the unmatched route.
    pub fn route_location(&self, location: Option<&[u8]>) -> usize {
        location
            .and_then(|loc| self.region(loc))
            .unwrap_or(self.unmatched)
    }

    /// `route_location` for a location read from a host name, which DNS
    /// compares without regard to case (`EU-DE.kms.cloud.ibm.com`).
    pub fn route_host_location(&self, location: Option<&[u8]>) -> usize {
        match location {
            Some(loc) if loc.iter().any(u8::is_ascii_uppercase) => {
                self.route_location(Some(&loc.to_ascii_lowercase()))
            }
            _ => self.route_location(location),
        }
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

/// The region in the host of a Key Protect (or Hyper Protect Crypto
/// Services) endpoint URL. A bare path has no host, and a host of another
/// shape has no region: both give `None`.
pub fn uri_location(uri: &[u8]) -> Option<&[u8]> {
    // The scheme opens the URI: a `://` later on (a URL in the query of a
    // bare path) names no host of this request.
    let scheme_end = uri.windows(3).position(|w| w == b"://")?;
    let scheme = &uri[..scheme_end];
    let scheme_ok = scheme.first().is_some_and(u8::is_ascii_alphabetic)
        && scheme
            .iter()
            .all(|&b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
    if !scheme_ok {
        return None;
    }
    let authority = &uri[scheme_end + 3..];
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
    host_region(host)
}

/// The documented endpoint hosts and where their region is:
///
/// - `<region>.kms.cloud.ibm.com`, `private.<region>...`, quantum-safe
///   `qsc.<region>...` and `private-qsc.<region>...`;
/// - Dedicated `<instance>.api.<region>.kms.appdomain.cloud`;
/// - legacy `keyprotect.<region>.bluemix.net`;
/// - HPCS `<service>.<region>.hs-crypto.cloud.ibm.com` and
///   `<instance>.<service>.<region>.hs-crypto.appdomain.cloud`, `<service>`
///   one of api, uko, ep11, tke, kmip, cert-mgr, optionally followed by
///   `.private` or `.vpc.private`.
fn host_region(host: &[u8]) -> Option<&[u8]> {
    let region = if let Some(rest) = strip_suffix_ignore_case(host, b".kms.cloud.ibm.com") {
        let (before, region) = split_last_label(rest);
        match before {
            None => region,
            Some(b)
                if [&b"private"[..], b"qsc", b"private-qsc"]
                    .iter()
                    .any(|p| b.eq_ignore_ascii_case(p)) =>
            {
                region
            }
            Some(_) => return None,
        }
    } else if let Some(rest) = strip_suffix_ignore_case(host, b".kms.appdomain.cloud") {
        let (before, region) = split_last_label(rest);
        let (instance, api) = split_last_label(before?);
        if !api.eq_ignore_ascii_case(b"api") || !is_label(instance?) {
            return None;
        }
        region
    } else if let Some(rest) = strip_suffix_ignore_case(host, b".bluemix.net") {
        strip_prefix_ignore_case(rest, b"keyprotect.")?
    } else if let Some(rest) = strip_suffix_ignore_case(host, b".hs-crypto.cloud.ibm.com")
        .or_else(|| strip_suffix_ignore_case(host, b".hs-crypto.appdomain.cloud"))
    {
        let (before, region) = split_last_label(rest);
        if !is_hpcs_prefix(before?) {
            return None;
        }
        region
    } else {
        return None;
    };
    is_label(region).then_some(region)
}

/// What may come before the region in an HPCS host: `[<instance>.]<service>`
/// then optionally `.private` or `.vpc.private`.
fn is_hpcs_prefix(prefix: &[u8]) -> bool {
    let mut rest = prefix;
    for tail in [&b".vpc.private"[..], b".private"] {
        if let Some(r) = strip_suffix_ignore_case(rest, tail) {
            rest = r;
            break;
        }
    }
    let (instance, service) = split_last_label(rest);
    let known = [&b"api"[..], b"uko", b"ep11", b"tke", b"kmip", b"cert-mgr"]
        .iter()
        .any(|s| service.eq_ignore_ascii_case(s));
    known && instance.is_none_or(is_label)
}

/// `a.b.c` as (`Some("a.b")`, `c`); `c` as (`None`, `c`).
fn split_last_label(name: &[u8]) -> (Option<&[u8]>, &[u8]) {
    match name.iter().rposition(|&b| b == b'.') {
        Some(dot) => (Some(&name[..dot]), &name[dot + 1..]),
        None => (None, name),
    }
}

fn is_label(label: &[u8]) -> bool {
    !label.is_empty() && !label.contains(&b'.')
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
    fn uri_location_reads_every_documented_host_shape() {
        for (uri, region) in [
            (
                "https://qsc.us-south.kms.cloud.ibm.com/api/v2/keys",
                Some("us-south"),
            ),
            (
                "https://private-qsc.eu-gb.kms.cloud.ibm.com/api",
                Some("eu-gb"),
            ),
            (
                "https://0a1b.api.eu-es.kms.appdomain.cloud/api/v2/keys",
                Some("eu-es"),
            ),
            (
                "https://keyprotect.au-syd.bluemix.net/api/v2/keys",
                Some("au-syd"),
            ),
            (
                "https://api.us-east.hs-crypto.cloud.ibm.com:9730/api",
                Some("us-east"),
            ),
            (
                "https://api.private.eu-de.hs-crypto.cloud.ibm.com/",
                Some("eu-de"),
            ),
            (
                "https://1234.ep11.vpc.private.br-sao.hs-crypto.appdomain.cloud",
                Some("br-sao"),
            ),
            ("https://ibm-key-protect.edge.bluemix.net/api", None),
            ("https://x.qsc.us-south.kms.cloud.ibm.com/api", None),
            ("https://a.b.api.eu-es.kms.appdomain.cloud/", None),
            ("https://other.us-east.hs-crypto.cloud.ibm.com/", None),
            ("https://us-south.kms.cloud.ibm.com.evil.example/", None),
        ] {
            assert_eq!(
                uri_location(uri.as_bytes()),
                region.map(str::as_bytes),
                "{uri}"
            );
        }
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
        // Only a scheme at the start opens a host.
        assert_eq!(
            uri_location(b"/api/v2/keys?next=https://us-east.kms.cloud.ibm.com/x"),
            None
        );
        assert_eq!(uri_location(b"x y://us-east.kms.cloud.ibm.com/x"), None);
        assert_eq!(uri_location(b"://us-east.kms.cloud.ibm.com/x"), None);
        assert_eq!(
            uri_location(b"git+https://us-east.kms.cloud.ibm.com/x"),
            Some(&b"us-east"[..])
        );
        assert_eq!(uri_location(b"https://example.com/api"), None);
        assert_eq!(uri_location(b"https://a.b.kms.cloud.ibm.com/"), None);
    }
}

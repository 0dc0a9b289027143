//! Which members carry key material, and what becomes of them.

/// Names of members that carry key material in the Key Protect API (and
/// Hyper Protect Crypto Services' key API, which mirrors it). They are
/// always stripped; configuration can only add to them.
pub const KEY_MATERIAL: &[&str] = &[
    "payload",
    "encryptedNonce",
    "iv",
    "plaintext",
    "ciphertext",
    "aad",
    "nonce",
    "authorization",
];

/// Credentials that Hyper Protect Crypto Services documents as sensitive:
/// the values UKO events replace with `[redacted]` (in the documentation's
/// spelling and the UKO API's), and the PKCS #11 keystore password.
/// Stripped when the `hs-crypto` service is enabled (the default).
pub const HPCS_CREDENTIALS: &[&str] = &[
    "service_principal_password",
    "secret_access_key",
    "access_key_id",
    "api_key",
    "azure_service_principal_password",
    "aws_secret_access_key",
    "aws_access_key_id",
    "ibm_api_key",
    "tokenspaceIDPassword",
    "private_keystore_password",
];

/// Fields of GREP11 (EP11 over gRPC) messages that carry key material or
/// plaintext, should such a message body ever reach an event. No
/// documentation says they do: stripped for defence in depth when the
/// `hs-crypto` service is enabled and `redact.inferred` is true (both the
/// default). Note `key` and `state` are among them.
pub const EP11_INFERRED: &[&str] = &[
    "KeyBytes",
    "PrivKeyBytes",
    "NewKeyBytes",
    "UnwrappedBytes",
    "Key",
    "KeK",
    "MacKey",
    "BaseKey",
    "PrivKey",
    "DecKey",
    "EncKey",
    "Wrapped",
    "WrappedKey",
    "RewrappedKey",
    "Plain",
    "State",
    "Rnd",
];

/// The built-in names that apply: Key Protect's always, HPCS's credentials
/// when `hpcs`, and the inferred EP11 fields when both `hpcs` and `inferred`.
pub fn builtin_names<'a>(hpcs: bool, inferred: bool) -> impl Iterator<Item = &'a str> {
    let documented: &'a [&'a str] = KEY_MATERIAL;
    let credentials: &'a [&'a str] = if hpcs { HPCS_CREDENTIALS } else { &[] };
    let ep11: &'a [&'a str] = if hpcs && inferred { EP11_INFERRED } else { &[] };
    documented.iter().chain(credentials).chain(ep11).copied()
}

/// What happens to a key-material member.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RedactMode {
    /// The whole member goes.
    Remove,
    /// The value is replaced by this string (already a JSON string literal,
    /// quotes included).
    Mask(Vec<u8>),
}

/// The set of key-material names, matched after JSON unescaping and without
/// regard to ASCII case.
#[derive(Clone, Debug)]
pub struct KeyMaterial {
    /// Lower-cased names grouped by length: most keys are rejected by one
    /// length check without comparing any bytes.
    by_len: Vec<Vec<Box<[u8]>>>,
    /// Bit n set when some name has length n (names up to 63 bytes).
    lengths: u64,
    pub mode: RedactMode,
}

impl KeyMaterial {
    /// The set of `names` (Key Protect's built-in names are always added).
    pub fn new<'a>(names: impl IntoIterator<Item = &'a str>, mode: RedactMode) -> KeyMaterial {
        let mut by_len: Vec<Vec<Box<[u8]>>> = Vec::new();
        let mut folded = Vec::new();
        for name in KEY_MATERIAL.iter().copied().chain(names) {
            // A configured name is kept as incoming names are compared.
            let name = if fold_to_ascii(name.as_bytes(), &mut folded) {
                &folded[..]
            } else {
                name.as_bytes()
            };
            let lower: Box<[u8]> = name.to_ascii_lowercase().into();
            if by_len.len() <= lower.len() {
                by_len.resize(lower.len() + 1, Vec::new());
            }
            if !by_len[lower.len()].contains(&lower) {
                by_len[lower.len()].push(lower);
            }
        }
        let lengths = (0..by_len.len().min(64))
            .filter(|&n| !by_len[n].is_empty())
            .fold(0u64, |mask, n| mask | 1 << n);
        KeyMaterial {
            by_len,
            lengths,
            mode,
        }
    }

    /// The names, lower-cased.
    pub fn names(&self) -> impl Iterator<Item = &[u8]> {
        self.by_len.iter().flatten().map(|n| &n[..])
    }

    /// Whether an (unescaped) member name is key material: equal to one
    /// ignoring ASCII case, once the letters outside ASCII that readers
    /// ignoring case take for ASCII ones are folded (`fold_to_ascii`).
    #[inline]
    pub fn contains(&self, name: &[u8]) -> bool {
        self.contains_ignoring_ascii_case(name) || (!name.is_ascii() && self.contains_folded(name))
    }

    #[cold]
    fn contains_folded(&self, name: &[u8]) -> bool {
        let mut folded = Vec::new();
        fold_to_ascii(name, &mut folded) && self.contains_ignoring_ascii_case(&folded)
    }

    #[inline]
    fn contains_ignoring_ascii_case(&self, name: &[u8]) -> bool {
        if name.len() < 64 && self.lengths & (1 << name.len()) == 0 {
            return false;
        }
        match (self.by_len.get(name.len()), name.first()) {
            // Names are stored lower-cased; comparing the first byte first
            // turns away most names of a matching length cheaply.
            (Some(names), Some(&first)) => names
                .iter()
                .any(|n| n[0] == first.to_ascii_lowercase() && n.eq_ignore_ascii_case(name)),
            _ => false,
        }
    }

    /// Whether `text` (what a string holds, unescaped) holds a key-material
    /// member name the way JSON text writes one: in double quotes and
    /// followed by a colon, also when escaped once more (`\"payload\":`, as
    /// JSON inside a JSON string), with the quotes, colon or whitespace
    /// written as `\u` escapes, or the name spelled with them. Such text is
    /// a copy of JSON holding key material (a request body kept as a
    /// string, a raw line saved beside the event), and the scanners do not
    /// parse what a string holds: they take it out whole. It looks rather
    /// than parses, so text cut short counts too; a name quoted in prose
    /// has no colon and does not. The Go package's `KeyMaterial.InText` is
    /// the same test. Only text with a `"` or a `\` can hold such a name.
    pub fn in_text(&self, text: &[u8]) -> bool {
        match punctuation_unescaped(text) {
            Some(plain) => self.in_plain_text(&plain),
            None => self.in_plain_text(text),
        }
    }

    fn in_plain_text(&self, text: &[u8]) -> bool {
        let mut name = Vec::new();
        let mut rest = text;
        while let Some(i) = rest.iter().position(|&b| b == b'"') {
            rest = &rest[i + 1..];
            let Some(j) = rest.iter().position(|&b| b == b'"') else {
                return false;
            };
            if followed_by_colon(&rest[j + 1..])
                && self.contains(quoted_name(&rest[..j], &mut name))
            {
                return true;
            }
            rest = &rest[j..];
        }
        false
    }
}

/// The letters outside ASCII that a reader comparing names without regard
/// to case takes for ASCII letters, and those letters: KELVIN SIGN and
/// LONG S are `k` and `s` to Unicode simple case folding (Go's
/// encoding/json fills a struct's `Key` field from `"\u212aey"`), and
/// Java's `equalsIgnoreCase` also takes DOTLESS I and CAPITAL I WITH DOT
/// ABOVE for `i` (.NET's ordinal comparison ignoring case the dotless one).
const FOLDS_TO_ASCII: [(&str, u8); 4] = [
    ("\u{212A}", b'k'),
    ("\u{17F}", b's'),
    ("\u{131}", b'i'),
    ("\u{130}", b'i'),
];

/// `name` with the letters of `FOLDS_TO_ASCII` written as their ASCII
/// letters, into `out`; false when it has none. A key-material name so
/// spelled is key material to such a reader, and so to the transform.
pub fn fold_to_ascii(name: &[u8], out: &mut Vec<u8>) -> bool {
    out.clear();
    let mut folded = false;
    let mut i = 0;
    'bytes: while i < name.len() {
        if name[i] >= 0x80 {
            for (letter, ascii) in FOLDS_TO_ASCII {
                if name[i..].starts_with(letter.as_bytes()) {
                    out.push(ascii);
                    i += letter.len();
                    folded = true;
                    continue 'bytes;
                }
            }
        }
        out.push(name[i]);
        i += 1;
    }
    folded
}

/// The four hex digits of a `\u` escape, as a number.
fn hex4(digits: &[u8]) -> Option<u32> {
    match digits {
        [_, _, _, _] if digits.iter().all(u8::is_ascii_hexdigit) => std::str::from_utf8(digits)
            .ok()
            .and_then(|h| u32::from_str_radix(h, 16).ok()),
        _ => None,
    }
}

/// `text` with the `\u` escapes of the characters that shape JSON text
/// (`"`, `:` and whitespace), after a run of backslashes, replaced by those
/// characters; `None` when it has none.
fn punctuation_unescaped(text: &[u8]) -> Option<Vec<u8>> {
    let mut out: Option<Vec<u8>> = None;
    let (mut i, mut copied) = (0, 0);
    while i < text.len() {
        if text[i] != b'\\' {
            i += 1;
            continue;
        }
        let mut j = i;
        while text.get(j) == Some(&b'\\') {
            j += 1;
        }
        let c = text
            .get(j..j + 5)
            .filter(|e| e[0] == b'u')
            .and_then(|e| hex4(&e[1..]))
            .filter(|&c| matches!(c, 0x22 | 0x3a | 0x20 | 0x09 | 0x0a | 0x0d));
        if let Some(c) = c {
            let o = out.get_or_insert_with(|| Vec::with_capacity(text.len()));
            o.extend_from_slice(&text[copied..i]);
            o.push(c as u8);
            copied = j + 5;
            i = copied;
        } else {
            i = j;
        }
    }
    out.map(|mut o| {
        o.extend_from_slice(&text[copied..]);
        o
    })
}

/// Whether a colon comes next, past whitespace (raw, or escaped once or
/// more: a run of backslashes and `n`, `r` or `t`).
fn followed_by_colon(mut rest: &[u8]) -> bool {
    loop {
        match rest {
            [b' ' | b'\t' | b'\r' | b'\n', tail @ ..] => rest = tail,
            [b'\\', ..] => {
                let run = rest.iter().take_while(|&&b| b == b'\\').count();
                match rest.get(run) {
                    Some(b'n' | b'r' | b't') => rest = &rest[run + 1..],
                    _ => return false,
                }
            }
            [b':', ..] => return true,
            _ => return false,
        }
    }
}

/// The name between two quotes: without the backslashes that escape the
/// closing quote in escaped JSON, and with JSON's escapes resolved (a run
/// of backslashes counts as one, for text escaped more than once). Bytes
/// that are not a well-formed escape are kept as they are (a `\u` escape
/// of a lone surrogate is not one).
fn quoted_name<'a>(token: &'a [u8], buf: &'a mut Vec<u8>) -> &'a [u8] {
    let end = token.iter().rposition(|&b| b != b'\\').map_or(0, |i| i + 1);
    let token = &token[..end];
    if !token.contains(&b'\\') {
        return token;
    }
    buf.clear();
    let mut i = 0;
    while i < token.len() {
        if token[i] != b'\\' {
            buf.push(token[i]);
            i += 1;
            continue;
        }
        while token.get(i + 1) == Some(&b'\\') {
            i += 1;
        }
        let escaped = token
            .get(i + 2..i + 6)
            .filter(|_| token.get(i + 1) == Some(&b'u'))
            .and_then(hex4)
            .and_then(char::from_u32);
        if let Some(c) = escaped {
            buf.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
            i += 6;
        } else if let Some(&b) = token.get(i + 1) {
            buf.push(b);
            i += 2;
        } else {
            i += 1;
        }
    }
    buf
}

/// Whether a name is one of the built-in key-material names (of any list).
pub fn is_builtin(name: &str) -> bool {
    KEY_MATERIAL
        .iter()
        .chain(HPCS_CREDENTIALS)
        .chain(EP11_INFERRED)
        .any(|k| k.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_ignoring_ascii_case_only() {
        let km = KeyMaterial::new(["secretValue"], RedactMode::Remove);
        assert!(km.contains(b"payload"));
        assert!(km.contains(b"PayLoad"));
        assert!(km.contains(b"ENCRYPTEDNONCE"));
        assert!(km.contains(b"secretvalue"));
        assert!(!km.contains(b"payloads"));
        assert!(!km.contains(b"pay"));
        assert!(!km.contains("p\u{e1}yload".as_bytes()));
        assert!(!km.contains(b""));
    }

    #[test]
    fn finds_member_names_in_text() {
        let km = KeyMaterial::new([], RedactMode::Remove);
        for text in [
            &br#"{"action":"kms.secrets.wrap","requestData":{"Payload":"c2Vj"}}"#[..],
            br#"{\"payload\":\"x\"}"#,
            br#"{\\\"iv\\\" : 1}"#,
            br#"{"pay\u006coad":"x"}"#,
            br#"{\"\\u0069v\":1}"#,
            b"{\n  \"iv\"\t:\n1}",
            br#"{\"iv\"\n:1}"#,
            br#"{"a":1,"PLAINTEXT":"x"#,
            br#"{\u0022payload\u0022:\u0022x\u0022}"#,
            br#"{\\u0022iv\\u0022\\u003A1}"#,
            br#"{"iv"\u0020:1}"#,
            br#"{\"iv\"\\n:1}"#,
        ] {
            assert!(km.in_text(text), "{}", String::from_utf8_lossy(text));
        }
        for text in [
            &b""[..],
            b"/api/v2/keys/1?action=wrap",
            br#"the "payload" member is missing"#,
            br#"{"a":"payload"}"#,
            br#"{"payloads":1,"ivy":2,"p\u00e1yload":3}"#,
            br#"""#,
            br#""\"#,
            br#""\u00":1"#,
            br#""iv"#,
            br#""\u+069v":1"#,
            br#"{\u0022iv\u0022 \u0041:1}"#,
            br#"C:\users\u0022x"#,
        ] {
            assert!(!km.in_text(text), "{}", String::from_utf8_lossy(text));
        }
    }
}

package kpaudit

/*
#include "kpaudit.h"
*/
import "C"

import (
	"runtime"
	"strings"
	"unicode/utf8"
)

// KeyMaterial says which member names a transform strips as key material,
// and how. A host applies it to what it carries beside the event and the
// transform never sees, such as a log record's attributes or a message's
// metadata, so that key material cannot travel there either.
//
// A name is key material when it equals one of Names ignoring ASCII case,
// once the letters outside ASCII that readers ignoring case take for ASCII
// letters are folded: KELVIN SIGN (U+212A) to k and LONG S (U+017F) to s,
// as Unicode case folding does (encoding/json, filling a struct, reads
// "\u212aey" as Key), DOTLESS I (U+0131) and CAPITAL I WITH DOT ABOVE
// (U+0130) to i, as Java's equalsIgnoreCase does. Other letters outside
// ASCII are other names. The transform compares unescaped JSON names the
// same way.
// Such a member is removed, or in mask mode its value becomes the mask.
// A KeyMaterial is immutable and safe for concurrent use.
type KeyMaterial struct {
	names  []string   // lower-cased, as the library lists them
	byLen  [][]string // names by length
	mask   string
	masked bool
}

func newKeyMaterial(ptr *C.kpaudit_transform) *KeyMaterial {
	k := &KeyMaterial{}
	n := int(C.kpaudit_transform_key_material_count(ptr))
	for i := range n {
		var size C.size_t
		p := C.kpaudit_transform_key_material_name(ptr, C.size_t(i), &size)
		if p == nil {
			continue
		}
		name := string(cBytes(p, size))
		k.names = append(k.names, name)
		for len(k.byLen) <= len(name) {
			k.byLen = append(k.byLen, nil)
		}
		k.byLen[len(name)] = append(k.byLen[len(name)], name)
	}
	var size C.size_t
	if p := C.kpaudit_transform_mask(ptr, &size); p != nil {
		k.mask, k.masked = string(cBytes(p, size)), true
	}
	runtime.KeepAlive(ptr)
	return k
}

// KeyMaterial is the transform's key-material rule. It stays usable after
// Close.
func (t *Transform) KeyMaterial() *KeyMaterial {
	return t.keyMaterial
}

// Names lists the key-material names, lower-cased.
func (k *KeyMaterial) Names() []string {
	return append([]string(nil), k.names...)
}

// Is reports whether a member of this name is key material.
func (k *KeyMaterial) Is(name string) bool {
	if k.isASCIIFold(name) {
		return true
	}
	for i := 0; i < len(name); i++ {
		if name[i] >= utf8.RuneSelf {
			return k.isASCIIFold(foldToASCII.Replace(name))
		}
	}
	return false
}

// foldToASCII writes the letters outside ASCII that readers ignoring case
// take for ASCII letters as those letters.
var foldToASCII = strings.NewReplacer("\u212a", "k", "\u017f", "s", "\u0131", "i", "\u0130", "i")

func (k *KeyMaterial) isASCIIFold(name string) bool {
	if len(name) >= len(k.byLen) {
		return false
	}
	for _, n := range k.byLen[len(name)] {
		if equalFoldASCII(n, name) {
			return true
		}
	}
	return false
}

// Mask is the string that replaces a key-material value in mask mode; ok
// is false in remove mode, where the whole member goes.
func (k *KeyMaterial) Mask() (mask string, ok bool) {
	return k.mask, k.masked
}

// InText reports whether s holds a key-material member name the way JSON
// text writes one: in double quotes and followed by a colon ("payload":),
// also when escaped once more as JSON inside a JSON string (\"payload\":),
// with the quotes, colon or whitespace written as \u escapes, or the name
// spelled with them. A host removes such a string when it carries it
// beside the event (an attribute or metadata value holding a copy of the
// raw event), since stripping only member names would pass the text inside
// it on unscanned. It looks rather than parses, so it also finds the name
// in text that is cut short or is not JSON; a name merely quoted in prose
// ("the "iv" member") has no colon and does not count. It is the test the
// library applies to string values and names inside an event.
func (k *KeyMaterial) InText(s string) bool {
	if strings.IndexByte(s, '"') < 0 && strings.IndexByte(s, '\\') < 0 {
		return false
	}
	if plain, ok := punctuationUnescaped(s); ok {
		s = plain
	}
	for i := strings.IndexByte(s, '"'); i >= 0; {
		rest := s[i+1:]
		j := strings.IndexByte(rest, '"')
		if j < 0 {
			return false
		}
		if followedByColon(rest[j+1:]) && k.Is(quotedName(rest[:j])) {
			return true
		}
		i += 1 + j
	}
	return false
}

// hex4 is the value of the four hex digits of a \u escape.
func hex4(d string) (rune, bool) {
	if len(d) != 4 {
		return 0, false
	}
	var r rune
	for i := 0; i < 4; i++ {
		c := d[i]
		switch {
		case '0' <= c && c <= '9':
			r = r<<4 | rune(c-'0')
		case 'a' <= c && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case 'A' <= c && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return 0, false
		}
	}
	return r, true
}

// punctuationUnescaped is s with the \u escapes of the characters that
// shape JSON text (", : and whitespace), after a run of backslashes,
// replaced by those characters; ok is false when s has none.
func punctuationUnescaped(s string) (out string, ok bool) {
	var b strings.Builder
	copied := 0
	for i := 0; i < len(s); {
		k := strings.IndexByte(s[i:], '\\')
		if k < 0 {
			break
		}
		i += k
		j := i
		for j < len(s) && s[j] == '\\' {
			j++
		}
		if j+5 <= len(s) && s[j] == 'u' {
			if r, isHex := hex4(s[j+1 : j+5]); isHex && (r == '"' || r == ':' || r == ' ' || r == '\t' || r == '\n' || r == '\r') {
				b.WriteString(s[copied:i])
				b.WriteByte(byte(r))
				copied = j + 5
				i = copied
				ok = true
				continue
			}
		}
		i = j
	}
	if !ok {
		return s, false
	}
	b.WriteString(s[copied:])
	return b.String(), true
}

// followedByColon says whether a colon comes next, past whitespace (raw,
// or escaped once or more: a run of backslashes and n, r or t).
func followedByColon(rest string) bool {
	for {
		switch {
		case rest == "":
			return false
		case rest[0] == ' ' || rest[0] == '\t' || rest[0] == '\r' || rest[0] == '\n':
			rest = rest[1:]
		case rest[0] == '\\':
			run := len(rest) - len(strings.TrimLeft(rest, "\\"))
			if run < len(rest) && (rest[run] == 'n' || rest[run] == 'r' || rest[run] == 't') {
				rest = rest[run+1:]
			} else {
				return false
			}
		default:
			return rest[0] == ':'
		}
	}
}

// quotedName is the name between two quotes: without the backslashes that
// escape the closing quote in escaped JSON, and with JSON's escapes
// resolved (a run of backslashes counts as one, for text escaped more than
// once); bytes that are not a well-formed escape are kept as they are (a
// \u escape of a lone surrogate is not one).
func quotedName(tok string) string {
	tok = strings.TrimRight(tok, "\\")
	if strings.IndexByte(tok, '\\') < 0 {
		return tok
	}
	var b strings.Builder
	for i := 0; i < len(tok); i++ {
		c := tok[i]
		if c != '\\' {
			b.WriteByte(c)
			continue
		}
		for i+1 < len(tok) && tok[i+1] == '\\' {
			i++
		}
		if i+5 < len(tok) && tok[i+1] == 'u' {
			if r, ok := hex4(tok[i+2 : i+6]); ok && utf8.ValidRune(r) {
				b.WriteRune(r)
				i += 5
				continue
			}
		}
		if i+1 < len(tok) {
			i++
			b.WriteByte(tok[i])
		}
	}
	return b.String()
}

// equalFoldASCII compares lower (already lower-cased) with s ignoring ASCII
// case only: strings.EqualFold would also match Unicode folds, such as the
// Kelvin sign for "k", which the transform does not.
func equalFoldASCII(lower, s string) bool {
	if len(lower) != len(s) {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != lower[i] {
			return false
		}
	}
	return true
}

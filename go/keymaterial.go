package kpaudit

/*
#include "kpaudit.h"
*/
import "C"

import "runtime"

// KeyMaterial says which member names a transform strips as key material,
// and how. A host applies it to what it carries beside the event and the
// transform never sees, such as a log record's attributes or a message's
// metadata, so that key material cannot travel there either.
//
// A name is key material when it equals one of Names ignoring ASCII case,
// and only ASCII case (as the transform compares unescaped JSON names).
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

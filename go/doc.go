// Package kpaudit transforms IBM Cloud Key Protect activity-tracking events
// (CADF JSON) through libkpaudit: it sets each event's severity from its
// action and HTTP status, strips key material (payload, encryptedNonce, iv,
// plaintext, ciphertext, aad, nonce, authorization and configured names) at
// any depth, and names the route (destination region) of the event.
//
// A Transform is built once from configuration and is safe for concurrent
// use by any number of goroutines. Inputs are handed to the library without
// copying; outputs are copied into Go memory before the call returns, so a
// Result or BatchResult stays valid for as long as the caller keeps it.
//
// Rejected events come back as an *Error whose Code is the library's result
// code; errors.Is matches it against ErrInvalidEvent, ErrEventTooLarge and
// the other sentinels. An error message never quotes the event's bytes.
package kpaudit

package web

import (
	"crypto/rand"
	"encoding/hex"
)

// idBytes random bytes make a conversation or answer id: 128 bits, so ids
// cannot be guessed, and resuming by id is safe without an account.
const idBytes = 16

// newID returns a fresh random id of 32 lowercase hex characters.
func newID() string {
	var b [idBytes]byte
	rand.Read(b[:]) // never fails (crypto/rand crashes the program instead)
	return hex.EncodeToString(b[:])
}

// validID reports whether s has the shape newID produces.
func validID(s string) bool {
	if len(s) != 2*idBytes {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

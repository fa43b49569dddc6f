package status

import (
	"crypto/rand"
	"regexp"
)

// idAlphabet has no look-alike pairs, so ids survive being read aloud.
const idAlphabet = "0123456789abcdefghjkmnpqrstvwxyz"

// NewID returns a short opaque public identifier: 12 characters, 60 bits of
// randomness, like Statuspage's own ids. Ids are never counters, so they do
// not reveal how many incidents a page has had.
func NewID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // never fails (crypto/rand doc)
	for i := range b {
		b[i] = idAlphabet[b[i]&31]
	}
	return string(b[:])
}

var idPattern = regexp.MustCompile(`^[0-9a-z]{1,40}$`)

// ValidID reports whether s has the shape of a Herald id; anything else is
// not looked up at all.
func ValidID(s string) bool { return idPattern.MatchString(s) }

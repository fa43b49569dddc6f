package comms

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// Token purposes. A token made for one purpose is refused for any other.
const (
	PurposeConfirm     = "subscriber.confirm"
	PurposeManage      = "subscriber.manage"
	PurposeUnsubscribe = "subscriber.unsubscribe"
)

// Token errors. ErrTokenInvalid covers forged, truncated and wrong-purpose
// tokens alike, so an answer never tells which part was wrong.
var (
	ErrTokenInvalid = errors.New("the link is not valid")
	ErrTokenExpired = errors.New("the link has expired")
)

// Tokens makes and checks signed, URL-safe tokens: a subject (an id), an
// expiry and an HMAC-SHA256 over both and the token's purpose. Tokens
// need no storage; whatever they grant must be checked against the
// database's current state by the caller (a confirm link works once
// because the subscription is then no longer pending).
type Tokens struct {
	key []byte
}

// NewTokens returns Tokens signing with secret. It panics on a secret
// shorter than 16 bytes: that is a wiring mistake, not an input error.
func NewTokens(secret []byte) *Tokens {
	if len(secret) < 16 {
		panic("comms: token secret must be at least 16 bytes")
	}
	return &Tokens{key: append([]byte(nil), secret...)}
}

var b64 = base64.RawURLEncoding

// Make returns a token for subject, valid for purpose until expires (the
// zero time: for ever). The token is "subject.expiry.mac" in URL-safe
// base64 and base 36, so it fits a path segment unescaped.
func (t *Tokens) Make(purpose, subject string, expires time.Time) string {
	exp := "0"
	if !expires.IsZero() {
		exp = strconv.FormatInt(expires.Unix(), 36)
	}
	body := b64.EncodeToString([]byte(subject)) + "." + exp
	return body + "." + b64.EncodeToString(t.mac(purpose, body))
}

// Check returns the subject of token if it was made by these Tokens for
// purpose and has not expired at now. Otherwise it returns ErrTokenInvalid
// or ErrTokenExpired. The signature is compared in constant time.
func (t *Tokens) Check(purpose, token string, now time.Time) (string, error) {
	if len(token) > 1024 {
		return "", ErrTokenInvalid
	}
	i := strings.LastIndexByte(token, '.')
	if i < 0 {
		return "", ErrTokenInvalid
	}
	body, sig := token[:i], token[i+1:]
	got, err := b64.DecodeString(sig)
	if err != nil || !hmac.Equal(got, t.mac(purpose, body)) {
		return "", ErrTokenInvalid
	}
	enc, exp, ok := strings.Cut(body, ".")
	if !ok {
		return "", ErrTokenInvalid
	}
	subject, err := b64.DecodeString(enc)
	if err != nil {
		return "", ErrTokenInvalid
	}
	if exp != "0" {
		unix, err := strconv.ParseInt(exp, 36, 64)
		if err != nil {
			return "", ErrTokenInvalid
		}
		if !now.Before(time.Unix(unix, 0)) {
			return "", ErrTokenExpired
		}
	}
	return string(subject), nil
}

// mac signs the purpose and body; the NUL keeps purposes and bodies from
// running into each other.
func (t *Tokens) mac(purpose, body string) []byte {
	m := hmac.New(sha256.New, t.key)
	m.Write([]byte(purpose))
	m.Write([]byte{0})
	m.Write([]byte(body))
	return m.Sum(nil)
}

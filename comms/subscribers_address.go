package comms

import (
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/herald-status/herald/status"
)

// MaxEmailLen is the longest address accepted (RFC 5321 §4.5.3.1.3 path
// limit less the brackets).
const MaxEmailLen = 254

// emailPattern accepts the common dot-atom form of an address (RFC 5322
// §3.4.1) in lower case with a domain of at least two labels. Quoted local
// parts, address literals and international addresses (RFC 6531) are
// refused: few people use them and they complicate every later step.
var emailPattern = regexp.MustCompile(`^[a-z0-9!#$%&'*+/=?^_` + "`" + `{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_` + "`" + `{|}~-]+)*@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$`)

// NormaliseEmail returns addr trimmed and lower-cased, or a KindInvalid
// *status.Error whose "email" field says what is wrong: empty, too long,
// a line break or other control character, non-ASCII, or not an address.
// The whole address is lower-cased: mailbox providers treat the local part
// without case, and one subscriber per mailbox matters more than the rare
// server that does not.
func NormaliseEmail(addr string) (string, error) {
	bad := func(msg string) (string, error) {
		return "", &status.Error{Kind: status.KindInvalid, Message: "The email address is not valid.", Fields: map[string]string{"email": msg}}
	}
	a := strings.TrimSpace(addr)
	switch {
	case a == "":
		return bad("Enter your email address.")
	case len(a) > MaxEmailLen:
		return bad("That address is too long (at most 254 characters).")
	case strings.ContainsAny(a, "\r\n"):
		return bad("The address must be on one line.")
	case !utf8.ValidString(a):
		return bad("The address contains invalid characters.")
	}
	for _, r := range a {
		switch {
		case r < 0x20 || r == 0x7f:
			return bad("The address must not contain control characters.")
		case r >= 0x80:
			return bad("Only addresses in plain ASCII letters are supported; international addresses are not.")
		}
	}
	a = strings.ToLower(a)
	local, _, _ := strings.Cut(a, "@")
	if !emailPattern.MatchString(a) || len(local) > 64 {
		return bad("Enter an email address such as name@example.com.")
	}
	return a, nil
}

// listLocalParts are local parts that usually reach a group rather than a
// person: any member of such a list could unsubscribe it for everyone.
var listLocalParts = map[string]bool{
	"all": true, "everyone": true, "everybody": true, "team": true, "staff": true, "list": true, "lists": true,
	"ops": true, "devops": true, "it": true, "support": true, "info": true, "admin": true, "admins": true,
	"noreply": true, "no-reply": true, "donotreply": true, "help": true, "helpdesk": true, "sales": true,
	"office": true, "contact": true, "hello": true, "engineering": true, "dev": true, "developers": true,
	"group": true, "members": true, "sysadmin": true, "webmaster": true, "postmaster": true, "hostmaster": true,
	"abuse": true, "security": true, "noc": true, "oncall": true, "alerts": true, "notifications": true,
	"company": true, "employees": true, "announce": true,
}

// LooksLikeList reports whether addr looks like a distribution list or a
// role address (all@, team@, support@, ops-team@…), for a warning: one
// member could unsubscribe everyone on it.
func LooksLikeList(addr string) bool {
	local, _, ok := strings.Cut(strings.ToLower(addr), "@")
	if !ok {
		return false
	}
	if listLocalParts[local] {
		return true
	}
	for _, part := range strings.FieldsFunc(local, func(r rune) bool { return r == '-' || r == '.' || r == '_' || r == '+' }) {
		if part != local && listLocalParts[part] && part != "it" && part != "dev" {
			return true
		}
	}
	return strings.HasSuffix(local, "-list") || strings.HasPrefix(local, "list-")
}

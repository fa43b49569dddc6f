// Package comms is everything Herald sends: subscribers, notification
// fan-out, email composition and SMTP delivery.
package comms

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
)

// TLS modes for SMTP and IMAP connections.
const (
	TLSImplicit = "tls"
	TLSStartTLS = "starttls"
	TLSNone     = "none"
)

// SMTPConfig is where and how Herald delivers mail.
type SMTPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      string // TLSImplicit, TLSStartTLS or TLSNone
}

// ParseSMTPURL parses smtp://user:pass@host:587?tls=starttls (also smtps://
// for implicit TLS). Without tls=, smtp:// means STARTTLS and smtps://
// implicit TLS; the port defaults to 587 or 465.
func ParseSMTPURL(raw string) (SMTPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return SMTPConfig{}, errors.New("not a valid URL")
	}
	var c SMTPConfig
	switch u.Scheme {
	case "smtp":
		c.TLS, c.Port = TLSStartTLS, 587
	case "smtps":
		c.TLS, c.Port = TLSImplicit, 465
	default:
		return SMTPConfig{}, errors.New("must start with smtp:// or smtps://")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return SMTPConfig{}, errors.New("needs a host name")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return SMTPConfig{}, fmt.Errorf("port %q is not valid", p)
		}
		c.Port = n
	}
	if u.User != nil {
		c.Username = u.User.Username()
		c.Password, _ = u.User.Password()
	}
	q := u.Query()
	for k := range q {
		if k != "tls" {
			return SMTPConfig{}, fmt.Errorf("unknown option %q", k)
		}
	}
	if t := q.Get("tls"); t != "" {
		if t != TLSImplicit && t != TLSStartTLS && t != TLSNone {
			return SMTPConfig{}, errors.New("tls must be tls, starttls or none")
		}
		c.TLS = t
	}
	return c, nil
}

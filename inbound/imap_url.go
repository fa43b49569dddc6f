// Package inbound is everything Herald receives: the support mailbox over
// IMAP, MIME parsing, threading into incidents, and monitoring alerts.
package inbound

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// IMAPConfig is the support mailbox Herald watches.
type IMAPConfig struct {
	Host     string
	Port     int
	Username string
	Password string
	TLS      string // "tls", "starttls" or "none"
	Mailbox  string
	// Processed is the folder messages are moved to once stored ("" keeps
	// them in Mailbox, flagged \Seen): ?processed=Herald in the URL.
	Processed string
}

// ParseIMAPURL parses imaps://user:pass@host:993/INBOX or
// imap://user:pass@host:143/INBOX?tls=starttls. The mailbox defaults to
// INBOX; imaps:// means implicit TLS and imap:// STARTTLS unless tls= says
// otherwise; processed= names a folder to move stored messages to.
func ParseIMAPURL(raw string) (IMAPConfig, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return IMAPConfig{}, errors.New("not a valid URL")
	}
	var c IMAPConfig
	switch u.Scheme {
	case "imaps":
		c.TLS, c.Port = "tls", 993
	case "imap":
		c.TLS, c.Port = "starttls", 143
	default:
		return IMAPConfig{}, errors.New("must start with imaps:// or imap://")
	}
	c.Host = u.Hostname()
	if c.Host == "" {
		return IMAPConfig{}, errors.New("needs a host name")
	}
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil || n < 1 || n > 65535 {
			return IMAPConfig{}, fmt.Errorf("port %q is not valid", p)
		}
		c.Port = n
	}
	if u.User == nil || u.User.Username() == "" {
		return IMAPConfig{}, errors.New("needs a user name, as in imaps://user:pass@host/INBOX")
	}
	c.Username = u.User.Username()
	c.Password, _ = u.User.Password()
	c.Mailbox = strings.TrimPrefix(u.Path, "/")
	if c.Mailbox == "" {
		c.Mailbox = "INBOX"
	}
	q := u.Query()
	for k := range q {
		if k != "tls" && k != "processed" {
			return IMAPConfig{}, fmt.Errorf("unknown option %q", k)
		}
	}
	c.Processed = strings.TrimSpace(q.Get("processed"))
	if strings.ContainsAny(c.Processed, "\r\n\x00\"") || len(c.Processed) > 200 {
		return IMAPConfig{}, errors.New("processed must be a folder name")
	}
	if t := q.Get("tls"); t != "" {
		if t != "tls" && t != "starttls" && t != "none" {
			return IMAPConfig{}, errors.New("tls must be tls, starttls or none")
		}
		c.TLS = t
	}
	return c, nil
}

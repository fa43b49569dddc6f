package main

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"net/url"
	"os"
	"strconv"
	"time"

	"github.com/herald-status/herald/comms"
	"github.com/herald-status/herald/inbound"
	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/web"
)

// Config is Herald's whole configuration, read from HERALD_* environment
// variables and mirrored by flags (flags win).
type Config struct {
	Listen                 string
	BaseURL                string
	DatabaseURL            string
	SMTPURL                string
	SMTPConnections        string
	SMTPRate               string
	MailRetryFor           time.Duration
	MailFrom               string
	IMAPURL                string
	IMAPInterval           time.Duration
	TLSCAFile              string
	AlertWindow            time.Duration
	Secret                 string
	ServiceDeskEmail       string
	AccountManagementEmail string
	SecurityEmail          string
	Workers                bool
	MailAcknowledge        bool
	AutoMigrate            bool
	AdminEmail             string
	TrustedProxies         string
	ConsoleTimeZone        string
	LogLevel               string
	LogFormat              string

	// Parsed forms, filled by Validate.
	baseURL *url.URL
	smtp    *comms.SMTPConfig
	mailer  comms.MailerOptions
	imap    *inbound.IMAPConfig
	tls     *tls.Config // the system's roots and TLSCAFile's; nil: the system's
	proxies []string    // TrustedProxies
}

// setting is one configuration knob: its flag, environment variable,
// default and meaning.
type setting struct {
	flag, env, def, usage string
	str                   *string
	dur                   *time.Duration
	boolean               *bool
}

func (c *Config) settings() []setting {
	return []setting{
		{flag: "listen", env: "HERALD_LISTEN", def: ":8080", usage: "HTTP listen address", str: &c.Listen},
		{flag: "base-url", env: "HERALD_BASE_URL", def: "http://localhost:8080", usage: "absolute URL used in emails and feeds", str: &c.BaseURL},
		{flag: "database-url", env: "HERALD_DATABASE_URL", def: "sqlite://herald.db", usage: "postgres://… or sqlite://PATH", str: &c.DatabaseURL},
		{flag: "smtp-url", env: "HERALD_SMTP_URL", def: "", usage: "smtp://user:pass@host:587?tls=starttls (unset: dev outbox)", str: &c.SMTPURL},
		{flag: "smtp-connections", env: "HERALD_SMTP_CONNECTIONS", def: "4", usage: "SMTP connections kept open (and emails sent at once)", str: &c.SMTPConnections},
		{flag: "smtp-rate", env: "HERALD_SMTP_RATE", def: "0", usage: "emails a second at most (0: no limit)", str: &c.SMTPRate},
		{flag: "mail-retry-for", env: "HERALD_MAIL_RETRY_FOR", def: "24h", usage: "how long temporary delivery failures are retried", dur: &c.MailRetryFor},
		{flag: "mail-from", env: "HERALD_MAIL_FROM", def: "Herald <status@localhost>", usage: "sender of outbound mail", str: &c.MailFrom},
		{flag: "imap-url", env: "HERALD_IMAP_URL", def: "", usage: "imaps://user:pass@host:993/INBOX (unset: no polling)", str: &c.IMAPURL},
		{flag: "mail-acknowledge", env: "HERALD_MAIL_ACKNOWLEDGE", def: "false", usage: "answer people who write to the support mailbox (once an hour per sender and incident)", boolean: &c.MailAcknowledge},
		{flag: "imap-interval", env: "HERALD_IMAP_INTERVAL", def: "30s", usage: "poll interval when IMAP IDLE is not available", dur: &c.IMAPInterval},
		{flag: "tls-ca-file", env: "HERALD_TLS_CA_FILE", def: "", usage: "PEM file of CA certificates trusted for SMTP and IMAP besides the system's (a private CA)", str: &c.TLSCAFile},
		{flag: "alert-window", env: "HERALD_ALERT_WINDOW", def: "5m", usage: "alerts for the same components within this time share one inbox item", dur: &c.AlertWindow},
		{flag: "secret", env: "HERALD_SECRET", def: "", usage: "key for session and link tokens (unset: generated, kept in the database)", str: &c.Secret},
		{flag: "service-desk-email", env: "HERALD_SERVICE_DESK_EMAIL", def: "", usage: "where dismissed intake goes", str: &c.ServiceDeskEmail},
		{flag: "account-management-email", env: "HERALD_ACCOUNT_MANAGEMENT_EMAIL", def: "", usage: "where escalation notices go", str: &c.AccountManagementEmail},
		{flag: "security-email", env: "HERALD_SECURITY_EMAIL", def: "", usage: "the information-security officer, told of security incidents", str: &c.SecurityEmail},
		{flag: "workers", env: "HERALD_WORKERS", def: "true", usage: "run background workers (false: this replica serves HTTP only)", boolean: &c.Workers},
		{flag: "auto-migrate", env: "HERALD_AUTO_MIGRATE", def: "true", usage: "apply database migrations when serve starts", boolean: &c.AutoMigrate},
		{flag: "admin-email", env: "HERALD_ADMIN_EMAIL", def: "admin@localhost", usage: "email of the first admin user, created on an empty database", str: &c.AdminEmail},
		{flag: "trusted-proxies", env: "HERALD_TRUSTED_PROXIES", def: "", usage: "comma-separated addresses or CIDRs whose X-Forwarded-For is believed", str: &c.TrustedProxies},
		{flag: "console-time-zone", env: "HERALD_CONSOLE_TIME_ZONE", def: "", usage: "IANA time zone of console times that belong to no page (unset: the oldest page's)", str: &c.ConsoleTimeZone},
		{flag: "log-level", env: "HERALD_LOG_LEVEL", def: "info", usage: "debug, info, warn or error", str: &c.LogLevel},
		{flag: "log-format", env: "HERALD_LOG_FORMAT", def: "text", usage: "text or json", str: &c.LogFormat},
	}
}

// register adds every setting as a flag to fs, with the environment value
// (or default) as the flag's default, and returns problems with
// environment values that could not be parsed.
func (c *Config) register(fs *flag.FlagSet, getenv func(string) string) []error {
	var errs []error
	for _, s := range c.settings() {
		v := s.def
		if e := getenv(s.env); e != "" {
			v = e
		}
		usage := fmt.Sprintf("%s (env %s)", s.usage, s.env)
		switch {
		case s.str != nil:
			fs.StringVar(s.str, s.flag, v, usage)
		case s.dur != nil:
			d, err := time.ParseDuration(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q is not a duration such as 30s or 1m", s.env, v))
				d, _ = time.ParseDuration(s.def) // report the problem once
			}
			fs.DurationVar(s.dur, s.flag, d, usage)
		case s.boolean != nil:
			b, err := strconv.ParseBool(v)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %q must be true or false", s.env, v))
			}
			fs.BoolVar(s.boolean, s.flag, b, usage)
		}
	}
	return errs
}

// Validate checks the configuration and returns every problem at once,
// each naming the variable.
func (c *Config) Validate() error {
	var errs []error
	bad := func(env, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s", env, fmt.Sprintf(format, args...)))
	}
	if _, _, err := net.SplitHostPort(c.Listen); err != nil {
		bad("HERALD_LISTEN", "%q is not a listen address such as :8080 or 127.0.0.1:8080", c.Listen)
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("HERALD_BASE_URL", "must be an absolute http or https URL such as https://status.example.com")
	} else {
		c.baseURL = u
	}
	if _, err := db.ParseURL(c.DatabaseURL); err != nil {
		bad("HERALD_DATABASE_URL", "%v", err)
	}
	if c.SMTPURL != "" {
		if sc, err := comms.ParseSMTPURL(c.SMTPURL); err != nil {
			bad("HERALD_SMTP_URL", "%v", err)
		} else {
			c.smtp = &sc
		}
	}
	if n, err := strconv.Atoi(c.SMTPConnections); err != nil || n < 1 || n > 100 {
		bad("HERALD_SMTP_CONNECTIONS", "must be a whole number from 1 to 100")
	} else {
		c.mailer.Connections = n
	}
	if r, err := strconv.ParseFloat(c.SMTPRate, 64); err != nil || r < 0 || r > 100000 {
		bad("HERALD_SMTP_RATE", "must be a number of emails a second (0 for no limit)")
	} else {
		c.mailer.PerSecond = r
	}
	if c.MailRetryFor < time.Minute {
		bad("HERALD_MAIL_RETRY_FOR", "must be at least 1m")
	}
	if _, err := mail.ParseAddress(c.MailFrom); err != nil {
		bad("HERALD_MAIL_FROM", "must be an address such as \"Herald <status@example.com>\"")
	}
	if c.IMAPURL != "" {
		if ic, err := inbound.ParseIMAPURL(c.IMAPURL); err != nil {
			bad("HERALD_IMAP_URL", "%v", err)
		} else {
			c.imap = &ic
		}
	}
	if c.TLSCAFile != "" {
		if roots, err := loadCAFile(c.TLSCAFile); err != nil {
			bad("HERALD_TLS_CA_FILE", "%v", err)
		} else {
			c.tls = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
		}
	}
	if c.IMAPInterval < 5*time.Second || c.IMAPInterval > time.Hour {
		bad("HERALD_IMAP_INTERVAL", "must be between 5s and 1h")
	}
	if c.AlertWindow < 10*time.Second || c.AlertWindow > 24*time.Hour {
		bad("HERALD_ALERT_WINDOW", "must be between 10s and 24h")
	}
	if c.Secret != "" && len(c.Secret) < 32 {
		bad("HERALD_SECRET", "must be at least 32 characters (or unset to let Herald generate one)")
	}
	for env, v := range map[string]string{"HERALD_SERVICE_DESK_EMAIL": c.ServiceDeskEmail,
		"HERALD_ACCOUNT_MANAGEMENT_EMAIL": c.AccountManagementEmail, "HERALD_SECURITY_EMAIL": c.SecurityEmail, "HERALD_ADMIN_EMAIL": c.AdminEmail} {
		if v == "" && env != "HERALD_ADMIN_EMAIL" {
			continue
		}
		if a, err := mail.ParseAddress(v); err != nil || a.Address != v {
			bad(env, "%q is not an email address", v)
		}
	}
	if ps, err := web.ParseTrustedProxies(c.TrustedProxies); err != nil {
		bad("HERALD_TRUSTED_PROXIES", "%v", err)
	} else {
		c.proxies = ps
	}
	if _, err := time.LoadLocation(c.ConsoleTimeZone); err != nil || c.ConsoleTimeZone == "Local" {
		bad("HERALD_CONSOLE_TIME_ZONE", "%q is not a time zone such as Europe/Berlin", c.ConsoleTimeZone)
	}
	if _, err := parseLevel(c.LogLevel); err != nil {
		bad("HERALD_LOG_LEVEL", "must be debug, info, warn or error")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		bad("HERALD_LOG_FORMAT", "must be text or json")
	}
	return errors.Join(errs...)
}

// maxCAFile bounds HERALD_TLS_CA_FILE: the system's own bundle is about
// 200 KiB.
const maxCAFile = 10 << 20

// loadCAFile returns the system's roots plus every certificate in the PEM
// file at path. Anything else in the file (a key, a broken certificate)
// is an error, as is a file with no certificate: a mistake here would
// otherwise show only as refused connections.
func loadCAFile(path string) (*x509.CertPool, error) {
	st, err := os.Stat(path)
	if err == nil && st.Size() > maxCAFile {
		return nil, fmt.Errorf("%s is larger than %d MiB: not a CA bundle", path, maxCAFile>>20)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err // "open PATH: no such file or directory"
	}
	roots, err := x509.SystemCertPool()
	if err != nil || roots == nil {
		roots = x509.NewCertPool()
	}
	n := 0
	for block, rest := pem.Decode(b); block != nil; block, rest = pem.Decode(rest) {
		n++
		if block.Type != "CERTIFICATE" {
			return nil, fmt.Errorf("block %d in %s is a %s, not a CERTIFICATE", n, path, block.Type)
		}
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("certificate %d in %s: %w", n, path, err)
		}
		roots.AddCert(cert)
	}
	if n == 0 {
		return nil, fmt.Errorf("no PEM certificate in %s (want -----BEGIN CERTIFICATE----- blocks)", path)
	}
	return roots, nil
}

// LogValue keeps secrets out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(
		slog.String("listen", c.Listen),
		slog.String("base_url", c.BaseURL),
		slog.String("database", redactURL(c.DatabaseURL)),
		slog.String("smtp", redactURL(c.SMTPURL)),
		slog.String("imap", redactURL(c.IMAPURL)),
		slog.String("tls_ca_file", c.TLSCAFile),
		slog.Bool("workers", c.Workers),
	)
}

func redactURL(raw string) string {
	if raw == "" {
		return ""
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "(invalid)"
	}
	return u.Redacted()
}

func parseLevel(s string) (slog.Level, error) {
	var l slog.Level
	err := l.UnmarshalText([]byte(s))
	return l, err
}

func newLogger(c *Config, w io.Writer) *slog.Logger {
	level, _ := parseLevel(c.LogLevel)
	opts := &slog.HandlerOptions{Level: level}
	if c.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

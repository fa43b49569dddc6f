package main

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/herald-status/herald/inbound/alerts"
	"github.com/herald-status/herald/status"
	"github.com/herald-status/herald/status/db"
	"github.com/herald-status/herald/status/db/dbtest"
)

// herald runs the command line with the given environment and stdin.
func herald(t *testing.T, env map[string]string, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

func TestHelpListsEveryFlagAndVariable(t *testing.T) {
	t.Parallel()
	code, out, errOut := herald(t, nil, "", "--help")
	require.Equal(t, 0, code)
	all := out + errOut
	for _, c := range commands() {
		require.Contains(t, all, c.name)
	}
	for _, s := range (&Config{}).settings() {
		require.Contains(t, all, "-"+s.flag, "flag of %s", s.env)
		require.Contains(t, all, s.env)
	}
	for _, c := range commands() {
		code, _, errOut := herald(t, nil, "", c.name, "-help")
		require.Equal(t, 0, code, c.name)
		require.Contains(t, errOut, "HERALD_DATABASE_URL", c.name)
	}
}

func TestInvalidConfigurationNamesTheVariable(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name, env, value, want string
	}{
		{"listen", "HERALD_LISTEN", "8080", "HERALD_LISTEN"},
		{"base url", "HERALD_BASE_URL", "status.example.com", "HERALD_BASE_URL: must be an absolute"},
		{"database", "HERALD_DATABASE_URL", "mysql://x", "HERALD_DATABASE_URL: must start with"},
		{"smtp tls", "HERALD_SMTP_URL", "smtp://mail.example.com?tls=maybe", "HERALD_SMTP_URL: tls must be tls, starttls or none"},
		{"smtp scheme", "HERALD_SMTP_URL", "http://mail", "HERALD_SMTP_URL"},
		{"mail from", "HERALD_MAIL_FROM", "not an address", "HERALD_MAIL_FROM"},
		{"imap", "HERALD_IMAP_URL", "imaps://host/INBOX", "HERALD_IMAP_URL: needs a user name"},
		{"imap interval", "HERALD_IMAP_INTERVAL", "soon", "HERALD_IMAP_INTERVAL"},
		{"imap interval range", "HERALD_IMAP_INTERVAL", "1s", "HERALD_IMAP_INTERVAL: must be between"},
		{"alert window", "HERALD_ALERT_WINDOW", "a while", "HERALD_ALERT_WINDOW"},
		{"alert window range", "HERALD_ALERT_WINDOW", "48h", "HERALD_ALERT_WINDOW: must be between"},
		{"secret", "HERALD_SECRET", "short", "HERALD_SECRET: must be at least 32"},
		{"workers", "HERALD_WORKERS", "sometimes", "HERALD_WORKERS"},
		{"service desk", "HERALD_SERVICE_DESK_EMAIL", "desk", "HERALD_SERVICE_DESK_EMAIL"},
		{"proxies", "HERALD_TRUSTED_PROXIES", "10.0.0.0/8, nonsense", "HERALD_TRUSTED_PROXIES: \"nonsense\""},
		{"log level", "HERALD_LOG_LEVEL", "loud", "HERALD_LOG_LEVEL"},
		{"log format", "HERALD_LOG_FORMAT", "xml", "HERALD_LOG_FORMAT"},
		{"console time zone", "HERALD_CONSOLE_TIME_ZONE", "Mars/Olympus", "HERALD_CONSOLE_TIME_ZONE: \"Mars/Olympus\" is not a time zone"},
		{"console time zone local", "HERALD_CONSOLE_TIME_ZONE", "Local", "HERALD_CONSOLE_TIME_ZONE"},
		{"console time zone path", "HERALD_CONSOLE_TIME_ZONE", "../../etc/passwd", "HERALD_CONSOLE_TIME_ZONE"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			code, _, errOut := herald(t, map[string]string{tc.env: tc.value}, "", "serve")
			require.Equal(t, 2, code)
			require.Contains(t, errOut, tc.want)
			lines := strings.Split(strings.TrimSpace(errOut), "\n")
			require.Len(t, lines, 1, "one clear line: %q", errOut)
			require.NotContains(t, errOut, "panic")
		})
	}
	// Several problems: one line each.
	code, _, errOut := herald(t, map[string]string{"HERALD_LISTEN": "x", "HERALD_LOG_FORMAT": "xml"}, "", "serve")
	require.Equal(t, 2, code)
	require.Len(t, strings.Split(strings.TrimSpace(errOut), "\n"), 2)
}

func TestFlagsOverrideEnvironment(t *testing.T) {
	t.Parallel()
	code, _, errOut := herald(t, map[string]string{"HERALD_LOG_FORMAT": "xml"}, "", "migrate", "-log-format", "json",
		"-database-url", "sqlite://"+t.TempDir()+"/h.db", "status")
	require.Equal(t, 0, code, errOut)
}

func TestUnknownCommand(t *testing.T) {
	t.Parallel()
	code, _, errOut := herald(t, nil, "", "frobnicate")
	require.Equal(t, 2, code)
	require.Contains(t, errOut, `unknown command "frobnicate"`)
}

func TestMigrateUserTokenCommands(t *testing.T) {
	t.Parallel()
	for _, d := range dbtest.Dialects {
		t.Run(d, func(t *testing.T) {
			t.Parallel()
			env := map[string]string{"HERALD_DATABASE_URL": dbtest.EmptyURL(t, d), "HERALD_LOG_LEVEL": "error"}
			code, out, errOut := herald(t, env, "", "migrate", "status")
			require.Equal(t, 0, code, errOut)
			require.Contains(t, out, "pending")

			code, out, errOut = herald(t, env, "", "migrate", "up")
			require.Equal(t, 0, code, errOut)
			require.Contains(t, out, "up to date")
			_, out, _ = herald(t, env, "", "migrate", "status")
			require.NotContains(t, out, "pending")

			code, out, errOut = herald(t, env, "correct horse battery\n", "user", "add", "-role", "manager", "cm@example.com")
			require.Equal(t, 0, code, errOut)
			require.Contains(t, out, "Created manager user cm@example.com")
			code, _, errOut = herald(t, env, "correct horse battery\n", "user", "add", "cm@example.com")
			require.Equal(t, 1, code)
			require.Contains(t, errOut, "already taken")
			code, _, errOut = herald(t, env, "short\n", "user", "add", "x@example.com")
			require.Equal(t, 1, code)
			require.Contains(t, errOut, "password must be at least")
			code, _, errOut = herald(t, env, "long enough password\n", "user", "add", "-role", "king", "k@example.com")
			require.Equal(t, 1, code)
			require.Contains(t, errOut, "role must be one of")
			code, out, errOut = herald(t, env, "another good password\n", "user", "passwd", "cm@example.com")
			require.Equal(t, 0, code, errOut)
			require.Contains(t, out, "changed")
			code, _, errOut = herald(t, env, "another good password\n", "user", "passwd", "nobody@example.com")
			require.Equal(t, 1, code)
			require.Contains(t, errOut, "No user")

			code, out, errOut = herald(t, env, "", "token", "create", "automation")
			require.Equal(t, 0, code, errOut)
			require.True(t, strings.HasPrefix(out, "hrld_"), out)
			code, out, errOut = herald(t, env, "", "token", "create", "-role", "viewer", "dashboards")
			require.Equal(t, 0, code, errOut)
			require.True(t, strings.HasPrefix(out, "hrld_"), out)
			code, _, errOut = herald(t, env, "", "token", "create", "-role", "root", "sneaky")
			require.Equal(t, 1, code)
			require.Contains(t, errOut, "role must be one of")
			requireTokenRoles(t, env["HERALD_DATABASE_URL"], map[string]string{"automation": "admin", "dashboards": "viewer"})

			code, hookTok, errOut := herald(t, env, "", "hook-token", "alertmanager")
			require.Equal(t, 0, code, errOut)
			hookTok = strings.TrimSpace(hookTok)
			bdb, err := db.Open(context.Background(), env["HERALD_DATABASE_URL"])
			require.NoError(t, err)
			as := alerts.New(bdb, status.New(bdb, status.Options{}), alerts.Options{})
			require.NoError(t, as.CheckToken(context.Background(), "alertmanager", hookTok))
			require.NoError(t, bdb.Close())
			code, _, errOut = herald(t, env, "", "hook-token", "nagios")
			require.Equal(t, 1, code)
			require.Contains(t, errOut, "usage: herald hook-token alertmanager|opsgenie|generic")

			code, out, errOut = herald(t, env, "", "migrate", "down")
			require.Equal(t, 0, code, errOut)
			require.Contains(t, out, "Rolled back")
			code, _, _ = herald(t, env, "", "migrate", "sideways")
			require.Equal(t, 1, code)
		})
	}
}

// requireTokenRoles checks the role of each named API token.
func requireTokenRoles(t *testing.T, dbURL string, want map[string]string) {
	t.Helper()
	bdb, err := db.Open(context.Background(), dbURL)
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, bdb.Close()) })
	var rows []struct {
		Name string `bun:"name"`
		Role string `bun:"role"`
	}
	require.NoError(t, bdb.NewSelect().Table("api_tokens").Column("name", "role").Scan(context.Background(), &rows))
	got := map[string]string{}
	for _, r := range rows {
		got[r.Name] = r.Role
	}
	require.Equal(t, want, got)
}

func TestTokenHelpNamesTheRoles(t *testing.T) {
	t.Parallel()
	code, _, errOut := herald(t, nil, "", "token", "-help")
	require.Equal(t, 0, code)
	for _, s := range []string{"-role", "admin", "manager", "engineer", "viewer"} {
		require.Contains(t, errOut, s)
	}
}

func TestDemoRunsTwiceWithoutDuplicating(t *testing.T) {
	t.Parallel()
	env := map[string]string{"HERALD_DATABASE_URL": dbtest.URL(t, db.SQLite), "HERALD_LOG_LEVEL": "error"}
	code, out, errOut := herald(t, env, "", "demo")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "Demo ready")
	code, out, errOut = herald(t, env, "", "demo")
	require.Equal(t, 0, code, errOut)
	require.Contains(t, out, "-reset")
	code, _, errOut = herald(t, env, "", "demo", "-reset")
	require.Equal(t, 0, code, errOut)
	bdb, err := db.Open(context.Background(), env["HERALD_DATABASE_URL"])
	require.NoError(t, err)
	t.Cleanup(func() { require.NoError(t, bdb.Close()) })
	n, err := bdb.NewSelect().Table("pages").Count(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 2, n, "the demo pages exist once, not twice")
	var items []status.IntakeItem
	require.NoError(t, bdb.NewSelect().Model(&items).Where("source = 'alert'").Scan(context.Background()))
	require.Len(t, items, 1, "one alert item, however often the demo runs")
	require.Equal(t, 3, items[0].AlertCount)
	require.Equal(t, 2, items[0].AlertFiring)
	require.NotEmpty(t, items[0].Components)
	n, err = bdb.NewSelect().Table("alert_rules").Count(context.Background())
	require.NoError(t, err)
	require.EqualValues(t, 1, n, "-reset replaces the demo's rule")
}

func TestHealthcheck(t *testing.T) {
	t.Parallel()
	a := startApp(t, db.SQLite, false)
	listen := strings.TrimPrefix(a.URL, "http://")
	code, out, errOut := herald(t, map[string]string{"HERALD_LISTEN": listen}, "", "healthcheck")
	require.Equal(t, 0, code, errOut)
	require.Equal(t, "ok\n", out)
	code, _, _ = herald(t, map[string]string{"HERALD_LISTEN": "127.0.0.1:1"}, "", "healthcheck")
	require.Equal(t, 1, code)
}

func TestEmptyDatabaseCreatesOneAdmin(t *testing.T) {
	t.Parallel()
	a := startApp(t, db.Postgres, false)
	n, err := a.svc.Accounts.UserCount(context.Background())
	require.NoError(t, err)
	require.Equal(t, 1, n)
	pw, err := a.svc.Accounts.Bootstrap(context.Background(), "other@example.com")
	require.NoError(t, err)
	require.Empty(t, pw, "a second start must not create another admin")
	resp, err := http.Get(a.URL + "/")
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.Equal(t, http.StatusNotFound, resp.StatusCode, "no page yet")
}

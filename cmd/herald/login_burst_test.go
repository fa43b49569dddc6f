package main

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// maxBurstRSSMiB is the most resident memory Herald may reach while 100
// login attempts arrive at once.
const maxBurstRSSMiB = 128

// TestLoginBurstAgainstRealServer runs "herald serve" as its own process
// and sends it bursts of logins over HTTP (and a few other requests): the
// account's throttle holds
// however many arrive at once (the right password after a burst of wrong
// ones is refused unchecked), a made-up CSRF pair is refused, and 100
// concurrent anonymous attempts from 100 addresses keep the process's
// peak resident memory (VmHWM) within maxBurstRSSMiB, which it reports.
func TestLoginBurstAgainstRealServer(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	bin := filepath.Join(dir, "herald")
	build := exec.Command("go", "build", "-o", bin, ".")
	out, err := build.CombinedOutput()
	require.NoError(t, err, "go build: %s", out)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	base := "http://" + addr
	serve := exec.Command(bin, "serve")
	serve.Dir = dir
	serve.Env = append(os.Environ(), "HERALD_DATABASE_URL=sqlite://"+filepath.Join(dir, "herald.db"), "HERALD_LISTEN="+addr,
		"HERALD_BASE_URL="+base, "HERALD_TRUSTED_PROXIES=127.0.0.1", "HERALD_LOG_LEVEL=warn", "HERALD_ADMIN_EMAIL=admin@herald.example")
	stderr, err := serve.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, serve.Start())
	t.Cleanup(func() {
		_ = serve.Process.Signal(os.Interrupt)
		done := make(chan struct{})
		go func() { _ = serve.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			_ = serve.Process.Kill()
		}
	})
	password := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		re := regexp.MustCompile(`password=(\S+)`)
		for sc.Scan() {
			if m := re.FindStringSubmatch(sc.Text()); m != nil {
				password <- strings.Trim(m[1], `"`)
			}
		}
	}()
	var adminPassword string
	select {
	case adminPassword = <-password:
	case <-time.After(60 * time.Second):
		t.Fatal("herald serve printed no admin password within 60s")
	}
	require.Eventually(t, func() bool {
		resp, err := http.Get(base + "/readyz")
		if err != nil {
			return false
		}
		_ = resp.Body.Close() // only the status matters
		return resp.StatusCode == http.StatusOK
	}, time.Minute, 100*time.Millisecond)

	t.Logf("herald serve ready: RSS %.1f MiB, peak %.1f MiB", procStatusMiB(t, serve.Process.Pid, "VmRSS"), procStatusMiB(t, serve.Process.Pid, "VmHWM"))
	attempt := func(email, pw, from string) int {
		jar, _ := cookiejar.New(nil)
		c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
		resp, err := c.Get(base + "/console/login")
		require.NoError(t, err)
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close() // read above
		m := regexp.MustCompile(`name="_csrf" value="([^"]+)"`).FindSubmatch(body)
		require.NotNil(t, m, "login form without CSRF field")
		form := url.Values{"_csrf": {string(m[1])}, "email": {email}, "password": {pw}}
		req, err := http.NewRequest(http.MethodPost, base+"/console/login", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("X-Forwarded-For", from)
		resp, err = c.Do(req)
		require.NoError(t, err)
		_, _ = io.Copy(io.Discard, resp.Body)
		_ = resp.Body.Close() // drained above
		return resp.StatusCode
	}
	burst := func(n int, each func(i int) int) map[int]int {
		var mu sync.Mutex
		codes := map[int]int{}
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				code := each(i)
				mu.Lock()
				codes[code]++
				mu.Unlock()
			}()
		}
		wg.Wait()
		return codes
	}

	t.Run("account throttle", func(t *testing.T) {
		codes := burst(99, func(i int) int {
			return attempt("admin@herald.example", fmt.Sprint("wrong password ", i), fmt.Sprintf("10.1.%d.%d", i/250, i%250+1))
		})
		require.Equal(t, map[int]int{http.StatusUnauthorized: 5, http.StatusForbidden: 94}, codes,
			"exactly the account's limit of attempts is checked")
		require.Equal(t, http.StatusForbidden, attempt("admin@herald.example", adminPassword, "10.2.0.1"),
			"the right password after the burst is refused unchecked")
	})

	t.Run("made-up CSRF pair", func(t *testing.T) {
		form := url.Values{"_csrf": {"made-up-token"}, "email": {"x@herald.example"}, "password": {"whatever password"}}
		req, err := http.NewRequest(http.MethodPost, base+"/console/login", strings.NewReader(form.Encode()))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		req.Header.Set("Cookie", "herald_login=made-up-token")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		require.NoError(t, resp.Body.Close())
		require.Equal(t, http.StatusForbidden, resp.StatusCode)
	})

	t.Run("nosniff on every kind of answer", func(t *testing.T) {
		for _, path := range []string{"/", "/api/v2/summary.json", "/history.atom", "/history.rss", "/badge.svg", "/api/v1/pages", "/nope"} {
			resp, err := http.Get(base + path)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			require.Equal(t, "nosniff", resp.Header.Get("X-Content-Type-Options"), path)
		}
	})

	t.Run("memory under 100 anonymous attempts", func(t *testing.T) {
		before := procStatusMiB(t, serve.Process.Pid, "VmHWM")
		codes := burst(100, func(i int) int {
			return attempt(fmt.Sprintf("nobody%d@herald.example", i), "wrong password", fmt.Sprintf("10.3.%d.%d", i/250, i%250+1))
		})
		require.Equal(t, map[int]int{http.StatusUnauthorized: 100}, codes, "each attempt is checked: new account, new address")
		peak := procStatusMiB(t, serve.Process.Pid, "VmHWM")
		t.Logf("herald serve peak RSS: %.1f MiB before the burst, %.1f MiB after 100 concurrent logins (limit %d MiB)", before, peak, maxBurstRSSMiB)
		require.LessOrEqual(t, peak, float64(maxBurstRSSMiB))
	})
}

// procStatusMiB reads a memory field ("VmRSS", "VmHWM") of a process from
// /proc, in MiB.
func procStatusMiB(t *testing.T, pid int, field string) float64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	require.NoError(t, err)
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field+":"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 64)
			require.NoError(t, err)
			return kb / 1024
		}
	}
	t.Fatalf("no %s in /proc/%d/status", field, pid)
	return 0
}

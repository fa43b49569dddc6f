package inbound_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/herald-status/herald/inbound"
)

const dovecotBin = "/usr/sbin/dovecot"

// dovecot is a throwaway Dovecot serving one user over plain IMAP on
// 127.0.0.1, run as the test process's user.
type dovecot struct {
	dir, conf  string
	port       int
	tlsPort    int // implicit TLS (dovecotTLS only)
	user, pass string
}

// dovecotOption changes how startDovecot sets Dovecot up.
type dovecotOption func(*dovecotSetup)

type dovecotSetup struct{ certPEM, keyPEM []byte }

// dovecotTLS makes Dovecot offer STARTTLS on its port and implicit TLS on
// tlsPort with the given certificate and key (PEM).
func dovecotTLS(certPEM, keyPEM []byte) dovecotOption {
	return func(s *dovecotSetup) { s.certPEM, s.keyPEM = certPEM, keyPEM }
}

// startDovecot runs Dovecot in the foreground until the test ends, or skips
// the test when Dovecot is not installed (Debian package dovecot-imapd).
func startDovecot(t testing.TB, opts ...dovecotOption) *dovecot {
	t.Helper()
	var setup dovecotSetup
	for _, o := range opts {
		o(&setup)
	}
	if _, err := os.Stat(dovecotBin); err != nil {
		t.Skipf("%s not found: install the Debian package dovecot-imapd to run the Dovecot integration tests", dovecotBin)
	}
	if testing.Short() {
		t.Skip("Dovecot integration tests skipped in -short mode")
	}
	dir := t.TempDir()
	cur, err := user.Current()
	if err != nil {
		t.Fatal(err)
	}
	grp, err := user.LookupGroupId(cur.Gid)
	if err != nil {
		t.Fatal(err)
	}
	// Dovecot refuses to run login processes or mail access as root: as
	// root, those run as nobody, which then needs to reach the mail folder.
	loginUser, internalUser, internalGroup := cur.Username, cur.Username, grp.Name
	mailUID, mailGID := cur.Uid, cur.Gid
	if os.Geteuid() == 0 {
		nobody, err := user.Lookup("nobody")
		if err != nil {
			t.Skipf("running as root needs a nobody user for Dovecot: %v", err)
		}
		loginUser, internalUser, internalGroup = nobody.Username, "root", "root"
		mailUID, mailGID = nobody.Uid, nobody.Gid
		// t.TempDir's folders are 0700: let nobody through.
		for d := dir; d != os.TempDir() && d != "/" && d != "."; d = filepath.Dir(d) {
			if err := os.Chmod(d, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, d := range []string{"run", "state", "mail", "home"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if os.Geteuid() == 0 {
		uid, _ := strconv.Atoi(mailUID)
		gid, _ := strconv.Atoi(mailGID)
		for _, d := range []string{"mail", "home"} {
			if err := os.Chown(filepath.Join(dir, d), uid, gid); err != nil {
				t.Fatal(err)
			}
		}
	}
	d := &dovecot{dir: dir, conf: filepath.Join(dir, "dovecot.conf"), port: freePort(t), user: "support", pass: "s3cret"}
	ssl := "ssl = no"
	if setup.certPEM != nil {
		d.tlsPort = freePort(t)
		for name, b := range map[string][]byte{"cert.pem": setup.certPEM, "key.pem": setup.keyPEM} {
			if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
				t.Fatal(err)
			}
		}
		ssl = fmt.Sprintf("ssl = yes\nssl_cert = <%[1]s/cert.pem\nssl_key = <%[1]s/key.pem", dir)
	}
	passwd := fmt.Sprintf("%s:{PLAIN}%s::::::\n", d.user, d.pass)
	if err := os.WriteFile(filepath.Join(dir, "passwd"), []byte(passwd), 0o644); err != nil {
		t.Fatal(err)
	}
	conf := fmt.Sprintf(`protocols = imap
listen = 127.0.0.1
base_dir = %[1]s/run
state_dir = %[1]s/state
log_path = %[1]s/dovecot.log
info_log_path = %[1]s/dovecot.log
%[8]s
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:%[1]s/mail/%%u
mail_fsync = never
mailbox_idle_check_interval = 1 secs
first_valid_uid = 0
default_login_user = %[2]s
default_internal_user = %[3]s
default_internal_group = %[4]s
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%%u %[1]s/passwd
}
userdb {
  driver = passwd-file
  args = username_format=%%u %[1]s/passwd
  default_fields = uid=%[5]s gid=%[6]s home=%[1]s/home
}
service imap-login {
  chroot =
  inet_listener imap {
    address = 127.0.0.1
    port = %[7]d
  }
  inet_listener imaps {
    address = 127.0.0.1
    port = %[9]d
  }
}
service anvil {
  chroot =
}
`, dir, loginUser, internalUser, internalGroup, mailUID, mailGID, d.port, ssl, d.tlsPort)
	if err := os.WriteFile(d.conf, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(dovecotBin, "-F", "-c", d.conf)
	out, err := os.Create(filepath.Join(dir, "stdout.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		t.Fatalf("start dovecot: %v", err)
	}
	exited := make(chan struct{})
	// Stopping is best effort: the Kill after 5 s is the fallback, and
	// the exit status of an interrupted dovecot says nothing.
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
		if err := out.Close(); err != nil {
			t.Error(err)
		}
		if t.Failed() {
			for _, f := range []string{"stdout.log", "dovecot.log"} {
				b, _ := os.ReadFile(filepath.Join(dir, f))
				t.Logf("%s:\n%s", f, b)
			}
		}
	})
	// Ready when the greeting no longer says the auth process is starting.
	deadline := time.Now().Add(15 * time.Second)
	for {
		select {
		case <-exited:
			b, _ := os.ReadFile(filepath.Join(dir, "stdout.log"))
			l, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot exited:\n%s\n%s", b, l)
		default:
		}
		if greetingReady(d.addr()) {
			break
		}
		if time.Now().After(deadline) {
			l, _ := os.ReadFile(filepath.Join(dir, "dovecot.log"))
			t.Fatalf("dovecot not ready after 15s:\n%s", l)
		}
		time.Sleep(100 * time.Millisecond)
	}
	return d
}

func greetingReady(addr string) bool {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer func() { _ = c.Close() }() // a probe
	if err := c.SetDeadline(time.Now().Add(2 * time.Second)); err != nil {
		return false
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	return err == nil && strings.Contains(line, "ready")
}

func freePort(t testing.TB) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	if err := ln.Close(); err != nil {
		t.Fatal(err)
	}
	return port
}

func (d *dovecot) addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(d.port)) }

func (d *dovecot) options(t testing.TB, mailbox string) inbound.WatcherOptions {
	return inbound.WatcherOptions{
		Config: inbound.IMAPConfig{
			Host: "127.0.0.1", Port: d.port, TLS: "none",
			Username: d.user, Password: d.pass, Mailbox: mailbox,
		},
		Timeout:    10 * time.Second,
		MinBackoff: 20 * time.Millisecond,
		MaxBackoff: 200 * time.Millisecond,
		Log:        imapTestLog(t),
	}
}

// client runs f on a fresh logged-in connection.
func (d *dovecot) client(t testing.TB, f func(c *imapclient.Client) error) {
	t.Helper()
	c, err := imapclient.DialInsecure(d.addr(), nil)
	if err != nil {
		t.Fatalf("dial dovecot: %v", err)
	}
	defer func() { _ = c.Close() }() // after Logout, or after a failure reported already
	if err := c.Login(d.user, d.pass).Wait(); err != nil {
		t.Fatalf("login to dovecot: %v", err)
	}
	if err := f(c); err != nil {
		t.Fatal(err)
	}
	_ = c.Logout().Wait() // f's work is done: a failed goodbye changes nothing
}

func (d *dovecot) create(t testing.TB, mailbox string) {
	t.Helper()
	d.client(t, func(c *imapclient.Client) error { return c.Create(mailbox, nil).Wait() })
}

func (d *dovecot) recreate(t testing.TB, mailbox string) {
	t.Helper()
	d.client(t, func(c *imapclient.Client) error {
		if err := c.Delete(mailbox).Wait(); err != nil {
			return fmt.Errorf("delete %s: %w", mailbox, err)
		}
		return c.Create(mailbox, nil).Wait()
	})
}

func (d *dovecot) append(t testing.TB, mailbox string, raw []byte) {
	t.Helper()
	d.appendAll(t, mailbox, [][]byte{raw})
}

// appendAll appends raws in order over one connection.
func (d *dovecot) appendAll(t testing.TB, mailbox string, raws [][]byte) {
	t.Helper()
	d.client(t, func(c *imapclient.Client) error {
		for _, raw := range raws {
			cmd := c.Append(mailbox, int64(len(raw)), nil)
			if _, err := cmd.Write(raw); err != nil {
				return err
			}
			if err := cmd.Close(); err != nil {
				return err
			}
			if _, err := cmd.Wait(); err != nil {
				return err
			}
		}
		return nil
	})
}

func (d *dovecot) uidValidity(t testing.TB, mailbox string) uint32 {
	t.Helper()
	var v uint32
	d.client(t, func(c *imapclient.Client) error {
		st, err := c.Status(mailbox, &imap.StatusOptions{UIDValidity: true}).Wait()
		if err == nil {
			v = st.UIDValidity
		}
		return err
	})
	return v
}

// flags maps each UID of mailbox to its flags.
func (d *dovecot) flags(t testing.TB, mailbox string) map[uint32][]string {
	t.Helper()
	out := map[uint32][]string{}
	d.client(t, func(c *imapclient.Client) error {
		sel, err := c.Select(mailbox, &imap.SelectOptions{ReadOnly: true}).Wait()
		if err != nil || sel.NumMessages == 0 {
			return err
		}
		var all imap.SeqSet
		all.AddRange(1, 0)
		bufs, err := c.Fetch(all, &imap.FetchOptions{UID: true, Flags: true}).Collect()
		for _, b := range bufs {
			for _, f := range b.Flags {
				out[uint32(b.UID)] = append(out[uint32(b.UID)], string(f))
			}
			if out[uint32(b.UID)] == nil {
				out[uint32(b.UID)] = []string{}
			}
		}
		return err
	})
	return out
}

// kick disconnects the user's sessions, as an administrator or a restart
// would.
func (d *dovecot) kick(t testing.TB) {
	t.Helper()
	out, err := exec.Command("doveadm", "-c", d.conf, "kick", d.user).CombinedOutput()
	if err != nil {
		t.Fatalf("doveadm kick: %v\n%s", err, out)
	}
	t.Logf("doveadm kick: %s", strings.TrimSpace(string(out)))
}

func TestDovecotWatcher(t *testing.T) {
	d := startDovecot(t)

	t.Run("IDLE delivers and moves", func(t *testing.T) {
		d.create(t, "Idle")
		d.append(t, "Idle", imapMsg("d-before", "before"))
		sink := newIMAPSink()
		o := d.options(t, "Idle")
		o.Interval = time.Minute
		o.Processed = "IdleDone"
		w := inbound.NewWatcher(sink, o)
		imapRun(t, w)
		imapWaitFor(t, 10*time.Second, "idle", func() bool { return w.State().Idle })
		if sink.callsFor(imapID("d-before")) != 1 {
			t.Fatal("message present at start not delivered")
		}
		start := time.Now()
		d.append(t, "Idle", imapMsg("d-live", "live"))
		imapWaitFor(t, 5*time.Second, "delivery while idling", func() bool { return sink.callsFor(imapID("d-live")) == 1 })
		t.Logf("delivered %v after append", time.Since(start))
		imapWaitFor(t, 5*time.Second, "move", func() bool { return len(d.flags(t, "Idle")) == 0 })
		done := d.flags(t, "IdleDone")
		if len(done) != 2 {
			t.Fatalf("processed folder %v, want 2 messages", done)
		}
		for uid, f := range done {
			if !slices.Contains(f, `\Seen`) {
				t.Errorf("moved UID %d flags %v", uid, f)
			}
		}
	})

	t.Run("reconnects after kick", func(t *testing.T) {
		d.create(t, "Kick")
		sink := newIMAPSink()
		o := d.options(t, "Kick")
		o.Interval = time.Minute
		var dials atomic.Int32
		o.Dial = func(ctx context.Context, opts *imapclient.Options) (*imapclient.Client, error) {
			dials.Add(1)
			return imapclient.DialInsecure(d.addr(), opts)
		}
		w := inbound.NewWatcher(sink, o)
		imapRun(t, w)
		imapWaitFor(t, 10*time.Second, "idle", func() bool { return w.State().Idle })
		d.kick(t)
		imapWaitFor(t, 10*time.Second, "reconnection", func() bool { return dials.Load() >= 2 && w.State().Idle })
		d.append(t, "Kick", imapMsg("d-after-kick", "x"))
		imapWaitFor(t, 5*time.Second, "delivery after reconnecting", func() bool { return sink.callsFor(imapID("d-after-kick")) == 1 })
	})

	t.Run("UIDVALIDITY change", func(t *testing.T) {
		d.create(t, "Rebuilt")
		d.append(t, "Rebuilt", imapMsg("d-a", "a"))
		d.append(t, "Rebuilt", imapMsg("d-b", "b"))
		sink := newIMAPSink()
		w := inbound.NewWatcher(sink, d.options(t, "Rebuilt"))
		defer closeWatcher(t, w)
		if err := w.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		old := d.uidValidity(t, "Rebuilt")
		// Dovecot's UIDVALIDITY is a timestamp: let a second pass.
		time.Sleep(1100 * time.Millisecond)
		d.recreate(t, "Rebuilt")
		if v := d.uidValidity(t, "Rebuilt"); v == old {
			t.Fatalf("UIDVALIDITY still %d", v)
		}
		d.append(t, "Rebuilt", imapMsg("d-a", "a"))
		d.append(t, "Rebuilt", imapMsg("d-b", "b"))
		d.append(t, "Rebuilt", imapMsg("d-c", "c"))
		// The open session had the deleted mailbox selected: the first Poll
		// may fail; the next one reconnects.
		if err := w.Poll(context.Background()); err != nil {
			t.Logf("first Poll after the change: %v", err)
			if err := w.Poll(context.Background()); err != nil {
				t.Fatal(err)
			}
		}
		for _, id := range []string{"d-a", "d-b"} {
			if n := sink.callsFor(imapID(id)); n != 2 {
				t.Errorf("%s delivered %d times, want 2", id, n)
			}
		}
		if got := sink.storedIDs(); len(got) != 3 || got[imapID("d-a")] != 1 || got[imapID("d-b")] != 1 || got[imapID("d-c")] != 1 {
			t.Errorf("stored %v", got)
		}
		if v, last, ok := sink.checkpoint(); !ok || v != d.uidValidity(t, "Rebuilt") || last != 3 {
			t.Errorf("checkpoint %d/%d/%v, want the new UIDVALIDITY and UID 3", v, last, ok)
		}
	})

	t.Run("too large gets the header", func(t *testing.T) {
		d.create(t, "Big")
		raw := imapMsg("d-big", strings.Repeat("0123456789", 500))
		d.append(t, "Big", raw)
		sink := newIMAPSink()
		o := d.options(t, "Big")
		o.MaxSize = 1000
		w := inbound.NewWatcher(sink, o)
		defer closeWatcher(t, w)
		if err := w.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		g, ok := sink.gotFor(imapID("d-big"))
		header := raw[:strings.Index(string(raw), "\r\n\r\n")+4]
		if !ok || !g.TooLarge || g.Size != int64(len(raw)) || string(g.Raw) != string(header) {
			t.Errorf("got %+v, want the header only of a %d-byte message", g, len(raw))
		}
	})

	t.Run("crash between fetch and flag", func(t *testing.T) {
		d.create(t, "Crash")
		d.append(t, "Crash", imapMsg("d-1", "one"))
		d.append(t, "Crash", imapMsg("d-2", "two"))
		sink := newIMAPSink()
		ctx, cancel := context.WithCancel(context.Background())
		sink.afterStore = func(m *inbound.Fetched) {
			if m.UID == 1 {
				cancel()
			}
		}
		w := inbound.NewWatcher(sink, d.options(t, "Crash"))
		if err := w.Poll(ctx); !errors.Is(err, context.Canceled) {
			t.Fatalf("Poll: %v, want context.Canceled", err)
		}
		closeWatcher(t, w)
		if f := d.flags(t, "Crash"); slices.Contains(f[1], `\Seen`) {
			t.Fatalf("UID 1 flagged %v although the watcher stopped before flagging", f[1])
		}
		sink.afterStore = nil
		w2 := inbound.NewWatcher(sink, d.options(t, "Crash"))
		defer closeWatcher(t, w2)
		if err := w2.Poll(context.Background()); err != nil {
			t.Fatal(err)
		}
		if got := sink.deliveries(); !slices.Equal(got, []uint32{1, 1, 2}) {
			t.Errorf("delivered %v, want UID 1 twice then 2", got)
		}
		if got := sink.storedIDs(); len(got) != 2 || got[imapID("d-1")] != 1 || got[imapID("d-2")] != 1 {
			t.Errorf("stored %v", got)
		}
		for uid, f := range d.flags(t, "Crash") {
			if !slices.Contains(f, `\Seen`) {
				t.Errorf("UID %d flags %v", uid, f)
			}
		}
	})
}

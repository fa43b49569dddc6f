package dbtest

import (
	"bytes"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver
)

// pgServer is a throwaway PostgreSQL cluster in a temporary directory,
// reachable only through a Unix socket in that directory.
type pgServer struct {
	dir string
	cmd *exec.Cmd
	url string
}

// binDir finds the newest installed PostgreSQL server binaries.
func binDir() (string, error) {
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p), nil
	}
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/initdb")
	if len(matches) == 0 {
		return "", errors.New("no initdb on PATH or in /usr/lib/postgresql/*/bin")
	}
	sort.Strings(matches)
	return filepath.Dir(matches[len(matches)-1]), nil
}

func startServer() (*pgServer, error) {
	bin, err := binDir()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "herald-pg-")
	if err != nil {
		return nil, err
	}
	s := &pgServer{dir: dir}
	// PostgreSQL refuses to run as root: run it as the postgres user then.
	var cred *syscall.Credential
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			return nil, fmt.Errorf("running as root and there is no postgres user to run the server as: %w", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		cred = &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid)}
		if err := os.Chown(dir, uid, gid); err != nil {
			return nil, err
		}
	}
	data := filepath.Join(dir, "data")
	run := func(name string, args ...string) *exec.Cmd {
		c := exec.Command(filepath.Join(bin, name), args...)
		c.SysProcAttr = &syscall.SysProcAttr{Credential: cred, Setpgid: true}
		c.Env = append(os.Environ(), "LC_ALL=C")
		return c
	}
	var out bytes.Buffer
	initdb := run("initdb", "-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync")
	initdb.Stdout, initdb.Stderr = &out, &out
	if err := initdb.Run(); err != nil {
		_ = os.RemoveAll(dir) // best effort: the initdb error is the one to report
		return nil, fmt.Errorf("initdb: %w: %s", err, out.String())
	}
	logFile, err := os.Create(filepath.Join(dir, "server.log"))
	if err != nil {
		return nil, err
	}
	s.cmd = run("postgres", "-D", data, "-k", dir, "-c", "listen_addresses=",
		"-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
		"-c", "max_connections=300", "-c", "shared_buffers=64MB")
	s.cmd.Stdout, s.cmd.Stderr = logFile, logFile
	if err := s.cmd.Start(); err != nil {
		_ = logFile.Close()
		_ = os.RemoveAll(dir) // best effort: the start error is the one to report
		return nil, fmt.Errorf("start postgres: %w", err)
	}
	s.url = "postgres://postgres@/postgres?host=" + url.QueryEscape(dir) + "&sslmode=disable"
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := sql.Open("pgx", s.url)
		if err == nil {
			err = c.Ping()
			_ = c.Close() // a probe: only the ping's answer matters
		}
		if err == nil {
			return s, nil
		}
		if time.Now().After(deadline) {
			s.stop()
			log, _ := os.ReadFile(filepath.Join(dir, "server.log"))
			return nil, fmt.Errorf("postgres did not start within 30s: %w: %s", err, log)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (s *pgServer) stop() {
	if pgAdmin != nil {
		_ = pgAdmin.Close() // the server goes down next anyway
	}
	if s.cmd != nil && s.cmd.Process != nil {
		_ = s.cmd.Process.Signal(syscall.SIGINT) // fast shutdown
		done := make(chan struct{})
		go func() { _ = s.cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			_ = s.cmd.Process.Kill()
		}
	}
	if err := os.RemoveAll(s.dir); err != nil {
		fmt.Fprintf(os.Stderr, "dbtest: remove the PostgreSQL directory: %v\n", err)
	}
}

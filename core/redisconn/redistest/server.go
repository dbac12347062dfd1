// Package redistest starts throwaway redis-server processes for the tests of
// the Redis-backed packages of core/.
package redistest

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
)

// Server is a throwaway redis-server on a loopback port, for tests.
type Server struct {
	Port int
	dir  string
	args []string
	cmd  *exec.Cmd
}

// Start starts redis-server on a free loopback port, without
// persistence unless args ask for it; the test skips when the binary is
// absent (CI installs it). The server is stopped when the test ends.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		t.Skip("redis-server is not installed (Debian package redis-server)")
	}
	s := &Server{Port: FreePort(t), dir: t.TempDir(), args: args}
	s.Start(t)
	t.Cleanup(s.Stop)
	return s
}

// FreePort is a loopback port free at the time of the call.
func FreePort(t testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// URL is the server's redis:// URL.
func (s *Server) URL() string { return "redis://127.0.0.1:" + strconv.Itoa(s.Port) }

// Start starts the server (again, after Stop: same port and folder).
func (s *Server) Start(t testing.TB) {
	t.Helper()
	args := append([]string{"--port", strconv.Itoa(s.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", s.dir, "--logfile", filepath.Join(s.dir, "redis.log")}, s.args...)
	s.cmd = exec.Command("redis-server", args...)
	require.NoError(t, s.cmd.Start())
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", s.Port), 100*time.Millisecond)
		if err == nil {
			c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	t.Fatalf("redis-server did not start on port %d:\n%s", s.Port, log)
}

// Stop kills the server at once, as a crash would.
func (s *Server) Stop() {
	if s.cmd != nil && s.cmd.Process != nil {
		s.cmd.Process.Kill()
		s.cmd.Wait()
		s.cmd = nil
	}
}

// Raw is a plain client for checking what was written.
func (s *Server) Raw(t testing.TB) *redis.Client {
	c := redis.NewClient(&redis.Options{Addr: fmt.Sprintf("127.0.0.1:%d", s.Port)})
	t.Cleanup(func() { c.Close() })
	return c
}

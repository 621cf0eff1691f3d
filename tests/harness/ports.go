package harness

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// A port found free with a listen on :0 and closed again can be taken before
// etcd binds it: the kernel hands the same ephemeral ports to every outgoing
// connection on the machine (other tests, other engineers' builds), and go
// test runs packages in parallel. So members' ports come from below the
// kernel's ephemeral range, where nothing gets a port it did not ask for by
// number, and each is reserved across processes by an flock on a file named
// after it, held until the cluster (or the test) ends.

// Port is a reserved loopback port.
type Port struct {
	Number int
	lock   *os.File
}

// Addr is 127.0.0.1:Number.
func (p *Port) Addr() string { return "127.0.0.1:" + strconv.Itoa(p.Number) }

// Release gives the port back.
func (p *Port) Release() {
	if p != nil && p.lock != nil {
		p.lock.Close() // drops the flock
		p.lock = nil
	}
}

// ReservePort returns a loopback port nothing listens on that no other
// harness user (in this process or another) will hand out until Release.
func ReservePort() (*Port, error) {
	lo, hi := portRange()
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("etcd-ctx-harness-ports-%d", os.Getuid()))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	for range 200 {
		n := lo + rand.IntN(hi-lo)
		f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(n)), os.O_CREATE|os.O_RDWR, 0o600)
		if err != nil {
			return nil, err
		}
		if syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB) != nil {
			f.Close() // another harness holds it
			continue
		}
		// Nobody outside the harness listens there either (a bind test).
		l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(n))
		if err != nil {
			f.Close()
			continue
		}
		l.Close()
		return &Port{Number: n, lock: f}, nil
	}
	return nil, errors.New("no free loopback port below the ephemeral range")
}

// portRange is where ReservePort draws from: [10000, start of the kernel's
// ephemeral range), or above its end when that leaves more room.
func portRange() (int, int) {
	lo, hi := 32768, 60999 // Linux's default ip_local_port_range
	if b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range"); err == nil {
		if f := strings.Fields(string(b)); len(f) == 2 {
			a, errA := strconv.Atoi(f[0])
			z, errZ := strconv.Atoi(f[1])
			if errA == nil && errZ == nil && a < z {
				lo, hi = a, z
			}
		}
	}
	switch {
	case lo-10000 >= 65000-hi && lo-10000 >= 1000:
		return 10000, lo
	case 65000-hi >= 1000:
		return hi + 1, 65000
	}
	return 20000, 30000 // the whole range is ephemeral: the flock and bind test still help
}

// listenReserved listens on a loopback port ReservePort reserved for it.
// The caller closes the listener, then releases the port.
func listenReserved() (net.Listener, *Port, error) {
	p, err := ReservePort()
	if err != nil {
		return nil, nil, err
	}
	l, err := net.Listen("tcp", p.Addr())
	if err != nil {
		p.Release()
		return nil, nil, err
	}
	return l, p, nil
}

// connSet is the connections a test server accepted or made, to close
// them all when it stops.
type connSet struct {
	mu    sync.Mutex
	conns []net.Conn
}

func (s *connSet) add(c net.Conn) {
	s.mu.Lock()
	s.conns = append(s.conns, c)
	s.mu.Unlock()
}

func (s *connSet) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, c := range s.conns {
		c.Close()
	}
}

//go:build (dragonfly && cgo) || (freebsd && cgo) || linux || netbsd || openbsd

package contexts

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/godbus/dbus/v5"
)

// secretBus is this process's own connection to the session bus for
// reading secrets, opened the way sd-bus opens one: the authentication
// (EXTERNAL, by the uid the bus reads from the socket), BEGIN, Hello and the
// first calls go out in one write, and their answers come back together.
// godbus's SessionBus makes five round trips to the bus before the first
// call (it asks for the mechanisms, then waits on DATA, the Unix-FD
// negotiation and Hello): 0.7-0.9 ms of every `etcd-ctx exec` here, against
// 0.2-0.4 ms this way. Only the wire format is ours to get right, and
// godbus's Message encodes and decodes it.
//
// It serves unix:path= and unix:abstract= addresses, the session buses of
// dbus-daemon and dbus-broker; anything else (no address, TCP, autolaunch,
// a bus that refuses EXTERNAL) is errBusUnsupported and left to godbus.
type secretBus struct {
	mu     sync.Mutex
	conn   net.Conn
	in     *bufio.Reader
	serial uint32
	authed bool  // the bus accepted the authentication (and Hello went out)
	err    error // why the connection is unusable
}

var errBusUnsupported = errors.New("session bus address not served by the pipelined client")

var (
	busOnce sync.Once
	bus     *secretBus
	busErr  error
)

// sessionBus returns the process's pipelined connection, opening it on the
// first call; deadline bounds the authentication.
func sessionBus(deadline time.Time) (*secretBus, error) {
	busOnce.Do(func() { bus, busErr = dialSessionBus(os.Getenv("DBUS_SESSION_BUS_ADDRESS"), deadline) })
	return bus, busErr
}

// busSocket returns the socket of the first unix:path= or unix:abstract=
// entry of a D-Bus address (entries separated by ';', key=value pairs by
// ','), or errBusUnsupported.
func busSocket(address string) (string, error) {
	for _, entry := range strings.Split(address, ";") {
		rest, ok := strings.CutPrefix(entry, "unix:")
		if !ok {
			continue
		}
		for _, kv := range strings.Split(rest, ",") {
			k, v, _ := strings.Cut(kv, "=")
			if k != "path" && k != "abstract" {
				continue
			}
			v, err := dbus.UnescapeBusAddressValue(v)
			if err != nil || v == "" {
				return "", errBusUnsupported
			}
			if k == "abstract" {
				v = "@" + v
			}
			return v, nil
		}
	}
	return "", errBusUnsupported
}

func dialSessionBus(address string, deadline time.Time) (*secretBus, error) {
	socket, err := busSocket(address)
	if err != nil {
		return nil, err
	}
	conn, err := net.DialTimeout("unix", socket, time.Until(deadline))
	if err != nil {
		return nil, err
	}
	return &secretBus{conn: conn, in: bufio.NewReader(conn)}, nil
}

// authLines are the authentication sent ahead of the first calls: the NUL
// byte the protocol starts with, EXTERNAL with our uid in hex, BEGIN.
func authLines() []byte {
	uid := strconv.Itoa(os.Geteuid())
	return []byte(fmt.Sprintf("\x00AUTH EXTERNAL %x\r\nBEGIN\r\n", uid))
}

// busCall is one method call to send.
type busCall struct {
	dest, path, iface, member string
	args                      []any
	// optional: an error reply is its answer (a nil body), not the
	// batch's failure.
	optional bool
}

// encode appends the call, with serial, to buf.
func (c busCall) encode(buf *bytes.Buffer, serial uint32) error {
	m := &dbus.Message{Type: dbus.TypeMethodCall, Headers: map[dbus.HeaderField]dbus.Variant{
		dbus.FieldDestination: dbus.MakeVariant(c.dest),
		dbus.FieldPath:        dbus.MakeVariant(dbus.ObjectPath(c.path)),
		dbus.FieldInterface:   dbus.MakeVariant(c.iface),
		dbus.FieldMember:      dbus.MakeVariant(c.member),
	}, Body: c.args}
	if len(c.args) > 0 {
		m.Headers[dbus.FieldSignature] = dbus.MakeVariant(dbus.SignatureOf(c.args...))
	}
	start := buf.Len()
	if err := m.EncodeTo(buf, binary.LittleEndian); err != nil {
		return err
	}
	// godbus numbers messages in its own connections only: the serial is
	// bytes 8-11 of the fixed header (D-Bus specification, Message Format).
	binary.LittleEndian.PutUint32(buf.Bytes()[start+8:start+12], serial)
	return nil
}

// roundTrip sends calls in one write (after the authentication and Hello on
// the connection's first use) and returns their reply bodies, in order. An
// error reply to a call that is not optional is returned as a *dbus.Error; until
// the bus has accepted the authentication, any failure but the deadline's is
// errBusUnsupported (the caller then asks godbus). A connection that failed
// once stays failed.
func (b *secretBus) roundTrip(deadline time.Time, calls ...busCall) ([][]any, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.err != nil {
		return nil, b.err
	}
	replies, err := b.exchange(deadline, calls)
	if err != nil {
		var answer *dbus.Error
		if !b.authed && !errors.Is(err, os.ErrDeadlineExceeded) {
			err = fmt.Errorf("%w: %v", errBusUnsupported, err)
		}
		if !errors.As(err, &answer) {
			b.err = err
			b.conn.Close()
		}
		return nil, err
	}
	return replies, nil
}

func (b *secretBus) exchange(deadline time.Time, calls []busCall) ([][]any, error) {
	if err := b.conn.SetDeadline(deadline); err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	first := !b.authed
	if first {
		buf.Write(authLines())
		calls = append([]busCall{{dest: "org.freedesktop.DBus", path: "/org/freedesktop/DBus", iface: "org.freedesktop.DBus", member: "Hello"}}, calls...)
	}
	want := map[uint32]int{} // serial → index in the replies
	for i, c := range calls {
		b.serial++
		if err := c.encode(&buf, b.serial); err != nil {
			return nil, err
		}
		want[b.serial] = i
	}
	optional := func(i int) bool { return calls[i].optional }
	if _, err := b.conn.Write(buf.Bytes()); err != nil {
		return nil, err
	}
	if first {
		line, err := b.in.ReadString('\n')
		if err != nil {
			return nil, err
		}
		if !strings.HasPrefix(line, "OK ") {
			return nil, fmt.Errorf("the bus answered %q", strings.TrimSpace(line))
		}
		b.authed = true
	}
	replies := make([][]any, len(calls))
	var answer error
	for len(want) > 0 {
		m, err := dbus.DecodeMessage(b.in)
		if err != nil {
			return nil, err
		}
		rs, _ := m.Headers[dbus.FieldReplySerial].Value().(uint32)
		i, ours := want[rs]
		if !ours || (m.Type != dbus.TypeMethodReply && m.Type != dbus.TypeError) {
			continue // a signal (NameAcquired), or not ours
		}
		delete(want, rs)
		if m.Type == dbus.TypeError {
			name, _ := m.Headers[dbus.FieldErrorName].Value().(string)
			if answer == nil && !optional(i) {
				answer = dbus.NewError(name, m.Body)
			}
			continue
		}
		replies[i] = m.Body
	}
	if answer != nil {
		return nil, answer
	}
	if first {
		replies = replies[1:] // Hello's: our unique name
	}
	return replies, nil
}

// secretCaller sends Secret Service calls in batches: each batch goes out
// at once and its replies are awaited together.
type secretCaller interface {
	roundTrip(deadline time.Time, calls ...busCall) ([][]any, error)
}

// godbusCaller is the same over godbus's shared session connection (the
// one go-keyring uses), for buses the pipelined client does not serve.
type godbusCaller struct{ conn *dbus.Conn }

func (g godbusCaller) roundTrip(_ time.Time, calls ...busCall) ([][]any, error) {
	pending := make([]*dbus.Call, len(calls))
	for i, c := range calls {
		pending[i] = g.conn.Object(c.dest, dbus.ObjectPath(c.path)).Go(c.iface+"."+c.member, 0, nil, c.args...)
	}
	out := make([][]any, len(pending))
	for i, call := range pending {
		<-call.Done
		if call.Err != nil && !calls[i].optional {
			if e, ok := call.Err.(dbus.Error); ok {
				return nil, &e // an answer, as the pipelined client gives it
			}
			return nil, call.Err
		}
		out[i] = call.Body
	}
	return out, nil
}

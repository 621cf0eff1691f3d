package contexts

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/zalando/go-keyring"
)

// Service is the keyring service name under which every item is stored.
const Service = "etcd-ctx"

// Keyring stores named secret strings.
type Keyring interface {
	Get(item string) (string, error)
	Set(item, value string) error
	Delete(item string) error
}

// ErrNotFound is a keyring item that does not exist.
var ErrNotFound = errors.New("not found in the keyring")

// ChunkSize is the largest value stored in one item. Windows Credential
// Manager takes at most 2560 bytes and macOS's `security -i` a 4096-byte
// command line (after base64), so larger values (an RSA-4096 key with its
// certificate) are split into items "<name>#1…#N" and reassembled on read.
const ChunkSize = 2000

const chunkHeader = "etcd-ctx-chunked:v1:"

// OSKeyring is the OS keyring through zalando/go-keyring, with chunking and a
// timeout: a locked collection waiting for an unlock prompt nobody answers
// must not hang a command.
type OSKeyring struct {
	Service string
	Timeout time.Duration
}

// NewOSKeyring returns the keyring used by the binaries.
func NewOSKeyring() *OSKeyring {
	return &OSKeyring{Service: Service, Timeout: 10 * time.Second}
}

func (k *OSKeyring) call(op func() error) error {
	done := make(chan error, 1)
	go func() { done <- op() }()
	select {
	case err := <-done:
		return classify(err)
	case <-time.After(k.Timeout):
		return k.noAnswer()
	}
}

// noAnswer is the error of a keyring that did not answer within k.Timeout.
func (k *OSKeyring) noAnswer() error {
	return &KeyringError{Err: fmt.Errorf("no answer within %s (a locked collection waiting for an unlock prompt?)", k.Timeout)}
}

// classify tells a missing item from a keyring that cannot be used.
func classify(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, keyring.ErrNotFound):
		return ErrNotFound
	case errors.Is(err, keyring.ErrSetDataTooBig):
		return err
	}
	return &KeyringError{Err: firstLine(err)}
}

func firstLine(err error) error {
	msg, _, _ := strings.Cut(err.Error(), "\n")
	return errors.New(msg)
}

func (k *OSKeyring) get(item string) (string, error) {
	var v string
	err := k.call(func() (err error) { v, err = keyring.Get(k.Service, item); return })
	return v, err
}

func (k *OSKeyring) set(item, value string) error {
	return k.call(func() error { return keyring.Set(k.Service, item, value) })
}

func (k *OSKeyring) del(item string) error {
	return k.call(func() error { return keyring.Delete(k.Service, item) })
}

// Get reads an item, reassembling chunks.
func (k *OSKeyring) Get(item string) (string, error) {
	return getChunked(k.get, item)
}

// GetMany reads several items, reassembling chunks, in as few round trips
// as the OS keyring allows: one Secret Service session on Linux and the
// BSDs (see keyring_dbus.go), one call per item elsewhere. An item that does
// not exist is absent from the result, not an error.
func (k *OSKeyring) GetMany(items ...string) (map[string]string, error) {
	return getManyChunked(k.fetch, items)
}

// fetch reads items in one batch, then the ones the batch left out one by
// one through go-keyring (a locked collection's unlock prompt, items kept in
// another collection, and what is missing).
func (k *OSKeyring) fetch(items []string) (map[string]string, error) {
	got, err := k.getMany(items)
	if err != nil {
		return nil, err
	}
	for _, item := range items {
		if _, ok := got[item]; ok {
			continue
		}
		v, err := k.get(item)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		got[item] = v
	}
	return got, nil
}

// getManyChunked reads items with fetch, then in a second batch the parts of
// those stored in chunks, and reassembles them as getChunked does.
func getManyChunked(fetch func([]string) (map[string]string, error), items []string) (map[string]string, error) {
	got, err := fetch(items)
	if err != nil {
		return nil, err
	}
	type split struct {
		item, sum string
		n         int
	}
	var splits []split
	var parts []string
	for _, item := range items {
		if n, sum, ok := parseHeader(got[item]); ok {
			splits = append(splits, split{item, sum, n})
			for i := 1; i <= n; i++ {
				parts = append(parts, chunkName(item, i))
			}
		}
	}
	if len(splits) == 0 {
		return got, nil
	}
	partsGot, err := fetch(parts)
	if err != nil {
		return nil, err
	}
	for _, sp := range splits {
		var b strings.Builder
		for i := 1; i <= sp.n; i++ {
			part, ok := partsGot[chunkName(sp.item, i)]
			if !ok {
				return nil, fmt.Errorf("keyring item %s is split in %d parts and part %d is unreadable: %w", sp.item, sp.n, i, ErrNotFound)
			}
			b.WriteString(part)
		}
		sum := sha256.Sum256([]byte(b.String()))
		if hex.EncodeToString(sum[:]) != sp.sum {
			return nil, fmt.Errorf("keyring item %s: reassembled parts do not match their checksum (written by two processes at once?)", sp.item)
		}
		got[sp.item] = b.String()
	}
	return got, nil
}

// Set writes an item, splitting it into chunks when it is large. Chunks left
// over from a larger earlier value are removed.
func (k *OSKeyring) Set(item, value string) error {
	old, _ := chunkCount(k.get, item)
	n, err := setChunked(k.set, item, value)
	if err != nil {
		return err
	}
	for i := n + 1; i <= old; i++ {
		_ = k.del(chunkName(item, i))
	}
	return nil
}

// Delete removes an item and its chunks; a missing item is not an error.
func (k *OSKeyring) Delete(item string) error {
	n, err := chunkCount(k.get, item)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	for i := 1; i <= n; i++ {
		if err := k.del(chunkName(item, i)); err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
	}
	if err := k.del(item); err != nil && !errors.Is(err, ErrNotFound) {
		return err
	}
	return nil
}

func chunkName(item string, i int) string { return item + "#" + strconv.Itoa(i) }

// setChunked stores value in one item or in chunks behind a header item; it
// returns the number of chunks written (0 when it fits in one item).
func setChunked(set func(item, value string) error, item, value string) (int, error) {
	if len(value) <= ChunkSize && !strings.HasPrefix(value, chunkHeader) {
		return 0, set(item, value)
	}
	n := 0
	for off := 0; off < len(value); off += ChunkSize {
		n++
		if err := set(chunkName(item, n), value[off:min(off+ChunkSize, len(value))]); err != nil {
			return 0, err
		}
	}
	sum := sha256.Sum256([]byte(value))
	// The header goes last: until it is written, readers see the old value.
	return n, set(item, chunkHeader+strconv.Itoa(n)+":"+hex.EncodeToString(sum[:]))
}

func parseHeader(v string) (n int, sum string, ok bool) {
	rest, found := strings.CutPrefix(v, chunkHeader)
	if !found {
		return 0, "", false
	}
	count, sum, found := strings.Cut(rest, ":")
	n, err := strconv.Atoi(count)
	if !found || err != nil || n < 1 || n > 1000 {
		return 0, "", false
	}
	return n, sum, true
}

func chunkCount(get func(string) (string, error), item string) (int, error) {
	v, err := get(item)
	if err != nil {
		return 0, err
	}
	n, _, _ := parseHeader(v)
	return n, nil
}

func getChunked(get func(string) (string, error), item string) (string, error) {
	v, err := get(item)
	if err != nil {
		return "", err
	}
	n, sum, ok := parseHeader(v)
	if !ok {
		return v, nil
	}
	var b strings.Builder
	for i := 1; i <= n; i++ {
		part, err := get(chunkName(item, i))
		if err != nil {
			return "", fmt.Errorf("keyring item %s is split in %d parts and part %d is unreadable: %w", item, n, i, err)
		}
		b.WriteString(part)
	}
	got := sha256.Sum256([]byte(b.String()))
	if hex.EncodeToString(got[:]) != sum {
		return "", fmt.Errorf("keyring item %s: reassembled parts do not match their checksum (written by two processes at once?)", item)
	}
	return b.String(), nil
}

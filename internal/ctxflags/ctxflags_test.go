package ctxflags

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/internal/fileio"
)

// applyConn runs ApplyConn on a context given as start, with args and
// stdin, as a command of an app that takes the connection flags.
func applyConn(t *testing.T, start contexts.Spec, o ConnOptions, stdin string, args ...string) (contexts.Spec, error) {
	t.Helper()
	spec := start
	var got error
	app := &cli.App{
		Name: "t", Flags: ConnFlags(), Reader: strings.NewReader(stdin), Writer: io.Discard, ErrWriter: io.Discard,
		Action: func(c *cli.Context) error {
			got = ApplyConn(c, &spec, o)
			return nil
		},
	}
	if err := app.Run(append([]string{"t"}, args...)); err != nil {
		t.Fatalf("flags %q: %v", args, err)
	}
	return spec, got
}

func TestApplyConn(t *testing.T) {
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.crt")
	empty := filepath.Join(dir, "empty.pem")
	for path, data := range map[string]string{ca: "-----BEGIN CERTIFICATE-----\n", empty: " \n"} {
		if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	base := contexts.Spec{Endpoints: []string{"https://a:2379"}, Username: "old", Password: "pw"}

	t.Run("overlay", func(t *testing.T) {
		spec, err := applyConn(t, base, ConnOptions{}, "", "--endpoints", "https://b:2379,https://c:2379", "--cacert", ca, "--server-name", "etcd")
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(spec.Endpoints, " ") != "https://b:2379 https://c:2379" || spec.CA.Path != ca || spec.ServerName != "etcd" {
			t.Errorf("got %+v", spec)
		}
		if spec.Username != "old" || spec.Password != "pw" {
			t.Errorf("credentials not given, yet changed: %q %q", spec.Username, spec.Password)
		}
	})
	t.Run("token replaces the user", func(t *testing.T) {
		spec, err := applyConn(t, base, ConnOptions{}, "tok\n", "--token-stdin")
		if err != nil || spec.Token != "tok" || spec.Username != "" || spec.Password != "" {
			t.Errorf("got %+v, %v", spec, err)
		}
	})
	t.Run("password for the user given", func(t *testing.T) {
		spec, err := applyConn(t, base, ConnOptions{}, "s3cret\n", "--user", "bob", "--password-stdin")
		if err != nil || spec.Username != "bob" || spec.Password != "s3cret" {
			t.Errorf("got %+v, %v", spec, err)
		}
	})
	t.Run("user without password, not prompting", func(t *testing.T) {
		spec, err := applyConn(t, base, ConnOptions{}, "", "--user", "bob")
		if err != nil || spec.Username != "bob" || spec.Password != "" {
			t.Errorf("got %+v, %v", spec, err)
		}
	})

	for _, tc := range []struct {
		name string
		o    ConnOptions
		args []string
		want string
	}{
		{"password and token", ConnOptions{}, []string{"--password-stdin", "--token-stdin"}, "exclusive"},
		{"user and token", ConnOptions{}, []string{"--user", "u", "--token-stdin"}, "exclusive"},
		{"password without user", ConnOptions{}, []string{"--user", "", "--password-stdin"}, "needs a user"},
		{"cert without key for a context", ConnOptions{Pair: true}, []string{"--cert", ca}, "go together"},
		{"user and no terminal", ConnOptions{Prompt: true}, []string{"--user", "u"}, "no terminal"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := applyConn(t, base, tc.o, "x\n", tc.args...)
			var ce *clix.Error
			if !errors.As(err, &ce) || ce.Code != clix.ExitUsage || !strings.Contains(err.Error(), tc.want) || ce.Hint == "" {
				t.Errorf("got %v, want a usage error with a hint saying %q", err, tc.want)
			}
		})
	}

	for _, flag := range []string{"--cacert", "--cert", "--key"} {
		t.Run("empty "+flag, func(t *testing.T) {
			_, err := applyConn(t, base, ConnOptions{}, "", flag, empty)
			var ee *fileio.EmptyError
			var ie *conn.InputError
			if !errors.As(err, &ee) || !errors.As(err, &ie) || clix.HintOf(err) != ee.Hint() {
				t.Errorf("got %v, want the empty file refused with its hint", err)
			}
		})
	}
}

func TestNoCurrentHintAddsTheFlag(t *testing.T) {
	err := NoCurrentHint(contexts.ErrNoCurrent)
	if !errors.Is(err, contexts.ErrNoCurrent) || !strings.HasSuffix(clix.HintOf(err), "or pass --context NAME") ||
		!strings.Contains(clix.HintOf(err), "etcd-ctx use NAME") {
		t.Errorf("got %v, hint %q", err, clix.HintOf(err))
	}
	other := errors.New("x")
	if NoCurrentHint(other) != other {
		t.Error("another error was changed")
	}
}

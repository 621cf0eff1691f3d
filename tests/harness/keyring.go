package harness

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/godbus/dbus/v5"
)

// Keyring is a private Secret Service: its own D-Bus session bus and an
// unlocked gnome-keyring-daemon whose files live in a throw-away HOME, so no
// test ever reads or writes a developer's real keyring.
type Keyring struct {
	Dir     string
	Address string // DBUS_SESSION_BUS_ADDRESS of the private bus
	bus     *exec.Cmd
	daemon  *exec.Cmd
}

// KeyringTools are the programs StartKeyring needs.
var KeyringTools = []string{"dbus-daemon", "gnome-keyring-daemon"}

// StartKeyring starts a private bus and an unlocked Secret Service under dir.
func StartKeyring(dir string) (*Keyring, error) { return startKeyring(dir, true) }

// StartLockedKeyring starts one whose login collection is locked and cannot
// be unlocked (no one answers the prompt), as on a headless box after login.
func StartLockedKeyring(dir string) (*Keyring, error) { return startKeyring(dir, false) }

func startKeyring(dir string, unlock bool) (*Keyring, error) {
	for _, tool := range KeyringTools {
		if _, err := exec.LookPath(tool); err != nil {
			return nil, fmt.Errorf("%s not found (apt-get install dbus gnome-keyring)", tool)
		}
	}
	k := &Keyring{Dir: dir}
	for _, d := range []string{"home", "data", "run", "config"} {
		if err := os.MkdirAll(filepath.Join(dir, d), 0o700); err != nil {
			return nil, err
		}
	}
	k.bus = exec.Command("dbus-daemon", "--session", "--nofork", "--nopidfile", "--print-address=1")
	out, err := k.bus.StdoutPipe()
	if err != nil {
		return nil, err
	}
	k.bus.Env = k.baseEnv()
	if err := k.bus.Start(); err != nil {
		return nil, fmt.Errorf("start dbus-daemon: %w", err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		k.Close()
		return nil, fmt.Errorf("read dbus-daemon address: %w", err)
	}
	k.Address = strings.TrimSpace(line)

	k.daemon = exec.Command("gnome-keyring-daemon", "--foreground", "--components=secrets")
	if unlock {
		k.daemon.Args = append(k.daemon.Args, "--unlock")
		k.daemon.Stdin = strings.NewReader("harness-keyring-password")
	}
	k.daemon.Env = append(k.Env(), "DISPLAY=") // no prompter can appear
	logf, err := os.Create(filepath.Join(dir, "gnome-keyring.log"))
	if err != nil {
		k.Close()
		return nil, err
	}
	defer logf.Close()
	k.daemon.Stdout, k.daemon.Stderr = logf, logf
	if err := k.daemon.Start(); err != nil {
		k.Close()
		return nil, fmt.Errorf("start gnome-keyring-daemon: %w", err)
	}
	if err := k.waitForSecrets(10 * time.Second); err != nil {
		k.Close()
		return nil, err
	}
	return k, nil
}

func (k *Keyring) baseEnv() []string {
	return []string{
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(k.Dir, "home"),
		"XDG_DATA_HOME=" + filepath.Join(k.Dir, "data"),
		"XDG_RUNTIME_DIR=" + filepath.Join(k.Dir, "run"),
		"XDG_CONFIG_HOME=" + filepath.Join(k.Dir, "config"),
	}
}

// Env is the environment a process needs to use this keyring (and only it).
func (k *Keyring) Env() []string {
	return append(k.baseEnv(), "DBUS_SESSION_BUS_ADDRESS="+k.Address)
}

// waitForSecrets polls the private bus until the daemon owns org.freedesktop.secrets
// and its login collection is unlocked.
func (k *Keyring) waitForSecrets(limit time.Duration) error {
	conn, err := dbus.Connect(k.Address)
	if err != nil {
		return fmt.Errorf("connect to private bus: %w", err)
	}
	defer conn.Close()
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		var owned bool
		err := conn.BusObject().Call("org.freedesktop.DBus.NameHasOwner", 0, "org.freedesktop.secrets").Store(&owned)
		if err == nil && owned {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	log, _ := os.ReadFile(filepath.Join(k.Dir, "gnome-keyring.log"))
	return errors.New("gnome-keyring-daemon did not provide org.freedesktop.secrets: " + strings.TrimSpace(string(log)))
}

// Close stops the daemon and the bus.
func (k *Keyring) Close() {
	for _, c := range []*exec.Cmd{k.daemon, k.bus} {
		if c != nil && c.Process != nil {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	}
}

package certcmd

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/manifoldco/promptui"
	"github.com/urfave/cli/v2"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
	"github.com/etcd-ctx/etcd-ctx/contexts"
	"github.com/etcd-ctx/etcd-ctx/internal/clix"
	"github.com/etcd-ctx/etcd-ctx/internal/conn"
	"github.com/etcd-ctx/etcd-ctx/internal/ctxflags"
	"github.com/etcd-ctx/etcd-ctx/pki"
)

func userCommand() *cli.Command {
	return &cli.Command{
		Name:      "user",
		Usage:     "issue a client certificate for NAME and create the etcd user (no password) and a role on --prefix",
		ArgsUsage: "NAME",
		Flags: append(leafFlags(),
			ctxflags.ContextFlag("etcd-ctx context with admin (root) rights on the cluster"),
			&cli.StringFlag{Name: "role", Usage: "role to create and grant", DefaultText: "NAME"},
			&cli.StringFlag{Name: "prefix", Usage: "key prefix the user may access", Required: true},
			&cli.BoolFlag{Name: "read", Usage: "read-only permission"},
			&cli.BoolFlag{Name: "write", Usage: "write-only permission"},
			&cli.BoolFlag{Name: "readwrite", Usage: "read and write permission"},
			&cli.StringFlag{Name: "add-context", Usage: "also add an etcd-ctx context of this name for the new user (asked on a terminal otherwise)"},
			ctxflags.StoreFlag("where the new context keeps the certificate: keyring or path (as etcd-ctx add --store)"),
			ctxflags.ConfigFlag(),
		),
		Action: userAction,
	}
}

func userAction(c *cli.Context) error {
	if err := clix.Args(c, 1, 1); err != nil {
		return err
	}
	name := c.Args().First()
	perm, err := permission(c)
	if err != nil {
		return err
	}
	if err := certwiz.ValidName("client", name); err != nil {
		return clix.Usage("the user name becomes the certificate's CN and file name: letters, digits and hyphens", "%w", err)
	}
	keepPaths, err := ctxflags.KeepPaths(c)
	if err != nil {
		return err
	}
	admin, err := ctxflags.Select(c, "")
	if err != nil {
		return err
	}
	cli, err := dial(admin)
	if err != nil {
		return err
	}
	defer cli.Close()
	// What can be known to fail is checked before anything changes: the
	// context to add (its name, and the keyring it needs), then the
	// certificate (a refusal to overwrite), then the cluster.
	if err := checkNewContext(c, admin, keepPaths); err != nil {
		return err
	}
	certPath := certwiz.Layout{Dir: c.String("out")}.Client(name)
	reused, err := reuseClientCert(c, name, certPath)
	if err != nil {
		return err
	}
	if !reused {
		if err := issueLeaf(c, certwiz.Request{Role: certwiz.RoleClient, CommonName: name}, certPath); err != nil {
			return err
		}
	}
	if err := grant(c, cli, name, perm); err != nil {
		return err
	}
	return offerContext(c, admin, name, certPath, keepPaths)
}

// checkNewContext refuses, before anything is written, an --add-context the
// store would refuse at the end: an invalid name, one that exists (without
// --force), or material bound for a keyring that cannot be written.
func checkNewContext(c *cli.Context, admin contexts.Spec, keepPaths bool) error {
	name := c.String("add-context")
	if name == "" {
		return nil
	}
	if err := contexts.ValidName(name); err != nil {
		return clix.WithCode(err, clix.ExitUsage, "")
	}
	store, cfg, err := ctxflags.Config(c)
	if err != nil {
		return err
	}
	if _, exists := cfg.Context(name); exists && !c.Bool("force") {
		return clix.Wrap(&contexts.ExistsError{Name: name}, "pick another --add-context name, or pass --force to replace the context (nothing was changed)")
	}
	// The certificate and key go into the keyring unless --store=path; the
	// CA too when the admin context keeps it there (contexts.Spec.cluster).
	if keepPaths && (len(admin.CA.PEM) == 0 || admin.CA.Path != "") {
		return nil
	}
	const probe = "etcd-certwiz/keyring-check"
	err = store.Keyring.Set(probe, "a write etcd-certwiz user makes before it changes anything")
	if err == nil {
		err = store.Keyring.Delete(probe)
	}
	if err != nil {
		hint := contexts.KeyringHint
		if !keepPaths {
			hint = "nothing was changed; pass --store=path to keep the certificate as files the context references, or start a Secret Service (gnome-keyring-daemon, KeePassXC) and unlock it"
		}
		return clix.Wrap(fmt.Errorf("context %s would keep its certificate in the keyring: %w", name, err), hint)
	}
	return nil
}

// reuseClientCert keeps the certificate a previous run issued (the command
// failed later, or is run again): one at certPath whose key is beside it,
// with CN = name and clientAuth, signed by the CA and valid now. Any other
// file there is left to issueLeaf, which replaces it only with --force.
func reuseClientCert(c *cli.Context, name, certPath string) (bool, error) {
	if c.Bool("force") {
		return false, nil
	}
	if _, err := os.Lstat(certPath); err != nil {
		return false, nil
	}
	it, err := certwiz.LoadPair(certPath, "")
	if err != nil || it.Cert.Subject.CommonName != name || !pki.HasEKU(it.Cert, x509.ExtKeyUsageClientAuth) ||
		pki.CheckValidity(it.Cert, time.Now()) != nil {
		return false, nil
	}
	ca, caPath, err := loadCA(c, false)
	if err != nil {
		return false, err
	}
	if it.Cert.CheckSignatureFrom(ca.Cert) != nil {
		return false, nil
	}
	fmt.Fprintf(c.App.ErrWriter, "Keeping %s: CN %s, signed by %s, valid until %s.\n", certPath, name,
		caPath, it.Cert.NotAfter.UTC().Format("2006-01-02"))
	return true, nil
}

func permission(c *cli.Context) (clientv3.PermissionType, error) {
	var set []clientv3.PermissionType
	for i, flag := range permFlags {
		if c.Bool(flag) {
			set = append(set, clientv3.PermissionType(i))
		}
	}
	if len(set) != 1 {
		return 0, clix.Usage("e.g. --prefix /app/ --readwrite", "give exactly one of --read, --write, --readwrite")
	}
	return set[0], nil
}

// grant creates the user (no password: it authenticates by certificate CN),
// the role with the permission, and grants it. Existing users and roles are
// reused, so the command can be re-run.
func grant(c *cli.Context, cli *clientv3.Client, name string, perm clientv3.PermissionType) error {
	role := c.String("role")
	if role == "" {
		role = name
	}
	prefix := c.String("prefix")
	ctx, cancel := context.WithTimeout(c.Context, 20*time.Second)
	defer cancel()
	hint := "the --context must have root rights ('etcd-ctx show' tells which user it is)"
	if _, err := cli.UserAddWithOptions(ctx, name, "", &clientv3.UserAddOptions{NoPassword: true}); err != nil {
		if !errors.Is(err, rpctypes.ErrUserAlreadyExist) {
			return clix.Fail(hint, "creating user %s: %w", name, err)
		}
		fmt.Fprintf(c.App.ErrWriter, "User %s exists; granting the role to it.\n", name)
	}
	if _, err := cli.RoleAdd(ctx, role); err != nil && !errors.Is(err, rpctypes.ErrRoleAlreadyExist) {
		return clix.Fail(hint, "creating role %s: %w", role, err)
	}
	if _, err := cli.RoleGrantPermission(ctx, role, prefix, clientv3.GetPrefixRangeEnd(prefix), perm); err != nil {
		return clix.Fail(hint, "granting %s on %s to role %s: %w", permName(perm), prefix, role, err)
	}
	if _, err := cli.UserGrantRole(ctx, name, role); err != nil {
		return clix.Fail(hint, "granting role %s to %s: %w", role, name, err)
	}
	fmt.Fprintf(c.App.ErrWriter, "User %s (certificate CN) has role %s: %s on prefix %s.\n", name, role, permName(perm), prefix)
	return nil
}

// permFlags are indexed by permission type (clientv3.PermRead = 0, PermWrite, PermReadWrite).
var permFlags = []string{"read", "write", "readwrite"}

func permName(p clientv3.PermissionType) string { return permFlags[p] }

// offerContext adds an etcd-ctx context for the new user when asked to by
// flag or, on a terminal, by answer; otherwise it says how.
func offerContext(c *cli.Context, admin contexts.Spec, user, certPath string, keepPaths bool) error {
	ctxName := c.String("add-context")
	if ctxName == "" && clix.IsTTY(os.Stdin) && clix.IsTTY(c.App.Writer) {
		p := promptui.Prompt{Label: "Add an etcd-ctx context for " + user + " (name, empty for no)", Default: user, Stdout: clix.NoBell{}, Validate: validContextName}
		answer, err := p.Run()
		if err != nil {
			return promptError(err)
		}
		ctxName = answer
	}
	if ctxName == "" {
		fmt.Fprintf(c.App.ErrWriter, "Add a context for it with: etcd-ctx add %s --endpoints %s --cert %s --key %s --cacert CA --prefix %s\n",
			user, joinComma(admin.Endpoints), certPath, certwiz.KeyPath(certPath), c.String("prefix"))
		return nil
	}
	return addContext(c, admin, ctxName, certPath, keepPaths)
}

func validContextName(s string) error {
	if s == "" {
		return nil
	}
	return contexts.ValidName(s)
}

func addContext(c *cli.Context, admin contexts.Spec, name, certPath string, keepPaths bool) error {
	cert, err := contexts.ReadMaterial(conn.InputCert, certPath)
	if err != nil {
		return err
	}
	key, err := contexts.ReadMaterial(conn.InputKey, certwiz.KeyPath(certPath))
	if err != nil {
		return err
	}
	spec := contexts.Spec{
		Name: name, Endpoints: admin.Endpoints, CA: admin.CA, Cert: cert, Key: key,
		ServerName: admin.ServerName, DialTimeout: admin.DialTimeout, Prefix: c.String("prefix"),
		KeepPaths: keepPaths,
	}
	if err := contexts.Validate(&spec, time.Now()); err != nil {
		return err
	}
	store, err := ctxflags.Store(c)
	if err != nil {
		return err
	}
	if err := store.Save(spec, contexts.SaveOptions{Replace: c.Bool("force")}); err != nil {
		return err
	}
	fmt.Fprintf(c.App.ErrWriter, "Added context %q.\n", name)
	return nil
}

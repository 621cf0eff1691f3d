package rbac

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"

	"github.com/etcd-ctx/etcd-ctx/certwiz"
)

// ApplyOptions carry what applying a plan needs besides the cluster.
type ApplyOptions struct {
	// Passwords of the users the plan creates with a password (see
	// Plan.NeedPasswords), by user name.
	Passwords map[string]string
	// PKI issues the certificates (OpIssueCert) with keys of KeyType.
	PKI     *PKI
	KeyType certwiz.KeyType
	// Done is called after each applied change, with the files it wrote.
	Done func(c Change, files []string)
	// Verify is called right after auth is enabled and must prove that the
	// identity applying the plan can still act (a fresh client's admin call).
	Verify func(ctx context.Context) error
}

// PartialError is a plan that failed part way: Applied were carried out,
// Failed was not, nor anything after it. Applying the same file again
// completes it, since the next plan starts from what the cluster has.
type PartialError struct {
	Applied []Change
	Failed  Change
	Err     error
}

func (e *PartialError) Error() string {
	return fmt.Sprintf("applied %d change(s), then could not apply %s: %v", len(e.Applied), e.Failed, e.Err)
}

func (e *PartialError) Unwrap() error { return e.Err }

// Hint says how to finish.
func (e *PartialError) Hint() string {
	var h interface{ Hint() string }
	if errors.As(e.Err, &h) && h.Hint() != "" {
		return h.Hint() + "; then apply again to complete the plan"
	}
	return "fix the cause and apply again: the new plan starts from what the cluster has now, so it completes this one"
}

// Apply carries out the plan's changes in order. Before enabling auth it
// checks again, on the cluster, that user root has the root role, and after
// enabling it calls o.Verify (a failure there is a *RefusedError: everything
// was applied). It stops at the first failure with a *PartialError.
func Apply(ctx context.Context, cli *clientv3.Client, p *Plan, o ApplyOptions) error {
	for _, c := range p.NeedPasswords() {
		if o.Passwords[c.User] == "" {
			return fmt.Errorf("no password for user %s", c.User)
		}
	}
	var applied []Change
	for _, c := range p.Changes {
		files, err := apply(ctx, cli, c, o)
		if err != nil {
			return &PartialError{Applied: applied, Failed: c, Err: err}
		}
		applied = append(applied, c)
		if o.Done != nil {
			o.Done(c, files)
		}
		if c.Op == OpEnableAuth && o.Verify != nil {
			if err := o.Verify(ctx); err != nil {
				return &RefusedError{
					Msg: fmt.Sprintf("all %d changes are applied and auth is enabled, but this context can no longer act: %v", len(applied), err),
					Fix: "log in as root with its password (etcdctl --user root …) and fix the context ('etcd-ctx set'), or turn auth off again with 'etcdctl --user root auth disable'",
				}
			}
		}
	}
	return nil
}

func apply(ctx context.Context, cli *clientv3.Client, c Change, o ApplyOptions) ([]string, error) {
	var err error
	switch c.Op {
	case OpIssueCert:
		if o.PKI == nil {
			return nil, errors.New("no PKI directory")
		}
		return o.PKI.Issue(c.User, c.Cert, o.KeyType)
	case OpAddRole:
		_, err = cli.RoleAdd(ctx, c.Role)
	case OpGrantPerm:
		if c.Replace {
			_, err = cli.RoleRevokePermission(ctx, c.Role, c.Perm.Key, c.Perm.End)
			if errors.Is(err, rpctypes.ErrPermissionNotGranted) {
				err = nil
			}
		}
		if err == nil {
			_, err = cli.RoleGrantPermission(ctx, c.Role, c.Perm.Key, c.Perm.End, c.Perm.Type.PB())
		}
	case OpAddUser:
		if c.Recreate {
			if _, err = cli.UserDelete(ctx, c.User); err != nil {
				return nil, err
			}
		}
		_, err = cli.UserAddWithOptions(ctx, c.User, o.Passwords[c.User], &clientv3.UserAddOptions{NoPassword: !c.Password})
	case OpGrantRole:
		_, err = cli.UserGrantRole(ctx, c.User, c.Role)
	case OpRevokePerm:
		_, err = cli.RoleRevokePermission(ctx, c.Role, c.Perm.Key, c.Perm.End)
	case OpRevokeRole:
		_, err = cli.UserRevokeRole(ctx, c.User, c.Role)
	case OpDeleteUser:
		_, err = cli.UserDelete(ctx, c.User)
	case OpDeleteRole:
		_, err = cli.RoleDelete(ctx, c.Role)
	case OpEnableAuth:
		err = enableAuth(ctx, cli)
	case OpDisableAuth:
		_, err = cli.AuthDisable(ctx)
	default:
		err = fmt.Errorf("unknown change %d", c.Op)
	}
	return nil, err
}

func enableAuth(ctx context.Context, cli *clientv3.Client) error {
	root, err := cli.UserGet(ctx, RootUser)
	if err != nil || !slices.Contains(root.Roles, RootRole) {
		return &RefusedError{
			Msg: fmt.Sprintf("not enabling auth: user root with the root role is missing on the cluster (%v)", err),
			Fix: "create it ('etcdctl role add root; etcdctl user add root; etcdctl user grant-role root root'), or declare it in the file",
		}
	}
	_, err = cli.AuthEnable(ctx)
	return err
}

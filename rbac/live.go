package rbac

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.etcd.io/etcd/api/v3/authpb"
	"go.etcd.io/etcd/api/v3/v3rpc/rpctypes"
	clientv3 "go.etcd.io/etcd/client/v3"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// FromPB converts etcd's stored permission.
func FromPB(p *authpb.Permission) Perm {
	t := Read
	switch p.PermType {
	case authpb.WRITE:
		t = Write
	case authpb.READWRITE:
		t = ReadWrite
	}
	return Perm{Type: t, Range: Range{Key: string(p.Key), End: string(p.RangeEnd)}}
}

// PB is the permission type as clientv3 takes it.
func (t Type) PB() clientv3.PermissionType {
	switch t {
	case Write:
		return clientv3.PermissionType(authpb.WRITE)
	case ReadWrite:
		return clientv3.PermissionType(authpb.READWRITE)
	}
	return clientv3.PermissionType(authpb.READ)
}

// noPasswordUser is how etcd (3.4 to 3.7) answers a password for a user added
// with --no-password (auth.ErrNoPasswordUser; gRPC code Unknown, so clientv3
// has no error value for it).
const noPasswordUser = "password was given for no password user"

// ReadLive reads the live model: auth status, every role with its permissions
// (in etcd's stored order, copies included) and every user with its roles.
// With auth enabled it also finds out which users have a password
// (User.Password) for the users probe selects (all when it is nil; none
// when it returns false for everyone): etcd has
// no API for that, so it authenticates each user with a random wrong
// password: users added with --no-password are refused with "password was
// given for no password user", the others with "invalid user ID or
// password" (each such probe costs the server one bcrypt comparison and logs
// an "invalid password" line). With auth disabled etcd refuses every
// password alike, so User.Password stays nil (unknown).
//
// cli needs root rights once auth is enabled.
func ReadLive(ctx context.Context, cli *clientv3.Client, probe func(user string) bool) (*Model, error) {
	enabled, err := AuthEnabled(ctx, cli)
	if err != nil {
		return nil, err
	}
	m := &Model{Auth: Bool(enabled)}
	roles, err := cli.RoleList(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing roles: %w", err)
	}
	for _, name := range roles.Roles {
		r, err := cli.RoleGet(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("reading role %s: %w", name, err)
		}
		role := Role{Name: name}
		for _, p := range r.Perm {
			if name != RootRole { // see Role
				role.Perms = append(role.Perms, FromPB(p))
			}
		}
		m.Roles = append(m.Roles, role)
	}
	users, err := cli.UserList(ctx)
	if err != nil {
		return nil, fmt.Errorf("listing users: %w", err)
	}
	for _, name := range users.Users {
		u, err := cli.UserGet(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("reading user %s: %w", name, err)
		}
		m.Users = append(m.Users, User{Name: name, Roles: u.Roles})
	}
	if enabled {
		if err := probePasswords(ctx, cli, m.Users, probe); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// AuthEnabled asks etcd whether auth is enabled: AuthStatus where the server
// has it (3.5+); etcd 3.4 has no AuthStatus, so there it authenticates a
// user name that cannot exist: "authentication is not enabled" or "invalid
// user ID or password" tells.
func AuthEnabled(ctx context.Context, cli *clientv3.Client) (bool, error) {
	st, err := cli.AuthStatus(ctx)
	if err == nil {
		return st.Enabled, nil
	}
	if status.Code(err) != codes.Unimplemented {
		return false, fmt.Errorf("reading the auth status: %w", err)
	}
	_, err = cli.Authenticate(ctx, "etcd-certwiz-probe-"+randomHex(), randomHex())
	switch {
	case errors.Is(err, rpctypes.ErrAuthNotEnabled):
		return false, nil
	case errors.Is(err, rpctypes.ErrAuthFailed):
		return true, nil
	case err == nil:
		return false, fmt.Errorf("etcd accepted a random user name and password")
	}
	return false, fmt.Errorf("reading the auth status (etcd 3.4 has no AuthStatus; authenticating a probe user failed): %w", err)
}

// HasPassword finds out whether user has a password (auth must be enabled).
func HasPassword(ctx context.Context, cli *clientv3.Client, user string) (bool, error) {
	_, err := cli.Authenticate(ctx, user, randomHex())
	switch {
	case err == nil:
		return false, fmt.Errorf("user %s: etcd accepted a random password", user)
	case errors.Is(err, rpctypes.ErrAuthFailed):
		return true, nil
	case strings.Contains(err.Error(), noPasswordUser):
		return false, nil
	}
	return false, fmt.Errorf("user %s: finding out whether it has a password: %w", user, err)
}

// NoProbe selects no user for ReadLive's password probes.
func NoProbe(string) bool { return false }

func probePasswords(ctx context.Context, cli *clientv3.Client, users []User, probe func(string) bool) error {
	var (
		wg   sync.WaitGroup
		sem  = make(chan struct{}, 4) // bcrypt is slow; do not flood the server
		errs = make([]error, len(users))
	)
	for i := range users {
		if probe != nil && !probe(users[i].Name) {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			has, err := HasPassword(ctx, cli, users[i].Name)
			users[i].Password, errs[i] = Bool(has), err
		}()
	}
	wg.Wait()
	return errors.Join(errs...)
}

func randomHex() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

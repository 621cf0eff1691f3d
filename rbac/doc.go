// Package rbac is etcd's role-based access control as data: the model
// (roles, their permissions on key ranges, users and their roles), etcd's
// own coverage rules (who may read or write a key or a range, and why), the
// file format that declares a model, reading the live model from a cluster (ReadLive),
// and the plan and apply that make a cluster match a file.
//
// Ranges follow etcd's conventions: [key, end) where an empty end is the
// single key, "\x00" is every key from key on, a prefix p is [p,
// PrefixEnd(p)) and the prefix "" (every key) is ["\x00", "\x00").
package rbac

// Package completion is the shell companion of the suite's binaries: the
// `completion` and hidden `__complete` subcommands, the scripts they print
// for bash, zsh, fish and PowerShell, `etcd-ctx shell-init`, and the man
// pages packaging/gen writes at release time.
//
// The scripts hold no knowledge of the commands: on <TAB> they run
// `PROG __complete WORD...` and the binary answers from its own command tree
// (subcommands, flags, a|b|c values from the help text, file flags) and, for
// context names, from the etcd-ctx config file alone: a <TAB> never touches
// the keyring or the network.
package completion

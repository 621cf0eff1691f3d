// Package completion is shell completion for the suite's binaries: the
// `completion` and hidden `__complete` subcommands and the scripts they
// print for bash, zsh, fish and PowerShell (etcd-ctx shell-init bundles them;
// internal/manpage writes the man pages).
//
// The scripts hold no knowledge of the commands: on <TAB> they run
// `PROG __complete WORD...` and the binary answers from its own command tree
// (subcommands, flags, the values of a clix.ChoiceFlag, file flags, the
// commands that pass their arguments through, per clix.CommandMeta) and,
// for context names, from the etcd-ctx config file alone: a <TAB> never
// touches the keyring or the network. Nothing is read from help wording.
package completion

// Package completion generates shell completion scripts, shell-init snippets
// and man pages for the suite's binaries.
package completion

#!/usr/bin/env bash
# package-test.sh [DIST]: check a goreleaser snapshot (make release-snapshot)
# the way users get it. Every platform's binaries and archives are there, the
# Homebrew cask names the three binaries, and the .deb for this machine, once
# installed with dpkg -i, gives working binaries in /usr/bin, completion that
# bash, zsh and fish find on their own, and man pages; dpkg -r then removes it
# all. The package is removed even when a check fails. Needs root or sudo.
set -euo pipefail
cd "$(dirname "$0")/.."
dist=${1:-dist}
bins=(etcd-ctx etcd-certwiz etcd-diag)
sudo=""
[ "$(id -u)" -eq 0 ] || sudo="sudo"

fail() {
	echo "package-test: FAIL: $*" >&2
	exit 1
}
ok() { echo "package-test: ok: $*"; }

# magic FILE: the first four bytes in hex.
magic() { od -An -tx1 -N4 "$1" | tr -d ' \n'; }

check_binaries() {
	local bin os arch want f
	for bin in "${bins[@]}"; do
		for os in linux darwin windows; do
			for arch in amd64 arm64; do
				f=$(compgen -G "$dist/${bin}_${os}_${arch}*/${bin}*" | head -n1) ||
					fail "no $os/$arch build of $bin in $dist"
				case $os in
				linux) want=7f454c46 ;;   # ELF
				darwin) want=cffaedfe ;;  # Mach-O 64-bit
				windows) want=4d5a* ;;    # PE ("MZ")
				esac
				# shellcheck disable=SC2053 # want may be a pattern
				[[ $(magic "$f") == $want ]] || fail "$f is not a $os executable"
			done
		done
	done
	ok "${bins[*]} built for linux, darwin and windows (amd64, arm64)"
}

check_archives() {
	local a entry list whole n=0
	for a in "$dist"/*.tar.gz "$dist"/*.zip; do
		[ -e "$a" ] || continue
		n=$((n + 1))
		case $a in
		*.tar.gz) list=$(tar -tzf "$a") whole=-x ;;
		*.zip) list=$(tr -c '[:print:]' '\n' <"$a") whole= ;; # names are stored uncompressed
		esac
		for entry in README.md LICENSE "${bins[@]/#/manpages/}" completions/etcd-ctx.bash \
			completions/etcd-diag.zsh completions/etcd-certwiz.fish completions/etcd-ctx.ps1; do
			grep -qE $whole "$entry(\.1\.gz)?" <<<"$list" || fail "$a lacks $entry"
		done
	done
	[ "$n" -eq 6 ] || fail "$n archives in $dist, want 6"
	grep -q '\.deb$' "$dist/checksums.txt" || fail "checksums.txt does not cover the packages"
	ok "6 archives with README, LICENSE, completions and man pages; checksums"
}

check_cask() {
	local cask="$dist/homebrew/Casks/etcd-ctx.rb" bin
	[ -f "$cask" ] || fail "no Homebrew cask at $cask"
	for bin in "${bins[@]}"; do
		grep -q "binary \"$bin\"" "$cask" || fail "the cask does not install $bin"
		grep -q "manpage \"manpages/$bin.1.gz\"" "$cask" || fail "the cask does not install $bin(1)"
		grep -q "bash_completion \"completions/$bin.bash\"" "$cask" || fail "the cask lacks $bin's bash completion"
	done
	ok "Homebrew cask installs ${bins[*]}, their man pages and completions"
}

installed="" home=""
cleanup() {
	[ -z "$home" ] || rm -rf "$home"
	[ -n "$installed" ] || return 0
	$sudo dpkg -r etcd-ctx >/dev/null || echo "package-test: dpkg -r etcd-ctx failed" >&2
}
trap cleanup EXIT

install_deb() {
	local deb
	deb=$(compgen -G "$dist/etcd-ctx_*_$(dpkg --print-architecture).deb" | head -n1) ||
		fail "no .deb for $(dpkg --print-architecture) in $dist"
	if dpkg -s etcd-ctx >/dev/null 2>&1; then
		fail "etcd-ctx is already installed here; remove it first (dpkg -r etcd-ctx)"
	fi
	installed=yes
	$sudo dpkg -i "$deb" >/dev/null
	ok "dpkg -i $deb"
}

# A user with a config of two contexts, in a fresh environment: nothing from
# this shell or the build tree, only what the package installed.
setup_user() {
	home=$(mktemp -d)
	mkdir -p "$home/.config/etcd-ctx"
	cat >"$home/.config/etcd-ctx/config.yaml" <<-'EOF'
		current-context: pkg-prod
		clusters:
		- name: c
		  cluster: {endpoints: ["http://127.0.0.1:2379"]}
		users: []
		contexts:
		- name: pkg-prod
		  context: {cluster: c}
		- name: pkg-staging
		  context: {cluster: c}
	EOF
}

as_user() { env -i HOME="$home" PATH=/usr/bin:/bin LC_ALL=C.UTF-8 MANWIDTH=80 "$@"; }

check_installed() {
	local bin out
	for bin in "${bins[@]}"; do
		out=$(as_user /usr/bin/"$bin" --version) || fail "/usr/bin/$bin --version failed"
		[[ $out == "$bin version "* && $out != *" version dev "* ]] ||
			fail "/usr/bin/$bin --version printed: $out (want the release's version stamp)"
	done
	ok "/usr/bin: $out"

	# bash: bash-completion finds the installed file itself on the first <TAB>.
	out=$(as_user bash --norc --noprofile -c '
		source /usr/share/bash-completion/bash_completion
		_completion_loader etcd-ctx
		COMP_WORDS=(etcd-ctx use "") COMP_CWORD=2 COMP_LINE="etcd-ctx use " COMP_POINT=13
		fn=$(complete -p etcd-ctx) && fn=${fn#*-F } && "${fn%% *}" etcd-ctx "" use
		echo "${COMPREPLY[*]}"') || fail "bash completion: $out"
	[[ $out == *pkg-prod* && $out == *pkg-staging* ]] || fail "bash completion offered: $out"
	ok "bash completes context names from the installed file: $out"

	out=$(as_user zsh -f -c 'autoload -Uz compinit && compinit -u -D && print -r -- ${_comps[etcd-ctx]} ${_comps[etcd-diag]}')
	[[ $out == "_etcd-ctx _etcd-diag" ]] || fail "zsh does not find the installed completion: $out"
	out=$(as_user fish -c 'complete -C "etcd-ctx exec --context "') # not --no-config: it skips the vendor paths
	[[ $out == *pkg-prod* && $out == *pkg-staging* ]] || fail "fish completion offered: $out"
	ok "zsh and fish find the installed completion"

	for bin in "${bins[@]}"; do
		out=$(as_user man "$bin" 2>&1 >/dev/null) && [ -z "$out" ] || fail "man $bin: $out"
	done
	as_user man etcd-ctx 2>/dev/null | grep -q ETCD_CTX_CONFIG || fail "man etcd-ctx lacks ETCD_CTX_CONFIG"
	ok "man ${bins[*]} render without a warning"
}

remove_deb() {
	local files f
	files=$(dpkg -L etcd-ctx)
	$sudo dpkg -r etcd-ctx >/dev/null
	installed=""
	while IFS= read -r f; do
		[ -d "$f" ] || [ ! -e "$f" ] || fail "$f is left after dpkg -r"
	done <<<"$files"
	ok "dpkg -r removed every file"
}

check_binaries
check_archives
check_cask
install_deb
setup_user
check_installed
remove_deb

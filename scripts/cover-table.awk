# Per-package statement coverage from a Go cover profile (go test
# -coverprofile): a block run by any test binary counts once as covered.
# Prints "PACKAGE STATEMENTS COVERED PERCENT" sorted by package, then the total.
# Usage: awk -v module=MODULE -f scripts/cover-table.awk cover.out
NR == 1 && /^mode:/ { next }
{
	split($1, parts, ":")
	file = parts[1]
	if (!($1 in stmts)) {
		stmts[$1] = $2
		pkg = file
		sub(/\/[^\/]*$/, "", pkg)
		sub("^" module "/?", "", pkg)
		if (pkg == "") pkg = "."
		blockpkg[$1] = pkg
	}
	if ($3 > 0) covered[$1] = 1
}
END {
	for (b in stmts) {
		p = blockpkg[b]
		total[p] += stmts[b]
		all += stmts[b]
		if (b in covered) { hit[p] += stmts[b]; allhit += stmts[b] }
	}
	n = 0
	for (p in total) names[++n] = p
	# insertion sort: awk has no portable sort
	for (i = 2; i <= n; i++) { v = names[i]; for (j = i - 1; j > 0 && names[j] > v; j--) names[j + 1] = names[j]; names[j + 1] = v }
	printf "%-28s %6s %6s %7s\n", "PACKAGE", "STMTS", "RUN", "COVER"
	for (i = 1; i <= n; i++) {
		p = names[i]
		printf "%-28s %6d %6d %6.1f%%\n", p, total[p], hit[p], 100 * hit[p] / total[p]
	}
	printf "%-28s %6d %6d %6.1f%%\n", "total", all, allhit, (all ? 100 * allhit / all : 0)
}

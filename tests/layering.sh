#!/bin/sh
# The one-way layers of DESIGN.md ("Layers"), read from the #include lines:
#
#   cli/                            (rank 4: commands and the daemon's wiring,
#                                    which starts the HTTP server)
#     -> web/                       (rank 3: HTTP API, /metrics, console)
#     -> collector/, detector/, sinks/   (rank 2: they do not include each other)
#       -> common/                  (rank 1: the ground)
#
# A file may include a header of its own folder or of a lower rank; anything
# else is a back-edge and fails the test.  Every .c and .h of those folders
# and of include/ is read.  A public header include/fw_X.h belongs to the
# folder of the .c that includes it first (STYLE.md: "each is included first
# by its .c"); a header no .c implements (fw_cur.h, fw_records.h: inline
# helpers and record types) belongs to the ground.  Other quoted headers
# (detect_int.h, dnstap.pb-c.h) belong to the folder they sit in.
#
#   sh tests/layering.sh [ROOT]     (default: the tree this script is in)
set -eu
root=${1:-$(dirname "$0")/..}
cd "$root"

dirs="common collector detector sinks cli web"
files=$(for d in $dirs include; do [ -d "$d" ] && ls "$d"/*.c "$d"/*.h 2>/dev/null; done || true)
[ -n "$files" ] || { echo "layering: no sources under $root" >&2; exit 1; }

# Owner of each header: "NAME FOLDER" lines.
owners=$(
	for d in $dirs; do
		[ -d "$d" ] || continue
		for c in "$d"/*.c; do
			[ -e "$c" ] || continue
			h=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$c" | head -n 1)
			case $h in fw_*.h) [ -e "include/$h" ] && echo "$h $d" ;; esac
		done
		for h in "$d"/*.h; do [ -e "$h" ] && echo "$(basename "$h") $d"; done
	done | sort -u
	for h in include/*.h; do echo "$(basename "$h") -"; done
)

# shellcheck disable=SC2086  # $files: one path per word, no spaces in them
awk -v owners="$owners" '
function rank(d) {
	if (d == "cli") return 4
	if (d == "web") return 3
	if (d == "collector" || d == "detector" || d == "sinks") return 2
	if (d == "common") return 1
	return 0
}
BEGIN {
	n = split(owners, line, "\n")
	for (i = 1; i <= n; i++) {
		split(line[i], f, " ")
		if (f[2] == "-") { if (!(f[1] in own)) own[f[1]] = "common"; continue }
		if (f[1] in own && own[f[1]] != f[2] && own[f[1]] != "common") {
			printf "layering: %s is implemented in both %s/ and %s/\n", f[1], own[f[1]], f[2]
			bad = 1
		}
		own[f[1]] = f[2]
	}
}
FNR == 1 {
	split(FILENAME, p, "/")
	from = p[1]
	if (from == "include") {
		h = p[2]
		from = (h in own) ? own[h] : "common"
	}
}
/^[ \t]*#[ \t]*include[ \t]*"/ {
	match($0, /"[^"]*"/)
	inc = substr($0, RSTART + 1, RLENGTH - 2)
	sub(/.*\//, "", inc)
	if (!(inc in own)) {
		printf "%s:%d: includes \"%s\", which no layer owns\n", FILENAME, FNR, inc
		bad = 1
		next
	}
	to = own[inc]
	if (to == from || rank(from) > rank(to))
		next
	printf "%s:%d: %s/ includes %s of %s/ (layers: cli -> web -> collector, detector, sinks -> common)\n",
	    FILENAME, FNR, from, inc, to
	bad = 1
}
END { exit bad }
' $files || { echo "layering: back-edges found (DESIGN.md, Layers)" >&2; exit 1; }
echo "layering: $(echo "$files" | wc -l | tr -d ' ') files, no back-edge"

#!/bin/sh
# gen-conf5.sh FLOODWATCH CONF TEMPLATE: print floodwatch.conf(5).
#
# The keys, their types, defaults and ranges come from the binary's own key
# table (`floodwatch config-keys`, common/config.c); the text of each key is
# the comment above it in CONF (deploy/floodwatch.conf).  A key of the table
# that CONF does not describe, or a key in CONF the table does not know, is
# an error (exit 1), so the page cannot drift from the code.  Whether a key
# is applied on SIGHUP or needs a restart comes from the table too.  The keys are
# written where TEMPLATE has a line "@KEYS@"; "@VERSION@" becomes the version.
set -eu
[ $# -eq 3 ] || { echo "usage: $0 FLOODWATCH CONF TEMPLATE" >&2; exit 2; }
fw=$1 conf=$2 tmpl=$3
keys=$(mktemp) body=$(mktemp)
trap 'rm -f "$keys" "$body"' EXIT
"$fw" config-keys > "$keys"
[ -s "$keys" ] || { echo "$0: '$fw config-keys' printed nothing" >&2; exit 1; }
version=$("$fw" --version | sed 's/^floodwatch //')

awk -F '\t' -v conf="$conf" '
# roff-escape one line of text: backslash, dashes, quotes; a leading dot or
# quote would be read as a request.
function esc(s) {
	gsub(/\\/, "\\e", s)
	gsub(/-/, "\\-", s)
	gsub(/\047/, "\\(aq", s)
	gsub(/`/, "\\(ga", s)
	if (s ~ /^[.]/) s = "\\&" s
	return s
}
# Lines kept as they are: indented examples, "BIND:   ..." labels and
# commented-out "key = value" settings.
function verbatim(s) {
	return s ~ /^[ \t]/ || s ~ /^[A-Za-z]+:  / || s ~ /^[a-z_.]+ = /
}
function emit_doc(    i, inv) {
	inv = 0
	for (i = 1; i <= ndoc; i++) {
		if (verbatim(doc[i]) && !inv) { print ".nf"; inv = 1 }
		if (!verbatim(doc[i]) && inv) { print ".fi"; inv = 0 }
		print esc(doc[i])
	}
	if (inv) print ".fi"
}
# Write the pending entry: a key with the comment above it, or a comment
# that no key follows (the end of a section) as a paragraph.
function flush(    k, r) {
	if (key == "") {
		if (ndoc > 0) { print ".PP"; emit_doc() }
		ndoc = 0
		return
	}
	k = sec "." key
	if (ndoc == 0) {
		printf "%s: %s has no description (a comment above it)\n", conf, k > "/dev/stderr"
		bad = 1
	}
	print ".TP"
	print ".B " esc(key)
	emit_doc()
	print ".br"
	printf "Default: %s; %s", (def[k] == "" ? "empty" : "\\fB" esc(def[k]) "\\fR"), type[k]
	if (range[k] != "") { split(range[k], r, /[.][.]/); printf ", %s to %s", esc(r[1]), esc(r[2]) }
	print "."
	print ".br"
	print (reload[k] == "reload" ? "Applied on reload (SIGHUP)." : "Changing it needs a restart (a reload keeps the old value and logs so).")
	key = ""; ndoc = 0
}
FNR == NR { type[$1] = $2; def[$1] = $3; range[$1] = $4; reload[$1] = $5; order[++nkeys] = $1; next }
/^\[[a-z_]+\][ \t]*$/ {
	flush()
	sec = $0; sub(/^\[/, "", sec); sub(/\][ \t]*$/, "", sec)
	print ".SS [" sec "]"
	next
}
sec == "" { next }                 # the file header: the template has its own
/^[#;]/ {
	if (key != "") flush()
	line = $0; sub(/^[#;] ?/, "", line)
	doc[++ndoc] = line
	next
}
/^[ \t]*$/ { next }
{
	name = $0; sub(/[ \t]*=.*/, "", name)
	if (!((sec "." name) in type)) {
		printf "%s:%d: %s.%s is not in the key table (floodwatch config-keys)\n", conf, FNR, sec, name > "/dev/stderr"
		bad = 1
	}
	seen[sec "." name] = 1
	if (key != "") {
		# Each key has its own comment: a key right under another one
		# would silently share (or steal) its text; flush() reports it.
		flush()
	}
	key = name
}
END {
	flush()
	for (i = 1; i <= nkeys; i++)
		if (!(order[i] in seen)) {
			printf "%s: key %s of the key table is not described there\n", conf, order[i] > "/dev/stderr"
			bad = 1
		}
	exit bad
}' "$keys" "$conf" > "$body"

awk -v body="$body" -v version="$version" '
/^@KEYS@$/ { while ((getline l < body) > 0) print l; next }
{ gsub(/@VERSION@/, version); print }' "$tmpl"

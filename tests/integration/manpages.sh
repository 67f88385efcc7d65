# floodwatch(8) and floodwatch.conf(5): the conf page is generated from the
# binary's key table (`floodwatch config-keys`) and the comments of
# deploy/floodwatch.conf, so every key is in it, under its section, with its
# default; a key the table has and the file does not describe (or the other
# way round) fails the generation.  floodwatch(8) describes every command and
# option that --help shows.  Both render with man and groff without a warning.
. tests/integration/lib.sh
GEN=deploy/man/gen-conf5.sh
CONF=deploy/floodwatch.conf
version=$("$FW" --version | sed 's/^floodwatch //')

"$FW" config-keys > "$TMP/keys" || fail "floodwatch config-keys"
n=$(wc -l < "$TMP/keys")
check "config-keys lists the key table ($n keys, 5 tab-separated fields each)" \
	awk -F '\t' 'NF != 5 { exit 1 } END { exit NR < 50 }' "$TMP/keys"
check "... general.user is a string defaulting to nobody, needing a restart" \
	grep -q "^general.user	string	nobody		restart\$" "$TMP/keys"
check "... listen.batch is an integer in 1..1024" grep -q "^listen.batch	integer	64	1..1024	restart\$" "$TMP/keys"
check "... detector.min_pps is applied on reload" grep -q "^detector.min_pps	number	50	0..1e+12	reload\$" "$TMP/keys"
check "config-keys is hidden from --help" sh -c "! '$FW' --help | grep -q config-keys"

sh "$GEN" "$FW" "$CONF" deploy/man/floodwatch.conf.5.in > "$TMP/floodwatch.conf.5" 2> "$TMP/gen.err" ||
	{ cat "$TMP/gen.err"; fail "generating floodwatch.conf(5)"; }
check "generation is silent" test ! -s "$TMP/gen.err"
sed "s/@VERSION@/$version/" deploy/man/floodwatch.8.in > "$TMP/floodwatch.8"

for page in "$TMP/floodwatch.8" "$TMP/floodwatch.conf.5"; do
	name=$(basename "$page")
	groff -ww -man -z "$page" > "$TMP/groff.out" 2>&1 || fail "groff -ww -man -z $name"
	cat "$TMP/groff.out"
	check "groff -ww -man -z $name: no warning" test ! -s "$TMP/groff.out"
	# As lintian runs it.
	LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" \
	    > /dev/null 2> "$TMP/man.err" || fail "man --warnings -l $name"
	cat "$TMP/man.err"
	check "man --warnings -l $name: no warning" test ! -s "$TMP/man.err"
done
MANWIDTH=200 man -l "$TMP/floodwatch.conf.5" 2>/dev/null | col -b > "$TMP/conf5.txt"
MANWIDTH=200 man -l "$TMP/floodwatch.8" 2>/dev/null | col -b > "$TMP/fw8.txt"
check "man -l renders floodwatch.conf(5) with its version" grep -q "floodwatch $version" "$TMP/conf5.txt"

# Every key, in its own section's block of the rendered page, with its default.
missing=$(awk -F '\t' '
	FNR == NR { want[$1] = $3; next }
	/^   \[[a-z_]+\]$/ { sec = $0; gsub(/[][ ]/, "", sec); next }
	/^[A-Z]/ { sec = "" }
	sec != "" {
		line = $0; gsub(/,/, " ", line)
		n = split(line, w, /[ \t]+/)
		for (i = 1; i <= n; i++) if ((sec "." w[i]) in want) seen[sec "." w[i]] = 1
	}
	END { for (k in want) if (!(k in seen)) print k }' "$TMP/keys" "$TMP/conf5.txt")
check "every key of the table is in floodwatch.conf(5) under its section${missing:+ (missing: $missing)}" \
	test -z "$missing"
nodef=$(awk -F '\t' '$3 != "" { print $3 }' "$TMP/keys" | sort -u | while read -r d; do
	grep -qF "Default: $d;" "$TMP/conf5.txt" || grep -qF "default: $d;" "$TMP/conf5.txt" || echo "$d"; done)
check "every default is shown${nodef:+ (missing: $nodef)}" test -z "$nodef"
check "types and ranges come from the table" grep -q "Default: 64; integer, 1 to 1024\." "$TMP/conf5.txt"
nreload=$(awk -F '\t' '$5 == "reload"' "$TMP/keys" | wc -l)
nrestart=$(awk -F '\t' '$5 == "restart"' "$TMP/keys" | wc -l)
check "each key says whether a reload applies it ($nreload) or it needs a restart ($nrestart), from the table" \
	test "$(grep -c 'Applied on reload (SIGHUP)\.' "$TMP/conf5.txt"):$(grep -c 'Changing it needs a restart' "$TMP/conf5.txt")" = "$nreload:$nrestart"
listed=$(sed -n '/^# Reload: SIGHUP/,/^# Every other key/p' "$CONF" | grep -o '[a-z][a-z_]*\.[a-z][a-z_0-9]*' | sort | tr '\n' ' ')
table=$(awk -F '\t' '$5 == "reload" { print $1 }' "$TMP/keys" | sort | tr '\n' ' ')
check "the reloadable keys listed at the top of $CONF are the table's" test "$listed" = "$table"

# The generator refuses a page that would drift from the code.
awk '/^# Flows\/s floor/ { next } { print }' "$CONF" > "$TMP/nodoc.conf"
set +e; sh "$GEN" "$FW" "$TMP/nodoc.conf" deploy/man/floodwatch.conf.5.in > /dev/null 2> "$TMP/e1"; rc=$?; set -e
check "a key without its comment fails the generation (exit $rc)" test $rc -ne 0
check "... naming the key" grep -q "min_fps has no description" "$TMP/e1"
awk '{ print } /^min_fps = / { print "# Not a key the code knows."; print "bogus_key = 1" }' "$CONF" > "$TMP/extra.conf"
set +e; sh "$GEN" "$FW" "$TMP/extra.conf" deploy/man/floodwatch.conf.5.in > /dev/null 2> "$TMP/e2"; rc=$?; set -e
check "a key the table does not know fails the generation (exit $rc)" test $rc -ne 0
check "... naming it" grep -q "detector.bogus_key is not in the key table" "$TMP/e2"
grep -v '^ewma_alpha = ' "$CONF" > "$TMP/short.conf"
set +e; sh "$GEN" "$FW" "$TMP/short.conf" deploy/man/floodwatch.conf.5.in > /dev/null 2> "$TMP/e3"; rc=$?; set -e
check "a table key missing from deploy/floodwatch.conf fails the generation (exit $rc)" test $rc -ne 0
check "... naming it" grep -q "detector.ewma_alpha of the key table is not described" "$TMP/e3"

# floodwatch(8): every command of --help, every option of each command's --help.
cmds=$("$FW" --help | sed -n 's/^ *floodwatch \([a-z][a-z-]*\) .*/\1/p' | sort -u)
check "--help lists commands" test -n "$cmds"
# Options: "-c", "--set" after a space or "[" in the usage lines.
options() { grep -o -- '[[ ]--\?[a-z][a-z-]*' | sed 's/^.//' | sort -u; }
described() {
	grep -q -- "^       $1\([ ,]\|\$\)\|^       [^ ].*, $1\([ ,]\|\$\)" "$TMP/fw8.txt"
}
for o in $("$FW" --help | options); do
	check "floodwatch(8) describes the option $o of floodwatch --help" described "$o"
done
for c in $cmds; do
	check "floodwatch(8) describes the command $c" grep -q "^       $c\( \|\$\)" "$TMP/fw8.txt"
	for o in $("$FW" "$c" --help 2>&1 | options); do
		check "floodwatch(8) describes $c's option $o" described "$o"
	done
done
for s in SYNOPSIS COMMANDS OPTIONS SIGNALS "EXIT STATUS" FILES ENVIRONMENT "SEE ALSO"; do
	check "floodwatch(8) has a $s section" grep -qx "$s" "$TMP/fw8.txt"
done
for sig in SIGTERM SIGINT SIGHUP; do
	check "floodwatch(8) says what $sig does" grep -q "^       \(SIG[A-Z]*, \)*$sig" "$TMP/fw8.txt"
done
for st in 0 1 2 3; do
	check "floodwatch(8) documents exit status $st" grep -q "^       $st  *[A-Za-z]\|^       $st\$" "$TMP/fw8.txt"
done
for f in /etc/floodwatch/floodwatch.conf /var/lib/floodwatch/floodwatch.db /run/floodwatch/dnstap.sock; do
	check "floodwatch(8) lists the file $f" grep -q "^       $f" "$TMP/fw8.txt"
done
check "the unit points at both pages" grep -q '^Documentation=man:floodwatch(8) man:floodwatch.conf(5)$' \
	deploy/floodwatch.service

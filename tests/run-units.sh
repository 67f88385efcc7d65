#!/bin/sh
# Run Check unit-test binaries: tests/run-units.sh DIR NAME...
# Prints each binary's Check summary and a closing "N passed, N failed" line.
set -u
dir=$1; shift
pass=0; fail=0
for t in "$@"; do
	out=$("$dir/$t" 2>&1); rc=$?
	printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks' | sed "s|^|$t: |"
	if [ $rc -ne 0 ]; then
		printf '%s\n' "$out" | grep -vE '^(Running suite|[0-9]+%: Checks)' | head -40
	fi
	p=$(printf '%s\n' "$out" | sed -n 's/.*Checks: \([0-9]*\), Failures: \([0-9]*\), Errors: \([0-9]*\).*/\1 \2 \3/p' | tail -1)
	if [ -n "$p" ]; then
		n=${p%% *}; rest=${p#* }; f=${rest%% *}; e=${rest#* }
		pass=$((pass + n - f - e)); fail=$((fail + f + e))
	fi
	[ $rc -eq 0 ] || { [ -n "$p" ] || fail=$((fail + 1)); }
done
echo "unit ($dir): $pass passed, $fail failed"
[ $fail -eq 0 ]

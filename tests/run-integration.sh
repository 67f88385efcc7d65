#!/bin/sh
# Run every tests/integration/*.sh twice: against ./floodwatch and against
# the ASan+UBSan build.  Each script exits 0 on success.  Prints a closing
# "N passed, N failed" line.
set -u
cd "$(dirname "$0")/.."
pass=0; fail=0; failed=""
for fw in ./floodwatch build/asan/floodwatch; do
	for t in tests/integration/*.sh; do
		[ -f "$t" ] || continue
		case "$t" in */lib.sh) continue ;; esac
		name="$(basename "$t" .sh) [$fw]"
		log=$(mktemp)
		start=$(date +%s)
		if FW="$fw" ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 \
		    timeout 600 sh "$t" >"$log" 2>&1; then
			pass=$((pass + 1)); echo "PASS $name ($(( $(date +%s) - start ))s)"
		else
			fail=$((fail + 1)); failed="$failed\n  $name"
			echo "FAIL $name"; sed 's/^/    | /' "$log" | tail -40
		fi
		rm -f "$log"
	done
done
[ $fail -eq 0 ] || printf "failed:$failed\n"
echo "integration: $pass passed, $fail failed"
[ $fail -eq 0 ]

#!/usr/bin/env bash
# The whole suite: type-check, then the same test files under Node, Deno and Bun. Fails if any runtime fails
# or runs zero tests. Run it as `npm test`.
set -uo pipefail
shopt -s globstar nullglob
cd "$(dirname "$0")/.."

files=(test/**/*.test.ts)
if [ ${#files[@]} -eq 0 ]; then echo "no test files found"; exit 1; fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
status=0
declare -A passed failed

echo "== tsc --noEmit"
if ! npx tsc --noEmit -p .; then echo "type-check failed"; status=1; fi

# Node 20 finds no .ts files by itself: pass the list. A leaked socket or timer fails a test instead of hanging.
echo "== node $(node --version)"
node --import tsx --test --test-timeout=60000 --test-concurrency=1 --test-reporter=spec "${files[@]}" 2>&1 | tee "$out/node"
rc=${PIPESTATUS[0]}
passed[node]=$(grep -E '^ℹ pass [0-9]+' "$out/node" | tail -1 | awk '{print $3}')
failed[node]=$(grep -E '^ℹ fail [0-9]+' "$out/node" | tail -1 | awk '{print $3}')
[ "$rc" -ne 0 ] && status=1

echo "== deno $(npx deno --version | head -1)"
NO_COLOR=1 RUST_BACKTRACE=0 npx deno test -A --no-check "${files[@]}" 2>&1 | tee "$out/deno"
rc=${PIPESTATUS[0]}
# "ok | 3 passed (22 steps) | 0 failed": count the steps (each it()) where Deno reports them.
line=$(grep -E '^(ok|FAILED) +\| ' "$out/deno" | tail -1)
passed[deno]=$(sed -E 's/.*\| ([0-9]+) passed( \(([0-9]+) steps?\))?.*/\1 \3/' <<<"$line" | awk '{print ($2 != "" ? $2 : $1)}')
failed[deno]=$(sed -E 's/.*\| ([0-9]+) failed( \(([0-9]+) steps?\))?.*/\1 \3/' <<<"$line" | awk '{print ($2 != "" ? $2 : $1)}')
[ "$rc" -ne 0 ] && status=1

echo "== bun $(npx bun --version)"
npx bun test --timeout 60000 "${files[@]/#/./}" 2>&1 | tee "$out/bun"
rc=${PIPESTATUS[0]}
passed[bun]=$(grep -E '^ *[0-9]+ pass$' "$out/bun" | tail -1 | awk '{print $1}')
failed[bun]=$(grep -E '^ *[0-9]+ fail$' "$out/bun" | tail -1 | awk '{print $1}')
[ "$rc" -ne 0 ] && status=1

total_pass=0; total_fail=0
echo "== summary"
for rt in node deno bun; do
  p=${passed[$rt]:-0}; f=${failed[$rt]:-0}
  [[ "$p" =~ ^[0-9]+$ ]] || p=0
  [[ "$f" =~ ^[0-9]+$ ]] || f=0
  echo "$rt: $p passed, $f failed"
  if [ "$p" -eq 0 ]; then echo "$rt ran no test"; status=1; fi
  total_pass=$((total_pass + p)); total_fail=$((total_fail + f))
done
echo "$total_pass passed, $total_fail failed"
exit $status

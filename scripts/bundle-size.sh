#!/usr/bin/env bash
# The browser bundle's size budget. Prints every file the release build put in
# target/site/pkg/ (raw, gzip -9 and brotli at quality 11, computed with Node.js's
# zlib so no other tool is needed; the .gz and .br files served are cargo-leptos's
# own, made at build time), then the bytes of WASM the Member home downloads, and
# fails if they are over the budget. scripts/test.sh runs it as a step of its own
# once the release build is done.
#   bash scripts/bundle-size.sh            (after cargo leptos build --release --split --precompress)
#   PRUUF_WASM_BUDGET_BR=300000 bash scripts/bundle-size.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Brotli bytes of WASM allowed on the Member home (issue 20: set from
# the measured size with a little room, so growth is a decision, not an accident;
# 358,331 after issue 21 moved the alert page out of the main bundle).
BUDGET_BR="${PRUUF_WASM_BUDGET_BR:-370000}"

bundle_built || die "no browser bundle in target/site (cargo leptos build --release --split --precompress --frontend-only)"
node - "$ROOT/target/site/pkg" "$BUDGET_BR" <<'EOF'
const fs = require('fs');
const path = require('path');
const zlib = require('zlib');
const [dir, budget] = [process.argv[2], Number(process.argv[3])];
const files = [];
(function walk(d) {
  for (const e of fs.readdirSync(d, { withFileTypes: true })) {
    const p = path.join(d, e.name);
    if (e.isDirectory()) walk(p);
    else if (!/\.(br|gz)$/.test(e.name)) files.push(p);
  }
})(dir);
const size = (p) => {
  const raw = fs.readFileSync(p);
  return {
    name: path.relative(dir, p),
    raw: raw.length,
    gzip: zlib.gzipSync(raw, { level: 9 }).length,
    br: zlib.brotliCompressSync(raw, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: raw.length },
    }).length,
    served: fs.existsSync(p + '.br') ? fs.statSync(p + '.br').size : null,
  };
};
const rows = files.sort().map(size);
const pad = (s, n) => String(s).padStart(n);
console.log(`    ${'file'.padEnd(52)} ${pad('raw', 10)} ${pad('gzip -9', 10)} ${pad('brotli', 10)} ${pad('served .br', 11)}`);
for (const r of rows) {
  console.log(`    ${r.name.padEnd(52)} ${pad(r.raw, 10)} ${pad(r.gzip, 10)} ${pad(r.br, 10)} ${pad(r.served ?? '-', 11)}`);
}
// The Member home loads the main module only (split-off chunks, if any, are
// other pages' code, loaded when one is opened).
const main = rows.filter((r) => /^pruuf(\.[A-Za-z0-9_-]{22})?\.wasm$/.test(r.name));
if (main.length !== 1) {
  console.error(`error: expected one main WASM file in ${dir}, found ${main.length}`);
  process.exit(1);
}
const home = main[0];
const chunks = rows.filter((r) => r.name.endsWith('.wasm') && r !== home);
console.log(`    Member home WASM: ${home.raw} raw, ${home.gzip} gzip, ${home.br} brotli (budget ${budget} brotli)`);
if (chunks.length) {
  const sum = (k) => chunks.reduce((a, r) => a + r[k], 0);
  console.log(`    other pages' WASM (${chunks.length} chunks, loaded when opened): ${sum('raw')} raw, ${sum('br')} brotli`);
}
if (home.br > budget) {
  console.error(`error: the Member home's WASM is ${home.br} bytes brotli, over its budget of ${budget}`);
  process.exit(1);
}
EOF

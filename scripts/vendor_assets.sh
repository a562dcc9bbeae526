#!/usr/bin/env bash
# Copy the pinned front-end libraries (package.json / package-lock.json) into
# static/vendor/, so that no page ever loads an asset from a CDN.
#
#   bash scripts/vendor_assets.sh
#
# What it does:
#   1. `npm ci --ignore-scripts` in a throw-away temp dir (no node_modules/ is
#      ever created in the repository, no package install script ever runs);
#   2. wipes and re-creates static/vendor/<lib>/ with ONLY the dist files the
#      site uses, plus each library's licence (and the licences of third-party
#      code bundled inside those dist files);
#   3. checks that every `sourceMappingURL=` and every CSS `url(...)` in the
#      copied files points at a file that was copied too (Django's
#      ManifestStaticFilesStorage fails collectstatic otherwise);
#   4. regenerates static/vendor/MANIFEST.json and static/vendor/VENDORED.md.
#
# The output depends only on package-lock.json: running it twice gives
# byte-identical files. To upgrade a library, change its exact version in
# package.json, run `npm install --package-lock-only --ignore-scripts`, then
# this script, and review the diff.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENDOR="$ROOT/static/vendor"

for tool in node npm; do
    command -v "$tool" >/dev/null 2>&1 || { echo "vendor_assets: '$tool' is required" >&2; exit 1; }
done
for f in package.json package-lock.json; do
    [[ -f "$ROOT/$f" ]] || { echo "vendor_assets: $ROOT/$f is missing" >&2; exit 1; }
done

TMP="$(mktemp -d "${TMPDIR:-/tmp}/ehr-vendor.XXXXXX")"
trap 'rm -rf "$TMP"' EXIT

cp "$ROOT/package.json" "$ROOT/package-lock.json" "$TMP/"
(
    cd "$TMP"
    npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
)
NM="$TMP/node_modules"
COPIED="$TMP/copied.tsv" # manifest_entry <TAB> source_package <TAB> dest (relative to static/vendor)
: >"$COPIED"

# vend ENTRY PACKAGE SRC DEST
#   copy node_modules/PACKAGE/SRC to static/vendor/DEST and record it under the
#   MANIFEST entry ENTRY (PACKAGE differs from ENTRY only for licences of
#   third-party code bundled inside ENTRY's dist files).
vend() {
    local entry=$1 pkg=$2 src=$3 dest=$4
    if [[ ! -f "$NM/$pkg/$src" ]]; then
        echo "vendor_assets: $pkg has no $src (layout changed upstream?)" >&2
        exit 1
    fi
    install -D -m 0644 "$NM/$pkg/$src" "$VENDOR/$dest"
    printf '%s\t%s\t%s\n' "$entry" "$pkg" "$dest" >>"$COPIED"
}

# Start from a clean slate for everything this script owns.
mkdir -p "$VENDOR"
rm -rf "$VENDOR/bootstrap" "$VENDOR/bootstrap-icons" "$VENDOR/chart.js" \
    "$VENDOR/chartjs-adapter-date-fns" "$VENDOR/htmx" "$VENDOR/fullcalendar" \
    "$VENDOR/MANIFEST.json" "$VENDOR/VENDORED.md"

# --- Bootstrap (CSS + JS bundle, which includes Popper) ----------------------
vend bootstrap bootstrap dist/css/bootstrap.min.css         bootstrap/css/bootstrap.min.css
vend bootstrap bootstrap dist/css/bootstrap.min.css.map     bootstrap/css/bootstrap.min.css.map
vend bootstrap bootstrap dist/js/bootstrap.bundle.min.js     bootstrap/js/bootstrap.bundle.min.js
vend bootstrap bootstrap dist/js/bootstrap.bundle.min.js.map bootstrap/js/bootstrap.bundle.min.js.map
vend bootstrap bootstrap LICENSE                             bootstrap/LICENSE
vend bootstrap @popperjs/core LICENSE.md                     bootstrap/LICENSE-popperjs-core

# --- Bootstrap Icons (web font; the CSS loads fonts/ relative to itself) -----
vend bootstrap-icons bootstrap-icons font/bootstrap-icons.min.css    bootstrap-icons/font/bootstrap-icons.min.css
vend bootstrap-icons bootstrap-icons font/fonts/bootstrap-icons.woff2 bootstrap-icons/font/fonts/bootstrap-icons.woff2
vend bootstrap-icons bootstrap-icons font/fonts/bootstrap-icons.woff  bootstrap-icons/font/fonts/bootstrap-icons.woff
vend bootstrap-icons bootstrap-icons LICENSE                          bootstrap-icons/LICENSE

# --- Chart.js (UMD build: global `Chart`; bundles @kurkle/color) ------------
vend chart.js chart.js dist/chart.umd.min.js     chart.js/chart.umd.min.js
vend chart.js chart.js dist/chart.umd.min.js.map chart.js/chart.umd.min.js.map
vend chart.js chart.js LICENSE.md                chart.js/LICENSE
vend chart.js @kurkle/color LICENSE.md           chart.js/LICENSE-kurkle-color

# --- chartjs-adapter-date-fns (Chart.js time scale; bundles date-fns) ------
# The bundle build registers the date adapter on the global `Chart` (load it
# after chart.umd.min.js) and carries the date-fns functions it uses, so
# date-fns itself (installed only as the adapter's peer) is not vendored: only
# its licence, for the code inside the bundle.
vend chartjs-adapter-date-fns chartjs-adapter-date-fns dist/chartjs-adapter-date-fns.bundle.min.js \
    chartjs-adapter-date-fns/chartjs-adapter-date-fns.bundle.min.js
vend chartjs-adapter-date-fns chartjs-adapter-date-fns LICENSE.md chartjs-adapter-date-fns/LICENSE
vend chartjs-adapter-date-fns date-fns LICENSE.md chartjs-adapter-date-fns/LICENSE-date-fns

# --- htmx 2 (global `htmx`) --------------------------------------------------
vend htmx.org htmx.org dist/htmx.min.js htmx/htmx.min.js
vend htmx.org htmx.org LICENSE          htmx/LICENSE

# --- FullCalendar 7 (global build: `FullCalendar`) ---------------------------
# all/global.js bundles the core, all standard views, Preact and the parts of
# temporal-polyfill (+ temporal-utils) it needs. A theme is a separate plugin
# script that must be loaded after it, together with skeleton.css + the
# theme's CSS files.
vend fullcalendar fullcalendar all/global.js              fullcalendar/all/global.js
vend fullcalendar fullcalendar skeleton.css               fullcalendar/skeleton.css
vend fullcalendar fullcalendar themes/classic/global.js   fullcalendar/themes/classic/global.js
vend fullcalendar fullcalendar themes/classic/theme.css   fullcalendar/themes/classic/theme.css
vend fullcalendar fullcalendar themes/classic/palette.css fullcalendar/themes/classic/palette.css
vend fullcalendar fullcalendar LICENSE.md                 fullcalendar/LICENSE
vend fullcalendar @fullcalendar/core LICENSE.md           fullcalendar/LICENSE-fullcalendar-core
vend fullcalendar @full-ui/headless-calendar LICENSE.md   fullcalendar/LICENSE-full-ui-headless-calendar
vend fullcalendar preact LICENSE                          fullcalendar/LICENSE-preact
vend fullcalendar temporal-polyfill LICENSE               fullcalendar/LICENSE-temporal-polyfill
vend fullcalendar temporal-utils LICENSE                  fullcalendar/LICENSE-temporal-utils

# --- temporal-polyfill (peer dependency of FullCalendar 7) -------------------
# global.js is a classic script that installs globalThis.Temporal when the
# browser has no native Temporal.
vend temporal-polyfill temporal-polyfill global.js fullcalendar/temporal-polyfill/global.js
vend temporal-polyfill temporal-polyfill LICENSE   fullcalendar/temporal-polyfill/LICENSE
vend temporal-polyfill temporal-utils LICENSE      fullcalendar/temporal-polyfill/LICENSE-temporal-utils

# --- check references, write MANIFEST.json and VENDORED.md -------------------
node - "$ROOT" "$TMP" "$COPIED" <<'NODE'
'use strict';
const fs = require('fs');
const path = require('path');

const [root, tmp, copiedTsv] = process.argv.slice(2);
const vendor = path.join(root, 'static', 'vendor');
const lock = JSON.parse(fs.readFileSync(path.join(tmp, 'package-lock.json'), 'utf8'));
const pins = JSON.parse(fs.readFileSync(path.join(tmp, 'package.json'), 'utf8')).dependencies;

const lockEntry = (name) => {
  const e = lock.packages['node_modules/' + name];
  if (!e) throw new Error(`${name} is not in package-lock.json`);
  return e;
};
const licenseOf = (name) => {
  const e = lockEntry(name);
  if (e.license) return e.license;
  const pj = JSON.parse(fs.readFileSync(path.join(tmp, 'node_modules', name, 'package.json'), 'utf8'));
  return pj.license || 'UNKNOWN';
};

// 1. every sourceMappingURL and CSS url() must resolve to a vendored file.
const rows = fs.readFileSync(copiedTsv, 'utf8').trim().split('\n').map((l) => l.split('\t'));
const problems = [];
for (const [, , dest] of rows) {
  if (!/\.(js|css)$/.test(dest)) continue;
  const file = path.join(vendor, dest);
  const text = fs.readFileSync(file, 'utf8');
  const refs = [];
  for (const m of text.matchAll(/sourceMappingURL=([^\s*'"]+)/g)) refs.push(['map', m[1]]);
  if (dest.endsWith('.css')) {
    for (const m of text.matchAll(/url\(\s*(['"]?)(.*?)\1\s*\)/g)) refs.push(['url', m[2]]);
  }
  for (const [kind, ref] of refs) {
    if (/^(data:|#|[a-z][a-z0-9+.-]*:|\/\/)/i.test(ref)) {
      if (!/^(data:|#)/i.test(ref)) problems.push(`${dest}: ${kind} points off-site: ${ref}`);
      continue;
    }
    const target = path.join(path.dirname(file), ref.split(/[?#]/)[0]);
    if (!fs.existsSync(target)) problems.push(`${dest}: ${kind} target missing: ${ref}`);
  }
}
if (problems.length) {
  console.error('vendor_assets: broken references:\n  ' + problems.join('\n  '));
  process.exit(1);
}

// 2. MANIFEST.json
const entries = new Map();
for (const [entry, pkg, dest] of rows) {
  if (!entries.has(entry)) entries.set(entry, { files: [], bundled: new Map() });
  const e = entries.get(entry);
  e.files.push(dest);
  if (pkg !== entry) e.bundled.set(pkg, dest);
}
const manifest = [...entries.keys()].sort().map((name) => {
  const le = lockEntry(name);
  if (pins[name] !== le.version) throw new Error(`${name}: package.json pins ${pins[name]}, lock has ${le.version}`);
  const e = entries.get(name);
  const out = {
    name,
    version: le.version,
    license: licenseOf(name),
    files: e.files.slice().sort(),
    integrity: le.integrity,
  };
  if (e.bundled.size) {
    out.bundled_licenses = [...e.bundled.keys()].sort().map((b) => ({
      name: b,
      license: licenseOf(b),
      file: e.bundled.get(b),
    }));
  }
  return out;
});
fs.writeFileSync(path.join(vendor, 'MANIFEST.json'), JSON.stringify(manifest, null, 2) + '\n');

// 3. VENDORED.md
const dirOf = (m) => {
  // longest directory prefix shared by all of the entry's files
  let parts = m.files[0].split('/').slice(0, -1);
  for (const f of m.files) {
    const fp = f.split('/');
    let i = 0;
    while (i < parts.length && parts[i] === fp[i]) i++;
    parts = parts.slice(0, i);
  }
  return parts.join('/') + '/';
};
const table = manifest
  .map((m) => `| ${m.name} | ${m.version} | ${m.license} | npm \`${m.name}\` | \`${dirOf(m)}\` |`)
  .join('\n');
const md = `# Vendored front-end libraries

Generated by \`scripts/vendor_assets.sh\` — do not edit files under \`static/vendor/\` by hand.
No page may load these from a CDN (strict CSP, closed hospital networks).

| Library | Version | Licence | Source | Directory (under \`static/vendor/\`) |
| --- | --- | --- | --- | --- |
${table}

Exact file lists, licences of bundled third-party code and the npm integrity
hash of each package are in \`MANIFEST.json\`.

## Refresh / upgrade

1. Change the exact version in \`package.json\`.
2. \`npm install --package-lock-only --ignore-scripts\`
3. \`bash scripts/vendor_assets.sh\` (runs \`npm ci --ignore-scripts\` in a temp dir; never leaves \`node_modules/\` in the repo)
4. Review the diff and commit \`package.json\`, \`package-lock.json\` and \`static/vendor/\` together.

Re-running the script without changing the lock file produces identical files.

## Usage notes

- Bootstrap: \`bootstrap/css/bootstrap.min.css\`, \`bootstrap/js/bootstrap.bundle.min.js\` (includes Popper).
  Its CSS uses \`data:\` SVG images (form controls), so the CSP needs \`img-src 'self' data:\`.
- Bootstrap Icons: \`bootstrap-icons/font/bootstrap-icons.min.css\` (fonts load from \`font/fonts/\` next to it).
- Chart.js: \`chart.js/chart.umd.min.js\` (global \`Chart\`).
- chartjs-adapter-date-fns: \`chartjs-adapter-date-fns/chartjs-adapter-date-fns.bundle.min.js\`, loaded
  after Chart.js: the date adapter of Chart.js's \`time\` scale (date-fns format tokens, e.g.
  \`d MMM yyyy\`); the bundle includes the date-fns code it needs.
- htmx: \`htmx/htmx.min.js\` (global \`htmx\`). By default it injects an inline \`<style>\` for
  \`.htmx-indicator\`; under a CSP without \`'unsafe-inline'\` styles set
  \`<meta name="htmx-config" content='{"includeIndicatorStyles": false}'>\` and define those
  indicator rules in the site CSS (or set \`inlineStyleNonce\`). \`hx-on:*\`, \`js:\` values and
  \`hx-vars\` need \`'unsafe-eval'\`: avoid them (or set \`allowEval: false\`).
- FullCalendar 7: load, in this order,
  \`fullcalendar/skeleton.css\`, \`fullcalendar/themes/classic/theme.css\`, \`fullcalendar/themes/classic/palette.css\`,
  then \`fullcalendar/all/global.js\` (global \`FullCalendar\`, all standard views included),
  then \`fullcalendar/themes/classic/global.js\` (registers the theme; must come after \`all/global.js\`).
  \`fullcalendar/temporal-polyfill/global.js\` is optional for the calendar itself (the FullCalendar
  bundle carries its own Temporal code and uses native \`Temporal\` when present); load it
  before \`all/global.js\` only if page code wants \`globalThis.Temporal\` in browsers without it.
  FullCalendar 7 injects no \`<style>\` elements (it only sets inline styles through the CSSOM, which CSP allows).
`;
fs.writeFileSync(path.join(vendor, 'VENDORED.md'), md);

console.log(`vendor_assets: ${rows.length} files for ${manifest.length} packages written to static/vendor/`);
NODE

#!/bin/sh
# Builds the VS Code extension into leadpolicy-VERSION.vsix.
#   editors/vscode/build.sh [--no-install] [OUT_DIR]
#     --no-install  use the npm packages already in node_modules (after `npm ci --prefix editors/vscode`)
#     OUT_DIR       where the .vsix goes (default: editors/vscode)
# Needs node >= 20 and npm, and the npm registry (or a mirror) unless --no-install.
set -eu
install=yes
if [ "${1:-}" = "--no-install" ]; then install=no; shift; fi
out=${1:-$(dirname "$0")}
mkdir -p "$out"
out=$(cd "$out" && pwd)
cd "$(dirname "$0")"
if [ "$install" = yes ]; then
  if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
fi
if [ ! -x node_modules/.bin/vsce ]; then
  echo "build.sh: the npm packages are not installed: run without --no-install, or npm ci --prefix editors/vscode" >&2
  exit 2
fi
npm run --silent test:grammar
version=$(node -p "require('./package.json').version")
node_modules/.bin/vsce package --out "$out/leadpolicy-$version.vsix"
echo "built $out/leadpolicy-$version.vsix"

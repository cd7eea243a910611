#!/bin/sh
# Builds the VS Code extension into leadpolicy-VERSION.vsix (in this folder).
#   editors/vscode/build.sh            install the npm packages, test the grammar, package
# Needs node >= 20 and npm, and the npm registry (or a mirror) for the first run.
set -eu
cd "$(dirname "$0")"
if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run --silent test:grammar
version=$(node -p "require('./package.json').version")
npx --no-install vsce package --out "leadpolicy-$version.vsix"
echo "built $(pwd)/leadpolicy-$version.vsix"

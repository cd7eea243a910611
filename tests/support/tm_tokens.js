// The TextMate grammar's tokens, as VS Code computes them (vscode-textmate with the
// oniguruma regex engine, both installed by `npm ci --prefix editors/vscode`).
// Usage: node tm_tokens.js GRAMMAR < texts.json > tokens.json
// Input: a JSON list of texts. Output: for each text, a list of [start, end, scopes]
// (character offsets into the text; scopes innermost last, the root scope left out).
"use strict";
const fs = require("fs");
const path = require("path");

const modules = path.join(__dirname, "..", "..", "editors", "vscode", "node_modules");
const vsctm = require(path.join(modules, "vscode-textmate"));
const oniguruma = require(path.join(modules, "vscode-oniguruma"));

// Each text of standard input's JSON list as [start, end, scopes] tokens of `scope`, the grammars
// found by `loadGrammar(scope)` (and `getInjections`, as vscode-textmate's Registry takes them),
// written to standard output as JSON. Shared with tm_markdown.js.
async function tokenizeStdin(scope, loadGrammar, getInjections) {
  const wasm = fs.readFileSync(path.join(modules, "vscode-oniguruma", "release", "onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar,
    getInjections,
  });
  const grammar = await registry.loadGrammar(scope);
  const texts = JSON.parse(fs.readFileSync(0, "utf8"));
  const out = texts.map((text) => {
    const tokens = [];
    let stack = vsctm.INITIAL;
    let offset = 0;
    for (const line of text.split("\n")) {
      const result = grammar.tokenizeLine(line, stack);
      for (const t of result.tokens) {
        if (t.endIndex > t.startIndex) tokens.push([offset + t.startIndex, offset + Math.min(t.endIndex, line.length), t.scopes.slice(1)]);
      }
      stack = result.ruleStack;
      offset += line.length + 1;
    }
    return tokens;
  });
  process.stdout.write(JSON.stringify(out));
}

function runMain(work) {
  work().catch((error) => {
    process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
    process.exit(1);
  });
}

module.exports = { vsctm, tokenizeStdin, runMain };

if (require.main === module) {
  const grammarPath = process.argv[2];
  runMain(() => tokenizeStdin("source.leadpolicy", async () => vsctm.parseRawGrammar(fs.readFileSync(grammarPath, "utf8"), grammarPath)));
}

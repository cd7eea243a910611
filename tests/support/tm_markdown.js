// The scopes VS Code gives Markdown text through the extension's injection grammar
// (editors/vscode/syntaxes/markdown-codeblock.json), which embeds the leadpolicy grammar in
// fenced blocks. VS Code's own Markdown grammar is not installed here: a stand-in that matches
// nothing takes its scope (text.html.markdown), so what is highlighted is the injection's doing.
// Usage: node tm_markdown.js < texts.json > tokens.json (the output of tm_tokens.js).
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..", "..", "editors", "vscode");
const modules = path.join(root, "node_modules");
const vsctm = require(path.join(modules, "vscode-textmate"));
const oniguruma = require(path.join(modules, "vscode-oniguruma"));

const MARKDOWN = JSON.stringify({ scopeName: "text.html.markdown", patterns: [] });
const FILES = {
  "source.leadpolicy": path.join(root, "syntaxes", "leadpolicy.tmLanguage.json"),
  "markdown.leadpolicy.codeblock": path.join(root, "syntaxes", "markdown-codeblock.json"),
};

async function main() {
  const wasm = fs.readFileSync(path.join(modules, "vscode-oniguruma", "release", "onig.wasm")).buffer;
  await oniguruma.loadWASM(wasm);
  const registry = new vsctm.Registry({
    onigLib: Promise.resolve({
      createOnigScanner: (patterns) => new oniguruma.OnigScanner(patterns),
      createOnigString: (s) => new oniguruma.OnigString(s),
    }),
    loadGrammar: async (scope) => {
      if (scope === "text.html.markdown") return vsctm.parseRawGrammar(MARKDOWN, "markdown.json");
      const file = FILES[scope];
      return file ? vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file) : null;
    },
    getInjections: (scope) => (scope === "text.html.markdown" ? ["markdown.leadpolicy.codeblock"] : undefined),
  });
  const grammar = await registry.loadGrammar("text.html.markdown");
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

main().catch((error) => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + "\n");
  process.exit(1);
});

// The scopes VS Code gives Markdown text through the extension's injection grammar
// (editors/vscode/syntaxes/markdown-codeblock.json), which embeds the leadpolicy grammar in
// fenced blocks. VS Code's own Markdown grammar is not installed here: a stand-in that matches
// nothing takes its scope (text.html.markdown), so what is highlighted is the injection's doing.
// Usage: node tm_markdown.js < texts.json > tokens.json (the output of tm_tokens.js).
"use strict";
const fs = require("fs");
const path = require("path");

const root = path.join(__dirname, "..", "..", "editors", "vscode");
const { vsctm, tokenizeStdin, runMain } = require("./tm_tokens.js");

const MARKDOWN = JSON.stringify({ scopeName: "text.html.markdown", patterns: [] });
const FILES = {
  "source.leadpolicy": path.join(root, "syntaxes", "leadpolicy.tmLanguage.json"),
  "markdown.leadpolicy.codeblock": path.join(root, "syntaxes", "markdown-codeblock.json"),
};

runMain(() => tokenizeStdin(
  "text.html.markdown",
  async (scope) => {
    if (scope === "text.html.markdown") return vsctm.parseRawGrammar(MARKDOWN, "markdown.json");
    const file = FILES[scope];
    return file ? vsctm.parseRawGrammar(fs.readFileSync(file, "utf8"), file) : null;
  },
  (scope) => (scope === "text.html.markdown" ? ["markdown.leadpolicy.codeblock"] : undefined),
));

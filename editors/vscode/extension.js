// The leadpolicy extension: starts `leadpolicy lsp` (the language server, from
// the Python package: pip install 'leadpolicy[lsp]') and connects VS Code to it.
// Highlighting, brackets, comments and snippets work without the server.
"use strict";

const vscode = require("vscode");
const { LanguageClient, TransportKind } = require("vscode-languageclient/node");

let client;

function serverOptions() {
  const config = vscode.workspace.getConfiguration("leadpolicy");
  const folder = vscode.workspace.workspaceFolders && vscode.workspace.workspaceFolders[0];
  const expand = (text) => (folder ? text.replace("${workspaceFolder}", folder.uri.fsPath) : text);
  const command = expand(config.get("server.command", "leadpolicy"));
  const args = config.get("server.args", ["lsp"]).map(expand);
  return { command, args, transport: TransportKind.stdio, options: { cwd: folder ? folder.uri.fsPath : undefined } };
}

async function start(context) {
  const options = serverOptions();
  client = new LanguageClient(
    "leadpolicy",
    "leadpolicy",
    options,
    {
      documentSelector: [
        { scheme: "file", language: "leadpolicy" },
        { scheme: "untitled", language: "leadpolicy" },
      ],
      synchronize: { fileEvents: vscode.workspace.createFileSystemWatcher("**/*.{policy,tests}") },
    }
  );
  try {
    await client.start();
  } catch (error) {
    const choice = await vscode.window.showErrorMessage(
      `leadpolicy: could not start the language server (\`${options.command} ${options.args.join(" ")}\`). ` +
        "Install it with `pip install 'leadpolicy[lsp]'`, or set leadpolicy.server.command.",
      "Open settings"
    );
    if (choice === "Open settings") {
      vscode.commands.executeCommand("workbench.action.openSettings", "leadpolicy.server");
    }
  }
}

async function activate(context) {
  context.subscriptions.push(
    vscode.commands.registerCommand("leadpolicy.restartServer", async () => {
      if (client) {
        await client.stop();
      }
      await start(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (event.affectsConfiguration("leadpolicy.server") && client) {
        await client.stop();
        await start(context);
      }
    })
  );
  await start(context);
}

async function deactivate() {
  if (client) {
    await client.stop();
  }
}

module.exports = { activate, deactivate };

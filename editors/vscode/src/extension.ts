// The netspec extension's language client: starts `netspec lsp` for .net files and starts it
// again when it stops (a crash, a killed process), within a budget (restarts.ts).
import * as vscode from 'vscode';
import type {
  CloseHandlerResult,
  ErrorHandler,
  ErrorHandlerResult,
  LanguageClientOptions,
  ServerOptions,
} from 'vscode-languageclient/node';
import { CloseAction, ErrorAction, LanguageClient } from 'vscode-languageclient/node';
import { initializationOptions, RESTARTING_SETTINGS } from './initialization';
import { RestartBudget, RESTART_WINDOW_MS } from './restarts';
import { serverCommand } from './server-command';

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  const output = vscode.window.createOutputChannel('netspec');
  const settings = () => vscode.workspace.getConfiguration('netspec');
  const budget = new RestartBudget(settings().get<number>('server.maxRestarts', 5));

  const start = async () => {
    const folders = (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath);
    const { command, from } = serverCommand(settings().get<string>('server.path', ''), folders);
    output.appendLine(`starting ${command} lsp (from the ${from})`);
    const run = { command, args: ['lsp', '--stdio'], options: { cwd: folders[0] } };
    const server: ServerOptions = { run, debug: run };
    const options: LanguageClientOptions = {
      documentSelector: [{ scheme: 'file', language: 'netspec' }],
      outputChannel: output,
      errorHandler: restartingHandler(budget, output),
      initializationOptions: initializationOptions((key) => settings().get(key)),
    };
    client = new LanguageClient('netspec', 'netspec language server', server, options);
    try {
      await client.start();
    } catch (e) {
      void vscode.window.showErrorMessage(
        `netspec: could not start "${command} lsp" (${(e as Error).message}). Install netspec ` +
          '(npm install -g netspec, or in the workspace) or set "netspec.server.path".',
      );
    }
  };

  context.subscriptions.push(
    output,
    vscode.commands.registerCommand('netspec.restartServer', async () => {
      budget.reset();
      await client?.stop().catch(() => undefined);
      await start();
    }),
    vscode.workspace.onDidChangeConfiguration(async (e) => {
      if (!RESTARTING_SETTINGS.some((setting) => e.affectsConfiguration(setting))) return;
      await client?.stop().catch(() => undefined);
      await start();
    }),
  );
  await start();
}

export async function deactivate(): Promise<void> {
  await client?.stop();
}

/**
 * The client's default handler gives up after 4 restarts in 3 minutes and says little; this one
 * says when the server stopped, restarts it within the budget, and otherwise tells the user how
 * to start it again.
 */
function restartingHandler(budget: RestartBudget, output: vscode.OutputChannel): ErrorHandler {
  return {
    error: (): ErrorHandlerResult => ({ action: ErrorAction.Continue }),
    closed: (): CloseHandlerResult => {
      const again = budget.stopped(Date.now());
      const minutes = RESTART_WINDOW_MS / 60_000;
      if (again) {
        output.appendLine(`the language server stopped; starting it again (${budget.recent})`);
        return { action: CloseAction.Restart, handled: true };
      }
      return {
        action: CloseAction.DoNotRestart,
        message:
          `The netspec language server stopped ${budget.recent} times in ${minutes} minutes and ` +
          'was not started again. Run "netspec: Restart the language server" to start it.',
      };
    },
  };
}

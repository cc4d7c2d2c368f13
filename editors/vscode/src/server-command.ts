// Which `netspec` runs the language server: the one the setting names, else the workspace's
// install (node_modules/.bin/netspec, as `npm install netspec` puts it), else `netspec` on the
// PATH (a global `npm install -g`). No VS Code API here, so that it is tested on its own.
import { existsSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';

export interface ServerCommand {
  command: string;
  /** Where the command was found, for the output channel. */
  from: 'setting' | 'workspace' | 'PATH';
}

export function serverCommand(setting: string, workspaceFolders: readonly string[]): ServerCommand {
  const configured = setting.trim();
  if (configured) {
    // A relative setting (`./node_modules/.bin/netspec`, `bin/netspec.js`) is relative to the
    // first workspace folder, as VS Code's own path settings are.
    const command =
      isAbsolute(configured) || !configured.includes('/') || workspaceFolders.length === 0
        ? configured
        : join(workspaceFolders[0], configured);
    return { command, from: 'setting' };
  }
  for (const folder of workspaceFolders) {
    const local = join(folder, 'node_modules', '.bin', 'netspec');
    if (existsSync(local)) return { command: local, from: 'workspace' };
  }
  return { command: 'netspec', from: 'PATH' };
}

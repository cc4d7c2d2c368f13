// The VS Code extension beyond its grammar: its snippets expand to a spec that checks cleanly,
// it finds the `netspec` to run, it restarts a server that stopped within its budget, and
// `npm run vsix` packages it offline.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkSpec } from '../../compiler/index.js';
import {
  initializationOptions,
  RESTARTING_SETTINGS,
} from '../../editors/vscode/src/initialization.js';
import { RestartBudget } from '../../editors/vscode/src/restarts.js';
import { serverCommand } from '../../editors/vscode/src/server-command.js';
import { PYTHON, ROOT, tempDir } from '../helpers/spec.js';

const EXTENSION = join(ROOT, 'editors/vscode');

/** A snippet body with each placeholder replaced by its default text. */
function expand(body: string[]): string {
  return body
    .join('\n')
    .replace(/\$\{\d+:([^}]*)\}/g, '$1')
    .replace(/\$\d+/g, '');
}

describe('the VS Code extension', () => {
  it('has snippets that together make a spec without diagnostics', () => {
    const snippets = JSON.parse(readFileSync(join(EXTENSION, 'snippets/netspec.json'), 'utf8'));
    expect(Object.keys(snippets).sort()).toEqual([
      'block',
      'dataset',
      'network',
      'train',
      'transform',
    ]);
    const text = Object.values(snippets as Record<string, { body: string[] }>)
      .map((s) => expand(s.body))
      .join('\n');
    const { diagnostics } = checkSpec(text, 'snippets.net');
    expect(diagnostics.map((d) => `${d.span.start.line}: ${d.message}`)).toEqual([]);
  });

  it('runs the netspec the setting names, else the workspace install, else the PATH', () => {
    const workspace = tempDir();
    expect(serverCommand('', [workspace])).toEqual({ command: 'netspec', from: 'PATH' });
    const local = join(workspace, 'node_modules/.bin/netspec');
    mkdirSync(join(workspace, 'node_modules/.bin'), { recursive: true });
    writeFileSync(local, '#!/bin/sh\n');
    chmodSync(local, 0o755);
    expect(serverCommand('', ['/nowhere', workspace])).toEqual({
      command: local,
      from: 'workspace',
    });
    expect(serverCommand(' /opt/netspec/bin/netspec ', [workspace])).toEqual({
      command: '/opt/netspec/bin/netspec',
      from: 'setting',
    });
    expect(serverCommand('bin/netspec.js', [workspace]).command).toBe(
      join(workspace, 'bin/netspec.js'),
    );
    expect(serverCommand('netspec-dev', [workspace]).command).toBe('netspec-dev');
  });

  it('passes readOutsideWorkspace to the server, off unless a user setting turns it on', () => {
    const manifest = JSON.parse(readFileSync(join(EXTENSION, 'package.json'), 'utf8'));
    const setting = manifest.contributes.configuration.properties['netspec.readOutsideWorkspace'];
    expect(setting).toMatchObject({ type: 'boolean', default: false });
    // Not a workspace setting: an untrusted repository must not turn it on for itself.
    expect(setting.scope).toBe('machine');
    const options = (value: unknown) =>
      initializationOptions((key) => (key === 'readOutsideWorkspace' ? value : undefined));
    expect(options(undefined)).toEqual({ readOutsideWorkspace: false });
    expect(options(false)).toEqual({ readOutsideWorkspace: false });
    expect(options('true')).toEqual({ readOutsideWorkspace: false });
    expect(options(true)).toEqual({ readOutsideWorkspace: true });
    // The server reads it once, when it starts: changing it starts the server again.
    expect(RESTARTING_SETTINGS).toContain('netspec.readOutsideWorkspace');
    const extension = readFileSync(join(EXTENSION, 'src/extension.ts'), 'utf8');
    expect(extension).toContain('initializationOptions: initializationOptions(');
  });

  it('restarts a server that stopped, up to the budget within 3 minutes', () => {
    const budget = new RestartBudget(3);
    const minute = 60_000;
    expect([0, 1, 2].map((t) => budget.stopped(t * minute))).toEqual([true, true, true]);
    // A fourth stop within 3 minutes of the first: not again.
    expect(budget.stopped(2.5 * minute)).toBe(false);
    // Stops older than the window no longer count.
    expect(budget.stopped(6 * minute)).toBe(true);
    budget.reset();
    expect(budget.recent).toBe(0);
  });

  it('packages a .vsix offline with npm run vsix', () => {
    const build = spawnSync(process.execPath, [join(EXTENSION, 'build.mjs')], {
      cwd: ROOT,
      encoding: 'utf8',
    });
    expect(build.status, build.stderr).toBe(0);
    const vsix = join(ROOT, 'dist/netspec-0.1.0.vsix');
    const list = spawnSync(
      PYTHON,
      [
        '-c',
        'import sys, zipfile; print("\\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))',
        vsix,
      ],
      { encoding: 'utf8' },
    );
    expect(list.stdout.split('\n').filter(Boolean).sort()).toEqual([
      '[Content_Types].xml',
      'extension.vsixmanifest',
      'extension/language-configuration.json',
      'extension/out/extension.js',
      'extension/package.json',
      'extension/readme.md',
      'extension/snippets/netspec.json',
      'extension/syntaxes/netspec.tmLanguage.json',
    ]);
  });
});

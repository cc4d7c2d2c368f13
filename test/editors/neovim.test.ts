// A real Neovim (Debian's `neovim`, headless) with editors/nvim/netspec.lua, the setup
// docs/editors.md describes, against `netspec lsp`: opening a spec gives its filetype and the
// server's diagnostics, and completion and hover answer through the built-in LSP client.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT, tempDir } from '../helpers/spec.js';

const NVIM = '/usr/bin/nvim';

const SPEC = `network MLP(hidden = 64) {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, hidden) -> Relu -> Linear(hidden, 10)
  x -> 
}
`;

// Runs in Neovim: loads the setup, opens the spec, waits for diagnostics, then asks for
// completion after the empty `x -> ` (line 4) and hover on `Linear` (line 3), and writes what
// came back as JSON to `out`. `setup` is Lua run before the setup loads (the user's init.lua).
const luaDriver = (spec: string, out: string, setup = '') => `
local spec, out = ${JSON.stringify(spec)}, ${JSON.stringify(out)}
${setup}
vim.g.netspec_command = { ${JSON.stringify(process.execPath)}, ${JSON.stringify(join(ROOT, 'bin/netspec.js'))} }
dofile(${JSON.stringify(join(ROOT, 'editors/nvim/netspec.lua'))})
vim.cmd('edit ' .. spec)
local buf = vim.api.nvim_get_current_buf()
local result = { filetype = vim.bo[buf].filetype }
vim.wait(30000, function() return #vim.diagnostic.get(buf) > 0 end, 50)
result.diagnostics = {}
for _, d in ipairs(vim.diagnostic.get(buf)) do
  table.insert(result.diagnostics, { line = d.lnum + 1, message = d.message })
end
local function ask(method, line, character)
  local params = { textDocument = vim.lsp.util.make_text_document_params(buf),
                   position = { line = line, character = character } }
  local answers = vim.lsp.buf_request_sync(buf, method, params, 20000) or {}
  for _, answer in pairs(answers) do
    if answer.result then return answer.result end
  end
  return vim.NIL
end
local completion = ask('textDocument/completion', 3, 7)
result.completion = {}
for _, item in ipairs(completion.items or completion) do
  table.insert(result.completion, item.label)
end
result.hover = ask('textDocument/hover', 2, 19)
local file = io.open(out, 'w')
file:write(vim.fn.json_encode(result))
file:close()
vim.cmd('qa!')
`;

interface NeovimResult {
  filetype: string;
  diagnostics: { line: number; message: string }[];
  completion: string[];
  hover: { contents: { value: string } };
}

/** Runs the driver in a headless Neovim on `spec` (in `dir`) and returns what it wrote. */
function runNeovim(dir: string, spec: string, setup = ''): NeovimResult {
  const driver = join(dir, 'driver.lua');
  const out = join(dir, 'result.json');
  writeFileSync(driver, luaDriver(spec, out, setup));
  rmSync(out, { force: true });
  // Neovim's state (the LSP log, shada) goes to the test's folder, not the user's home.
  const xdg = Object.fromEntries(
    ['XDG_CONFIG_HOME', 'XDG_DATA_HOME', 'XDG_STATE_HOME', 'XDG_CACHE_HOME'].map((name) => {
      mkdirSync(join(dir, name), { recursive: true });
      return [name, join(dir, name)];
    }),
  );
  const run = spawnSync(NVIM, ['--headless', '--clean', '-c', `luafile ${driver}`, '-c', 'qa!'], {
    cwd: dir,
    encoding: 'utf8',
    timeout: 90_000,
    env: { ...process.env, ...xdg },
  });
  expect(run.error, `${NVIM} (Debian's neovim; .ci/run installs it)`).toBeUndefined();
  expect(existsSync(out), run.stderr + run.stdout).toBe(true);
  return JSON.parse(readFileSync(out, 'utf8')) as NeovimResult;
}

describe('Neovim with the documented setup', () => {
  it('gets diagnostics, completion and hover from netspec lsp', () => {
    const dir = tempDir('netspec-nvim-');
    const spec = join(dir, 'model.net');
    writeFileSync(spec, SPEC);
    const result = runNeovim(dir, spec);
    expect(result.filetype).toBe('netspec');
    expect(result.diagnostics.some((d) => d.line === 3 && d.message.includes('Relu'))).toBe(true);
    expect(result.completion).toContain('Conv2d');
    expect(result.hover.contents.value).toContain('Linear');
  });

  it('lets documents read outside their folder only with netspec_read_outside_workspace', () => {
    const dir = tempDir('netspec-nvim-');
    mkdirSync(join(dir, 'project'));
    mkdirSync(join(dir, 'home'));
    writeFileSync(join(dir, 'home/secret.net'), 'block Secret {\n  input x\n  x -> ReLU\n}\n');
    const spec = join(dir, 'project/model.net');
    writeFileSync(spec, `import "../home/secret.net"\n${SPEC}`);
    const outside = (result: NeovimResult) =>
      result.diagnostics.some((d) => d.line === 1 && d.message.includes('outside'));
    expect(outside(runNeovim(dir, spec))).toBe(true);
    expect(outside(runNeovim(dir, spec, 'vim.g.netspec_read_outside_workspace = true'))).toBe(
      false,
    );
  });
});

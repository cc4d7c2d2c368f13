-- netspec for Neovim (0.7 or later): .net files get the filetype `netspec`, and `netspec lsp`
-- serves them through Neovim's built-in LSP client (diagnostics, completion with <C-x><C-o>,
-- hover with K).
--
-- Install: copy this file to ~/.config/nvim/plugin/netspec.lua (or `dofile` it from init.lua).
-- It runs the workspace's netspec (node_modules/.bin/netspec above the file), else `netspec`
-- on the PATH (`npm install -g`); set vim.g.netspec_command = { 'node', '/path/to/bin/netspec.js' }
-- before it loads to run another. Documents make the server read files only under their
-- workspace; set vim.g.netspec_read_outside_workspace = true to let them read anywhere.

local function command_for(dir)
  if vim.g.netspec_command then
    return vim.g.netspec_command
  end
  local found = vim.fn.findfile('node_modules/.bin/netspec', dir .. ';')
  if found ~= '' then
    return { vim.fn.fnamemodify(found, ':p'), 'lsp' }
  end
  return { 'netspec', 'lsp' }
end

local clients = {} -- one server per command, on Neovims without vim.lsp.start

local function attach(buf)
  local dir = vim.fn.fnamemodify(vim.api.nvim_buf_get_name(buf), ':p:h')
  local cmd = command_for(dir)
  if cmd[#cmd] ~= 'lsp' then
    cmd = vim.list_extend(vim.deepcopy(cmd), { 'lsp' })
  end
  local config = {
    name = 'netspec',
    cmd = cmd,
    root_dir = dir,
    init_options = { readOutsideWorkspace = vim.g.netspec_read_outside_workspace == true },
  }
  if vim.lsp.start then -- Neovim 0.8 and later: reuses a running client with the same name and root
    vim.lsp.start(config, { bufnr = buf })
    return
  end
  local key = table.concat(cmd, ' ')
  if not clients[key] or vim.lsp.client_is_stopped(clients[key]) then
    clients[key] = vim.lsp.start_client(config)
  end
  vim.lsp.buf_attach_client(buf, clients[key])
end

vim.api.nvim_create_autocmd({ 'BufRead', 'BufNewFile' }, {
  pattern = '*.net',
  callback = function(args)
    vim.bo[args.buf].filetype = 'netspec'
  end,
})

vim.api.nvim_create_autocmd('FileType', {
  pattern = 'netspec',
  callback = function(args)
    vim.bo[args.buf].commentstring = '# %s'
    vim.bo[args.buf].comments = ':#'
    vim.bo[args.buf].omnifunc = 'v:lua.vim.lsp.omnifunc'
    vim.keymap.set('n', 'K', vim.lsp.buf.hover, { buffer = args.buf })
    attach(args.buf)
  end,
})

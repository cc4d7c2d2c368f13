#!/usr/bin/env node
// The CLI is bundled into dist/cli/ by `npm run build` (run by `npm ci` through `prepare`, and by
// `npm pack` before it packs).
import '../dist/cli/netspec.js';

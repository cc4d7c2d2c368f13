// The bench's PyTorch peer says which BLAS it really calls, and a ratio against anything but
// OpenBLAS says so in its own line.
import { realpathSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Comparison } from '../../bench/peer.js';
import { comparisonText, findPeer, peerLine } from '../../bench/peer.js';

const comparison = (kind: Comparison['blas']['kind']): Comparison => ({
  netspec: [300, 310, 290],
  peer: [100, 100, 100],
  byEnvironment: { 'as set': [100, 100, 100] },
  ratios: [3, 3.1, 2.9],
  blas: { kind, library: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3' },
});

describe('the PyTorch peer', () => {
  it('names the library libblas.so.3 resolves to on this machine, as its process mapped it', () => {
    const peer = findPeer(1)!;
    expect(peer, 'python3-torch is installed by .ci/run').toBeDefined();
    const resolved = realpathSync('/usr/lib/x86_64-linux-gnu/libblas.so.3');
    expect(realpathSync(peer.blas.library!)).toBe(resolved);
    expect(peer.blas.kind).toBe(resolved.includes('openblas') ? 'openblas' : 'reference');
    expect(peerLine(peer)).toContain(peer.blas.library!);
  });

  it('labels a ratio against the reference BLAS in the same line, and only that one', () => {
    expect(comparisonText(comparison('reference'))).toMatch(
      /= 3\.00 \(2\.90–3\.10\)× AGAINST PyTorch ON THE REFERENCE BLAS PyTorch/,
    );
    expect(comparisonText(comparison('openblas'))).not.toMatch(/AGAINST/);
    expect(
      peerLine({ torch: '1.13', threads: 2, environments: [], blas: comparison('reference').blas }),
    ).toMatch(/REFERENCE BLAS .*not a fair peer/);
  });
});

// PyTorch module paths for the nodes of an imported ONNX graph.
//
// torch.onnx.export names nodes by module scope (`/layer1/layer1.0/conv1/Conv`) and initializers
// by state_dict name (`layer1.0.conv1.weight`). The initializer name is the most reliable source
// for layers with weights; the node scope serves layers without; exports with generated names
// (`onnx::Conv_193`, `Conv_0`) fall back to `<kind><k>` as in spec networks.
import type { OnnxNode } from '../onnx/read.js';

const PARAM_SUFFIXES = ['.weight', '.bias', '.running_mean', '.running_var'];

/** `layer1.0.conv1.weight` → `layer1.0.conv1`; a generated name → undefined. */
export function pathFromParameter(name: string): string | undefined {
  if (name.startsWith('onnx::') || !/^[A-Za-z_][\w.]*$/.test(name)) return undefined;
  const suffix = PARAM_SUFFIXES.find((s) => name.endsWith(s));
  return suffix ? name.slice(0, -suffix.length) : undefined;
}

/**
 * `/layer1/layer1.0/relu/Relu` → `layer1.0.relu`: each scope segment either repeats the path so
 * far as a prefix (`layer1.0` inside `layer1`) or adds one attribute name. Undefined for
 * generated names (`Relu_3`) and root-level nodes (`/Flatten`).
 */
export function pathFromScope(node: OnnxNode): string | undefined {
  if (!node.name.startsWith('/')) return undefined;
  const segments = node.name.split('/').filter(Boolean).slice(0, -1);
  if (segments.length === 0) return undefined;
  let path = '';
  for (const segment of segments) {
    path = path && !segment.startsWith(`${path}.`) ? `${path}.${segment}` : segment;
  }
  return /^[A-Za-z_][\w.]*$/.test(path) ? path : undefined;
}

/** Hands out unique paths: the preferred one when free, else `<kind><k>`. */
export class PathNamer {
  private used = new Set<string>();
  private counts = new Map<string, number>();

  name(preferred: string | undefined, kind: string): string {
    if (preferred && !this.used.has(preferred)) return this.claim(preferred);
    const base = kind.toLowerCase();
    let candidate: string;
    do {
      const k = (this.counts.get(base) ?? 0) + 1;
      this.counts.set(base, k);
      candidate = `${base}${k}`;
    } while (this.used.has(candidate));
    return this.claim(candidate);
  }

  private claim(path: string): string {
    this.used.add(path);
    return path;
  }
}

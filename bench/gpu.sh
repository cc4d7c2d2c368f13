#!/usr/bin/env bash
# Training images/s on a GPU, side by side: netspec --device webgpu, PyTorch CUDA (fp32, eager)
# and netspec on the CPU, for the seed CNN, ResNet18 from scratch (28×28, batch 256) and the
# ResNet18 finetune. For a machine that has an NVIDIA GPU but no network (the device tool's):
#
#   here, once:   bash bench/gpu.sh prepare     # .gpu/: dist, the linux-x64 runtime modules, data
#                 (and the Vulkan loaders: /work/.library/device/README.md, into .gl/)
#   there:        run with carry [".gpu", ".gl"]:  bash bench/gpu.sh
#
# It stops with a message saying what is missing: the prepared folder, the Vulkan loader, a
# WebGPU adapter, PyTorch with CUDA.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES=${IMAGES:-2560}

fail() { echo "bench/gpu.sh: $*" >&2; exit 1; }

prepare() {
  [ -d dist ] || fail "build first: npm run build"
  rm -rf .gpu && mkdir -p .gpu/data/fashion-mnist .gpu/stage
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>"$(git rev-parse --git-path info/exclude)"
  cp -r dist .gpu/dist
  # Production modules without other platforms' binaries: the whole tree must stay under the
  # device tool's 64 MiB.
  cp package.json package-lock.json .npmrc .gpu/stage/
  (cd .gpu/stage && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
  find .gpu/stage/node_modules/onnxruntime-node/bin -mindepth 2 -maxdepth 3 -type d \
    ! -path '*/linux' ! -path '*/linux/x64' -exec rm -rf {} + 2>/dev/null || true
  mv .gpu/stage/node_modules .gpu/node_modules && rm -rf .gpu/stage
  node --input-type=module -e "
    import { readFileSync, writeFileSync } from 'node:fs';
    import { gunzipSync, gzipSync } from 'node:zlib';
    const [src, n] = ['/usr/share/datasets/fashion-mnist', ${IMAGES}];
    for (const [kind, head, size] of [['images-idx3', 16, 784], ['labels-idx1', 8, 1]])
      for (const split of ['train', 't10k']) {
        const raw = gunzipSync(readFileSync(src + '/' + split + '-' + kind + '-ubyte.gz'));
        const header = Buffer.from(raw.subarray(0, head));
        header.writeUInt32BE(n, 4);
        const body = raw.subarray(head, head + n * size);
        writeFileSync('.gpu/data/fashion-mnist/' + split + '-' + kind + '-ubyte.gz', gzipSync(Buffer.concat([header, body])));
      }"
  du -sh .gpu
}

[ "${1:-}" = prepare ] && { prepare; exit 0; }

[ -d .gpu/node_modules ] && [ -d .gpu/dist ] || fail "no .gpu/ here: run 'bash bench/gpu.sh prepare' where npm works, and carry .gpu"
if ! ldconfig -p | grep -q libvulkan.so.1; then
  compgen -G '.gl/*.deb' >/dev/null || fail "no libvulkan.so.1 and no .gl/*.deb to unpack (see /work/.library/device/README.md)"
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$ICD" ] && export VK_DRIVER_FILES=$ICD
export NODE_PATH="$PWD/.gpu/node_modules"
rm -rf node_modules dist && ln -s .gpu/node_modules node_modules && ln -s .gpu/dist dist
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true

# The finetune's backbone: torchvision's ResNet18 exported where PyTorch is (random weights
# time the same as pretrained ones), beside specs/resnet18-finetune.net, which names it.
FIXTURE=specs
if [ ! -f "$FIXTURE/resnet18.onnx" ]; then
  python3 -c "
import torch, torchvision
m = torchvision.models.resnet18().eval()
torch.onnx.export(m, torch.randn(1, 3, 224, 224), '$FIXTURE/resnet18.onnx', opset_version=17,
                  input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0: 'N'}})
" || fail "could not export ResNet18 with torchvision for the finetune"
fi

echo "netspec, WebGPU:"
node dist/bench/gpu.js webgpu "$IMAGES" .gpu/data | tee .gpu/webgpu.jsonl \
  || fail "netspec on WebGPU failed (is there an adapter? node bin/netspec.js devices says why not)"
echo "netspec, CPU:"
node dist/bench/gpu.js cpu "$IMAGES" .gpu/data | tee .gpu/cpu.jsonl
echo "PyTorch, CUDA (fp32, eager):"
python3 -c 'import torch; assert torch.cuda.is_available()' || fail "PyTorch has no CUDA here"
for w in "cnn 64" "resnet18 256" "finetune 64"; do
  set -- $w
  NETSPEC_BENCH_TORCH_DEVICE=cuda NETSPEC_BENCH_BATCH=$2 \
    python3 "bench/pytorch_$1.py" .gpu/data/fashion-mnist 16 "$IMAGES" | tee -a .gpu/torch.jsonl
  echo
done
node --input-type=module -e "
  import { readFileSync } from 'node:fs';
  const lines = (f) => readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map(JSON.parse);
  const [gpu, cpu, torch] = ['.gpu/webgpu.jsonl', '.gpu/cpu.jsonl', '.gpu/torch.jsonl'].map(lines);
  console.log('workload | netspec webgpu img/s | PyTorch CUDA img/s | ratio | netspec CPU img/s | webgpu/CPU');
  gpu.forEach((g, i) => {
    const t = torch[i].images_per_second, c = cpu[i].imagesPerSecond, r = (x) => x.toFixed(2);
    console.log([g.workload, Math.round(g.imagesPerSecond), Math.round(t), r(g.imagesPerSecond / t),
      Math.round(c), r(g.imagesPerSecond / c)].join(' | '));
  });"

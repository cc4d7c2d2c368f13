#!/usr/bin/env bash
# Training images/s on a GPU, side by side: netspec --device webgpu, PyTorch CUDA (fp32, eager)
# and netspec on the CPU, for the seed CNN, ResNet18 from scratch (28×28, batch 256) and the
# ResNet18 finetune. For a machine that has an NVIDIA GPU but no network (the device tool's):
#
#   here, once:   npm run build && bash bench/gpu.sh prepare
#                 # .gpu/: this Node, dist and the linux-x64 runtime modules packed, a data subset
#                 (and the Vulkan loaders: /work/.library/device/README.md, into .gl/)
#   there:        run with carry [".gpu", ".gl"]:  bash bench/gpu.sh
#
# Each part says what it lacks (the Vulkan loader, a WebGPU adapter, PyTorch with CUDA) and the
# next one runs; the table at the end shows what each measured.
set -euo pipefail
cd "$(dirname "$0")/.."
IMAGES=${IMAGES:-10240}
CPU_IMAGES=${CPU_IMAGES:-5120}

fail() { echo "bench/gpu.sh: $*" >&2; exit 1; }

prepare() {
  [ -d dist/cli ] || fail "build first: npm run build"
  rm -rf .gpu && mkdir -p .gpu/data/fashion-mnist .gpu/stage/pack
  grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >>"$(git rev-parse --git-path info/exclude)"
  # The device machine has no Node: this one's binary travels with dist and the production
  # modules (without other platforms' binaries, protobufjs's CLI or types), packed with xz to
  # stay under the device tool's 64 MiB; Python's lzma unpacks it there.
  mkdir -p .gpu/stage/pack/dist && cp -r dist/cli .gpu/stage/pack/dist/cli
  # bench/gpu.ts bundled as the CLI is (esbuild.config.js), with the data loader's worker beside
  # it: the packages the bundle holds are development dependencies, not carried.
  npx esbuild gpu=bench/gpu.ts worker=runtime/data/worker.ts --bundle --platform=node \
    --format=esm --target=node20 --outdir=.gpu/stage/pack/dist/bench --log-level=warning \
    --external:onnxruntime-node --external:onnx-proto --define:NETSPEC_BUNDLED=true \
    --banner:js="import { createRequire as netspecRequire } from 'node:module'; const require = netspecRequire(import.meta.url);"
  cp "$(readlink -f "$(command -v node)")" .gpu/stage/pack/node
  cp package.json package-lock.json .gpu/stage/
  [ -f .npmrc ] && cp .npmrc .gpu/stage/
  (cd .gpu/stage && npm ci --omit=dev --ignore-scripts --no-audit --no-fund >/dev/null)
  find .gpu/stage/node_modules/onnxruntime-node/bin -mindepth 2 -maxdepth 3 -type d \
    ! -path '*/linux' ! -path '*/linux/x64' -exec rm -rf {} + 2>/dev/null || true
  rm -rf .gpu/stage/node_modules/protobufjs/cli .gpu/stage/node_modules/@types
  mv .gpu/stage/node_modules .gpu/stage/pack/node_modules
  tar -C .gpu/stage/pack -cf - . | xz -T2 -6 >.gpu/pack.tar.xz && rm -rf .gpu/stage
  node --input-type=module -e "
    import { readFileSync, writeFileSync } from 'node:fs';
    import { gunzipSync, gzipSync } from 'node:zlib';
    const [src, n] = ['/usr/share/datasets/fashion-mnist', ${IMAGES}];
    for (const [kind, head, size] of [['images-idx3', 16, 784], ['labels-idx1', 8, 1]])
      for (const split of ['train', 't10k']) {
        const raw = gunzipSync(readFileSync(src + '/' + split + '-' + kind + '-ubyte.gz'));
        const count = Math.min(n, raw.readUInt32BE(4));
        const header = Buffer.from(raw.subarray(0, head));
        header.writeUInt32BE(count, 4);
        const body = raw.subarray(head, head + count * size);
        writeFileSync('.gpu/data/fashion-mnist/' + split + '-' + kind + '-ubyte.gz', gzipSync(Buffer.concat([header, body])));
      }"
  du -sh .gpu
}

[ "${1:-}" = prepare ] && { prepare; exit 0; }

[ -f .gpu/pack.tar.xz ] || fail "no .gpu/ here: run 'bash bench/gpu.sh prepare' where npm works, and carry .gpu"
[ -x .gpu/pack/node ] || python3 -c "import tarfile; tarfile.open('.gpu/pack.tar.xz').extractall('.gpu/pack')"
export PATH="$PWD/.gpu/pack:$PATH"
if ! ldconfig -p | grep -q libvulkan.so.1; then
  compgen -G '.gl/*.deb' >/dev/null || fail "no libvulkan.so.1 and no .gl/*.deb to unpack (see /work/.library/device/README.md)"
  for f in .gl/*.deb; do dpkg -x "$f" /; done
  ldconfig
fi
ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$ICD" ] && export VK_DRIVER_FILES=$ICD
rm -rf node_modules dist && ln -s .gpu/pack/node_modules node_modules && cp -r .gpu/pack/dist dist
nvidia-smi --query-gpu=name,driver_version --format=csv,noheader || true
echo "netspec devices:"
node bin/netspec.js devices || ls /usr/local/nvidia/share/vulkan/icd.d /usr/share/vulkan/icd.d /etc/vulkan/icd.d 2>/dev/null || true

# The finetune's backbone: torchvision's ResNet18 exported where PyTorch is (random weights
# time the same as pretrained ones), beside specs/resnet18-finetune.net, which names it. Batch
# norm stays a node, as in the PyTorch peer, rather than folded into the convolutions.
if [ ! -f specs/resnet18.onnx ]; then
  python3 -c "
import torch, torchvision
m = torchvision.models.resnet18().eval()
torch.onnx.export(m, torch.randn(1, 3, 224, 224), 'specs/resnet18.onnx', opset_version=17, dynamo=False,
                  input_names=['input'], output_names=['logits'], dynamic_axes={'input': {0: 'N'}},
                  training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False)
" || echo "bench/gpu.sh: could not export ResNet18 with torchvision: the finetune will fail" >&2
fi

# Each part runs even where an earlier one failed, so one call brings back all it can.
echo "netspec, WebGPU ($IMAGES images):"
timeout 240 node dist/bench/gpu.js webgpu "$IMAGES" .gpu/data | tee .gpu/webgpu.jsonl \
  || echo "netspec on WebGPU failed (node bin/netspec.js devices, above, says why where there is no adapter)"
echo "PyTorch, CUDA (fp32, eager; $IMAGES images):"
if python3 -c 'import torch; assert torch.cuda.is_available()'; then
  for w in "cnn 64" "resnet18 256" "finetune 64"; do
    set -- $w
    NETSPEC_BENCH_TORCH_DEVICE=cuda NETSPEC_BENCH_BATCH=$2 \
      python3 "bench/pytorch_$1.py" .gpu/data/fashion-mnist 16 "$IMAGES" | tee -a .gpu/torch.jsonl \
      || echo "{\"failed\": \"$1\"}" >>.gpu/torch.jsonl
    echo | tee -a .gpu/torch.jsonl
  done
else
  echo "PyTorch has no CUDA here"
fi
for device in webgpu cpu; do
  echo "netspec train specs/fashion-cnn.net --recipe Seed --epochs 1 --device $device ($IMAGES training images):"
  timeout 120 node bin/netspec.js train specs/fashion-cnn.net --recipe Seed --epochs 1 --device "$device" \
    --data .gpu/data --out ".gpu/runs/$device" --no-cache 2>&1 | tail -4 || true
done
echo "netspec, CPU ($CPU_IMAGES images):"
timeout 150 node dist/bench/gpu.js cpu "$CPU_IMAGES" .gpu/data | tee .gpu/cpu.jsonl || echo "netspec on the CPU failed"
node --input-type=module -e "
  import { existsSync, readFileSync } from 'node:fs';
  const lines = (f) => existsSync(f) ? readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map(JSON.parse) : [];
  const [gpu, cpu, torch] = ['.gpu/webgpu.jsonl', '.gpu/cpu.jsonl', '.gpu/torch.jsonl'].map(lines);
  const r = (x) => (x === undefined || Number.isNaN(x) ? '-' : x.toFixed(2));
  const n = (x) => (x === undefined ? '-' : Math.round(x));
  console.log('workload | netspec webgpu img/s | PyTorch CUDA img/s | ratio | netspec CPU img/s | webgpu/CPU');
  ['seed CNN', 'ResNet18 from scratch', 'ResNet18 finetune'].forEach((name, i) => {
    const g = gpu.find((x) => x.workload === name)?.imagesPerSecond;
    const c = cpu.find((x) => x.workload === name)?.imagesPerSecond;
    const t = torch[i]?.images_per_second;
    console.log([name, n(g), n(t), r(g / t), n(c), r(g / c)].join(' | '));
  });"

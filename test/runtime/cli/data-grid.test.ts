// `netspec data --grid`: samples enlarged, each labelled with its class name (in the pixel font
// the grid uses), and shown as pixels — a Normalize step undone for display, so a normalized
// dataset draws the same picture as the raw one.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pixelFonts from 'js-pixel-fonts';
import { PNG } from 'pngjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { writeFashionFiles } from '../../helpers/fashion-files.js';
import { netspec, tempDir } from '../../helpers/spec.js';

const CLASSES = `["T-shirt", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]`;

const spec = (transform: string) => `
dataset D {
  train = csv(images: "images.csv", labels: "labels.csv")
  classes = ${CLASSES}
}
transform Prepare { ${transform} }
network MLP {
  input x: [1, 28, 28]
  x -> Flatten -> Linear(784, 10)
}
train T { model = MLP()  data = D, transform: Prepare  loss = cross_entropy  optimizer = SGD(lr: 0.1)  epochs = 1  seed = 3 }
`;

/** The grid's PNG for a transform block, and what `data` printed. */
function grid(dir: string, name: string, transform: string) {
  writeFileSync(join(dir, `${name}.net`), spec(transform));
  const result = netspec(['data', `${name}.net`, '--grid', `${name}.png`], dir);
  expect(result.stderr).toBe('');
  return { png: PNG.sync.read(readFileSync(join(dir, `${name}.png`))), stdout: result.stdout };
}

describe('the sample grid', () => {
  let dir: string;
  let files: ReturnType<typeof writeFashionFiles>;
  beforeAll(() => {
    dir = tempDir();
    files = writeFashionFiles(dir, 64);
  });

  it('enlarges each sample 3× and writes its class name under it', () => {
    const { png, stdout } = grid(dir, 'raw', 'ToTensor');
    expect(stdout).toContain(
      '64 training samples after Prepare, 3× enlarged, labelled with their class\n',
    );
    const gray = (x: number, y: number) => png.data[4 * (y * png.width + x)];
    // The first tile: some training example, its pixels as 3×3 blocks.
    const tile = Array.from({ length: 28 * 28 }, (_, p) =>
      gray(6 + 3 * (p % 28), 6 + 3 * Math.floor(p / 28)),
    );
    const index = Array.from({ length: 64 }, (_, i) => i).find((i) =>
      tile.every((v, p) => v === files.images[i * 784 + p]),
    );
    expect(index).toBeDefined();
    for (let p = 0; p < 28 * 28; p += 37) {
      const [x, y] = [6 + 3 * (p % 28), 6 + 3 * Math.floor(p / 28)];
      expect([gray(x + 1, y), gray(x, y + 2), gray(x + 2, y + 2)]).toEqual([
        tile[p],
        tile[p],
        tile[p],
      ]);
    }
    // Under it, its class name in the pixel font.
    const name = JSON.parse(CLASSES)[files.labels[index!]] as string;
    const glyphs = pixelFonts.renderPixels(name, pixelFonts.fonts.sevenPlus);
    const top = 6 + 84 + 3;
    glyphs.forEach((row, y) =>
      row.forEach((on, x) => expect(gray(6 + x, top + y), `${name} ${x},${y}`).toBe(on ? 0 : 255)),
    );
  });

  it('undoes Normalize for display: a normalized dataset draws the same picture', () => {
    const raw = grid(dir, 'raw', 'ToTensor');
    const normalized = grid(dir, 'normalized', 'ToTensor\n Normalize(mean: auto, std: auto)');
    expect(normalized.stdout).toContain('; Normalize undone for display (x·std + mean)');
    expect(normalized.png.width).toBe(raw.png.width);
    let worst = 0;
    for (let i = 0; i < raw.png.data.length; i++)
      worst = Math.max(worst, Math.abs(raw.png.data[i] - normalized.png.data[i]));
    expect(worst).toBeLessThanOrEqual(1); // float rounding of (x − mean)/std·std + mean
  });
});

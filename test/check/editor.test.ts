// The tables editors complete from (compiler/editor.ts) cover everything the checker accepts:
// a setting the checker learns is a setting the editor knows what to offer after.
import { describe, expect, it } from 'vitest';
import {
  CALLEES,
  calleeNamed,
  DATASET_SETTING_WORDS,
  datasetSettingValue,
  LAYERS,
  LOSSES,
  OPTIMIZERS,
  TRAIN_SETTING_WORDS,
  trainSettingValue,
} from '../../compiler/index.js';

describe('editor tables', () => {
  it('say what follows every train setting and every dataset setting', () => {
    for (const { name } of TRAIN_SETTING_WORDS) expect(trainSettingValue(name), name).toBeDefined();
    for (const { name } of DATASET_SETTING_WORDS)
      expect(datasetSettingValue(name), name).toBeDefined();
  });

  it('are the registries themselves', () => {
    // A chain stage applies a layer with one input; `+` and `concat` combine several.
    const single = [...LAYERS.values()].filter((l) => l.inputs !== 'several');
    expect(CALLEES.layers.map((c) => c.name)).toEqual(single.map((l) => l.name));
    expect(CALLEES.concat[0].args).toBe(LAYERS.get('Concat')!.args);
    expect(CALLEES.losses.map((c) => c.args)).toEqual([...LOSSES.values()].map((l) => l.args));
    expect(trainSettingValue('optimizer')?.callees?.map((c) => c.name)).toEqual([
      ...OPTIMIZERS.keys(),
    ]);
    for (const list of Object.values(CALLEES))
      for (const callee of list) expect(calleeNamed(callee.name)?.name).toBe(callee.name);
  });

  it("give group(…) the optimizer's arguments, each optional", () => {
    const sgd = OPTIMIZERS.get('SGD')!.args;
    const [group] = trainSettingValue('groups', sgd)!.callees!;
    expect(group.args.map((a) => a.name)).toEqual(['pattern', ...sgd.map((a) => a.name)]);
    expect(group.args.slice(1).every((a) => a.default !== undefined)).toBe(true);
  });
});

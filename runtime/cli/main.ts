// `netspec`: the command-line interface.
import { Command, InvalidArgumentError, Option } from 'commander';
import { DataError } from '../data/errors.js';
import { DeviceError } from '../session.js';
import { FileError, WriteError } from '../files.js';
import { checkCommand, compileCommand, dataRoots, exportCommand } from './commands.js';
import { trainCommand } from './train-command.js';
import { evalCommand, predictCommand } from './eval-command.js';
import { registryReference } from '../../compiler/index.js';
import { infoCommand } from './info.js';
import { dataCommand } from './data.js';
import { UserError } from './load.js';
import { fmtCommand } from './fmt.js';
import { startLanguageServer } from '../lsp/server.js';

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

const collect = (value: string, previous: string[]) => [...previous, value];

const program = new Command('netspec')
  .description('Check, compile, train and export neural networks described in .net spec files.')
  .version('0.1.0')
  .showHelpAfterError();

program
  .command('check')
  .description('check a spec and print its diagnostics')
  .argument('<spec>', 'the .net file')
  .option('--json', 'print diagnostics as JSON (for editors and CI)')
  .action((spec, opts) => run(() => checkCommand(spec, opts)));

program
  .command('compile')
  .description('compile a recipe to ONNX training and evaluation graphs plus a manifest')
  .argument('<spec>', 'the .net file')
  .option('-o, --out <dir>', 'output folder', 'out')
  .option('--recipe <name>', 'the train block to compile (when the spec has several)')
  .action((spec, opts) => run(() => compileCommand(spec, opts)));

program
  .command('train')
  .description('train a recipe, evaluating on the validation and test splits every epoch')
  .argument('<spec>', 'the .net file')
  .option('--recipe <name>', 'the train block to run (when the spec has several)')
  .option('--epochs <n>', 'override the number of epochs', positiveInt)
  .option('--out <dir>', 'where to write weights and metrics (default runs/<recipe>)')
  .option('--data <dir>', 'also look for data files under this folder (repeatable)', collect, [])
  .option(
    '--threads <n>',
    'CPU threads for onnxruntime (0: every core, or 1 for a model too small to share)',
    positiveInt,
    0,
  )
  .addOption(
    new Option('--device <device>', 'where to run').choices(['cpu', 'cuda']).default('cpu'),
  )
  .option('--resume <dir>', 'continue from a checkpoint (a run folder or a checkpoint folder)')
  .option(
    '--weights <file>',
    "start from saved weights (safetensors with state_dict names, e.g. a run's weights.safetensors " +
      'or torch state_dict); fresh optimizer, step 0',
  )
  .option('--weights-partial', 'with --weights: load the tensors that fit, initialize the rest')
  .option('--json', 'print progress as JSON event lines')
  .action((spec, opts) => run(() => trainCommand(spec, opts)));

program
  .command('data')
  .description('describe a dataset (counts, classes, shape, pixel statistics) and draw samples')
  .argument('<spec>', 'the .net file')
  .option('--dataset <name>', 'the dataset to describe (when the spec has several)')
  .option('--grid <file>', 'write a PNG grid of training samples after the transforms')
  .option('--data <dir>', 'also look for data files under this folder (repeatable)', collect, [])
  .action((spec, opts) => run(() => dataCommand(spec, opts, dataRoots(opts.data))));

program
  .command('export')
  .description('write the inference ONNX model with trained weights')
  .argument('<spec>', 'the .net file')
  .requiredOption('-o, --out <file>', 'the ONNX file to write')
  .option('--weights <file>', 'trained weights (default runs/<recipe>/weights.safetensors)')
  .option('--recipe <name>', 'the train block whose model to export')
  .option('--opset <n>', 'ONNX opset to write, 11 to 18 (default 18)', positiveInt)
  .option('--data <dir>', 'also look for data files under this folder (repeatable)', collect, [])
  .action((spec, opts) => run(() => exportCommand(spec, opts)));

program
  .command('info')
  .description('list the modules of a network: an ONNX file, or the networks of a spec')
  .argument('<file>', 'a .onnx model or a .net spec')
  .option(
    '--input <shape>',
    'input shape C,H,W for an ONNX model with dynamic sizes, e.g. 3,224,224',
  )
  .option('--network <name>', 'only this network of a spec')
  .action((file, opts) => run(() => infoCommand(file, opts)));

program
  .command('fmt')
  .description('format specs canonically (to stdout, or in place with --write)')
  .argument('<files...>', 'the .net files')
  .option('--write', 'rewrite the files in place')
  .option('--check', 'list the files that would change and exit 1 if any would')
  .action((files, opts) => run(() => fmtCommand(files, opts)));

program
  .command('lsp')
  .description('run the language server over stdio (diagnostics, completion, hover, definitions)')
  .option('--stdio', 'talk over stdin/stdout (the default; accepted for editors that pass it)')
  .action(() => startLanguageServer());

const modelOptions = (command: Command) =>
  command
    .option('--weights <file>', 'trained weights (default runs/<recipe>/weights.safetensors)')
    .option('--recipe <name>', 'the train block (when the spec has several)')
    .option('--data <dir>', 'also look for data files under this folder (repeatable)', collect, [])
    .option('--threads <n>', 'CPU threads for onnxruntime (0: every core)', positiveInt, 0)
    .addOption(
      new Option('--device <device>', 'where to run').choices(['cpu', 'cuda']).default('cpu'),
    );

modelOptions(
  program
    .command('eval')
    .description(
      'evaluate trained weights on a split: loss, accuracy, per-class accuracy, confusion matrix',
    )
    .argument('<spec>', 'the .net file')
    .addOption(
      new Option('--split <split>', 'which split')
        .choices(['train', 'validation', 'test'])
        .default('test'),
    ),
).action((spec, opts) => run(() => evalCommand(spec, opts)));

modelOptions(
  program
    .command('predict')
    .description('classify image files (PNG or JPEG) with trained weights')
    .argument('<spec>', 'the .net file')
    .argument('<images...>', 'image files')
    .option('--top <k>', 'how many classes to show per image', positiveInt, 3),
).action((spec, images, opts) => run(() => predictCommand(spec, images, opts)));

program
  .command('docs')
  .description('print the reference of every layer, loss, optimizer, schedule and transform')
  .action(() => run(() => (process.stdout.write(registryReference()), 0)));

/** Runs a command; user mistakes print one clear message and exit 1, never a stack trace. */
async function run(command: () => number | Promise<number>): Promise<void> {
  try {
    process.exitCode = await command();
  } catch (e) {
    if (e instanceof DataError) {
      const where = e.at ? `${e.at.file}:${e.at.span.start.line}:${e.at.span.start.column}: ` : '';
      process.stderr.write(`${where}error ${e.code}: ${e.message}\n`);
    } else if (
      e instanceof UserError ||
      e instanceof DeviceError ||
      e instanceof WriteError ||
      e instanceof FileError
    ) {
      if (e.message) process.stderr.write(`error: ${e.message}\n`);
    } else throw e;
    process.exitCode = 1;
  }
}

await program.parseAsync();

// `netspec`: the command-line interface.
import { Command, InvalidArgumentError, Option } from 'commander';
import { warmReader } from '../reader.js';
import { userErrorLine } from './errors.js';

// Commands that read files start the reader (runtime/reader.ts) while their modules load; help,
// the version and `devices` read none, and do not pay for its process.
const command = process.argv[2];
if (command && !command.startsWith('-') && !['help', 'devices'].includes(command)) warmReader();

// Each action imports its command's module when it runs: `netspec --help` and `netspec check`
// then load neither onnxruntime (a 45 MB native library) nor the protobuf code, only what
// they use.
const commands = () => import('./commands.js');

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new InvalidArgumentError('expected a non-negative integer');
  return n;
}

const collect = (value: string, previous: string[]) => [...previous, value];

/** `--device`: the CPU, a GPU through WebGPU or CUDA, or auto (a GPU where there is one). */
const deviceOption = () =>
  new Option('--device <device>', 'where to run (auto: a GPU where there is one, else the CPU)')
    .choices(['cpu', 'webgpu', 'cuda', 'auto'])
    .default('cpu');

/** commander's `--no-fallback` is `fallback: false`. */
const withFallback = <T extends { fallback?: boolean }>(opts: T) => ({
  ...opts,
  noFallback: opts.fallback === false,
});

const program = new Command('netspec')
  .description('Check, compile, train and export neural networks described in .net spec files.')
  .version('0.1.0')
  .showHelpAfterError();

program
  .command('check')
  .description('check a spec and print its diagnostics')
  .argument('<spec>', 'the .net file')
  .option('--json', 'print diagnostics as JSON (for editors and CI)')
  .option(
    '--data [dir...]',
    'data problems (missing files, columns, labels) are errors, not warnings; also look for data under DIR',
  )
  .action((spec, opts) => run(async () => (await commands()).checkCommand(spec, opts)));

program
  .command('compile')
  .description('compile a recipe to ONNX training and evaluation graphs plus a manifest')
  .argument('<spec>', 'the .net file')
  .option('-o, --out <dir>', 'output folder', 'out')
  .option('--recipe <name>', 'the train block to compile (when the spec has several)')
  .option(
    '--print [graph]',
    'print the graphs as text instead of writing files (all, or one of train, steps, eval, infer)',
  )
  .addOption(
    new Option('--device <device>', 'the device the graphs are for (ops it runs natively)')
      .choices(['cpu', 'webgpu', 'cuda'])
      .default('cpu'),
  )
  .action((spec, opts) => run(async () => (await commands()).compileCommand(spec, opts)));

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
  .addOption(deviceOption())
  .option('--no-fallback', 'fail instead of running on the CPU what the device cannot')
  .option('--resume <dir>', 'continue from a checkpoint (a run folder or a checkpoint folder)')
  .option(
    '--weights <file>',
    "start from saved weights (safetensors with state_dict names, e.g. a run's weights.safetensors " +
      'or torch state_dict); fresh optimizer, step 0',
  )
  .option('--weights-partial', 'with --weights: load the tensors that fit, initialize the rest')
  .option('--json', 'print progress as JSON event lines')
  .option('--no-cache', 'compile the graphs afresh, neither reading nor writing the graph cache')
  .action((spec, opts) =>
    run(async () => (await import('./train-command.js')).trainCommand(spec, withFallback(opts))),
  );

program
  .command('sweep')
  .description(
    "run a sweep's trials: here (--parallel N at a time), as a Slurm job array or a Kubernetes Indexed Job",
  )
  .argument('<spec>', 'the .net file')
  .argument('<name>', 'the sweep')
  .option('--out <dir>', 'the sweep folder (default sweeps/<name>)')
  .option('--data <dir>', 'also look for data files under this folder (repeatable)', collect, [])
  .option(
    '--parallel <n>',
    'trials at once (default here 1; with --slurm/--kubernetes at most this many)',
    positiveInt,
  )
  .option(
    '--threads <n>',
    'onnxruntime threads per trial (0: the cores divided among the parallel trials)',
    positiveInt,
    0,
  )
  .addOption(
    new Option('--device <device>', 'where to run')
      .choices(['cpu', 'webgpu', 'cuda'])
      .default('cpu'),
  )
  .option(
    '--trial <k>',
    'run trial k (0-based) in this process, as Slurm and Kubernetes tasks do',
    positiveInt,
  )
  .option('--collect', 'gather what the trials wrote into sweep.csv and index.html')
  .option('--slurm', 'write an sbatch job-array script (one task per trial) and submit it')
  .option('--kubernetes', 'write an Indexed Job manifest (job.yaml) for kubectl apply')
  .option('--dry-run', 'with --slurm or --kubernetes: print the script or manifest, write nothing')
  .option('--wait', 'with --slurm: wait for the job array to end, then collect')
  .option('--cpus <n>', 'with --slurm/--kubernetes: CPUs per trial', positiveInt, 2)
  .option('--mem <size>', 'with --slurm/--kubernetes: memory per trial (Slurm 4G, Kubernetes 4Gi)')
  .option('--gpus <n>', 'with --slurm/--kubernetes: GPUs per trial', positiveInt)
  .option('--time <limit>', 'with --slurm: time limit per trial, e.g. 1:00:00')
  .option('--partition <name>', 'with --slurm: the partition')
  .option('--image <image>', 'with --kubernetes: a container image with netspec')
  .option('--claim <name>', 'with --kubernetes: the volume claim holding this folder', 'netspec')
  .option('--mount <path>', 'with --kubernetes: where the pods mount it and work', '/work')
  .option('--namespace <name>', 'with --kubernetes: the namespace')
  .option('--json', 'with --trial: print progress as JSON event lines')
  .action((spec, name, opts) =>
    run(async () => (await import('./sweep-command.js')).sweepCommand(spec, name, opts)),
  );

program
  .command('data')
  .description('describe a dataset (counts, classes, shape, pixel statistics) and draw samples')
  .argument('<spec>', 'the .net file')
  .option('--dataset <name>', 'the dataset to describe (when the spec has several)')
  .option('--grid <file>', 'write a PNG grid of training samples after the transforms')
  .option('--data <dir>', 'also look for data files under this folder (repeatable)', collect, [])
  .action((spec, opts) =>
    run(async () => {
      const { dataRoots } = await commands();
      return (await import('./data.js')).dataCommand(spec, opts, dataRoots(opts.data));
    }),
  );

program
  .command('export')
  .description('write the inference ONNX model with trained weights')
  .argument('<spec>', 'the .net file')
  .requiredOption('-o, --out <file>', 'the ONNX file to write')
  .option('--weights <file>', 'trained weights (default runs/<recipe>/weights.safetensors)')
  .option('--recipe <name>', 'the train block whose model to export')
  .option(
    '--network <name>',
    "a network of the spec, without a train block: its own weights (an ONNX import's) or --weights",
  )
  .option('--opset <n>', 'ONNX opset to write, 11 to 18 (default 18)', positiveInt)
  .option('--data <dir>', 'also look for data files under this folder (repeatable)', collect, [])
  .action((spec, opts) => run(async () => (await commands()).exportCommand(spec, opts)));

program
  .command('info')
  .description('list the modules of a network: an ONNX file, or the networks of a spec')
  .argument('<file>', 'a .onnx model or a .net spec')
  .option(
    '--input <shape>',
    'input shape C,H,W for an ONNX model with dynamic sizes, e.g. 3,224,224',
  )
  .option('--network <name>', 'only this network of a spec')
  .action((file, opts) => run(async () => (await import('./info.js')).infoCommand(file, opts)));

program
  .command('fmt')
  .description('format specs canonically (to stdout, or in place with --write)')
  .argument('<files...>', 'the .net files')
  .option('--write', 'rewrite the files in place')
  .option('--check', 'list the files that would change and exit 1 if any would')
  .action((files, opts) => run(async () => (await import('./fmt.js')).fmtCommand(files, opts)));

program
  .command('lsp')
  .description('run the language server over stdio (diagnostics, completion, hover, definitions)')
  .option('--stdio', 'talk over stdin/stdout (the default; accepted for editors that pass it)')
  .action(async () => (await import('../lsp/server.js')).startLanguageServer());

const modelOptions = (command: Command) =>
  command
    .option('--weights <file>', 'trained weights (default runs/<recipe>/weights.safetensors)')
    .option('--recipe <name>', 'the train block (when the spec has several)')
    .option('--data <dir>', 'also look for data files under this folder (repeatable)', collect, [])
    .option('--threads <n>', 'CPU threads for onnxruntime (0: every core)', positiveInt, 0)
    .addOption(deviceOption())
    .option('--no-fallback', 'fail instead of running on the CPU what the device cannot');

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
).action((spec, opts) =>
  run(async () => (await import('./eval-command.js')).evalCommand(spec, withFallback(opts))),
);

modelOptions(
  program
    .command('predict')
    .description('classify image files (PNG or JPEG) with trained weights')
    .argument('<spec>', 'the .net file')
    .argument('<images...>', 'image files')
    .option('--top <k>', 'how many classes to show per image', positiveInt, 3),
).action((spec, images, opts) =>
  run(async () =>
    (await import('./predict-command.js')).predictCommand(spec, images, withFallback(opts)),
  ),
);

program
  .command('devices')
  .description('list the devices this install can run on, and how to get the missing ones')
  .option('--json', 'print the findings as JSON')
  .action((opts) => run(async () => (await import('./devices.js')).devicesCommand(opts)));

program
  .command('docs')
  .description('print the reference of every layer, loss, optimizer, schedule and transform')
  .action(() =>
    run(async () => {
      const { registryReference } = await import('../../compiler/index.js');
      process.stdout.write(registryReference());
      return 0;
    }),
  );

const stackOf = (e: unknown) => (e instanceof Error ? (e.stack ?? e.message) : String(e));

/** Runs a command; user mistakes print one clear message and exit 1, never a stack trace. */
async function run(command: () => number | Promise<number>): Promise<void> {
  try {
    process.exitCode = await command();
  } catch (e) {
    // A bug in netspec, not the user's mistake: its stack, printed here because Node's own
    // report of an uncaught error would quote the bundle's (minified, very long) source line.
    const line = userErrorLine(e) ?? `netspec: internal error, please report it: ${stackOf(e)}\n`;
    process.stderr.write(line);
    process.exitCode = 1;
  }
}

await program.parseAsync();

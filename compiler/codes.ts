// The catalogue of diagnostic codes. Codes are stable: tools and baselines depend on them.
// docs/diagnostics.md explains each one.
export const CODES = {
  // NS0xxx: syntax (grammar/)
  unexpectedCharacter: 'NS0001',
  unterminatedString: 'NS0002',
  syntax: 'NS0003',
  /** PyTorch's spelling (`lr=0.05`, `(7, 7)`, `nn.Conv2d`, `Compose`), read and fixed: grammar/habits.ts. */
  pytorchForm: 'NS0004',
  /** A spec too large or nested too deeply to read (grammar/index.ts, grammar/build-expr.ts). */
  syntaxLimit: 'NS0005',
  // NS1xxx: meaning (compiler/check/)
  unknownName: 'NS1001',
  duplicateDeclaration: 'NS1002',
  unknownArgument: 'NS1003',
  argumentType: 'NS1004',
  missingArgument: 'NS1005',
  tooManyArguments: 'NS1006',
  argumentRange: 'NS1007',
  argumentTwice: 'NS1008',
  shapeMismatch: 'NS1101',
  networkInput: 'NS1102',
  networkStructure: 'NS1103',
  /** Past one of netspec's limits: tensor elements, parameters, layers, repetitions. */
  limit: 'NS1104',
  missingSetting: 'NS1201',
  unknownSetting: 'NS1202',
  lossMismatch: 'NS1203',
  noRecipe: 'NS1204',
  sweepValues: 'NS1205',
  sweepTrial: 'NS1206',
  importProblem: 'NS1301',
  notSupported: 'NS1302',
  // NS2xxx: data (runtime/data/)
  dataNotFound: 'NS2001',
  dataFormat: 'NS2002',
  dataMismatch: 'NS2003',
  dataUnreadable: 'NS2004',
  loaderStopped: 'NS2005',
  // NS3xxx: devices (compiler/lower/placement.ts, runtime/device.ts)
  cpuFallback: 'NS3001',
  // NS4xxx: commands and runs (runtime/): what a command ends with, one line, exit code 1
  commandLine: 'NS4001',
  outputFolder: 'NS4002',
  checkpoint: 'NS4003',
  weightsFile: 'NS4004',
  sweepFolder: 'NS4005',
  device: 'NS4006',
  unreadableFile: 'NS4007',
  scheduler: 'NS4008',
} as const;

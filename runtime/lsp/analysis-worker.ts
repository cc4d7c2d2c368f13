// The worker thread that analyses large documents (bounded.ts sends the jobs): what a document
// costs in time and memory, it costs here, not in the thread that answers the editor. Its
// workspace keeps each document's parse between versions, as the server's own does.
import { parentPort } from 'node:worker_threads';
import { chooseReadTimeout } from '../reader.js';
import { analyze } from './analysis.js';
import type { AnalysisJob, AnalysisOutcome } from './bounded.js';
import { Workspace } from './workspace.js';

/** The other open documents' text, as of the job being analysed. */
let open = new Map<string, string>();
const workspace = new Workspace((file) => open.get(file));

function analyzeJob(job: AnalysisJob): AnalysisOutcome {
  open = new Map(job.open);
  workspace.allowReads(job.access);
  chooseReadTimeout(job.readSeconds);
  const analysis = analyze(workspace, job.text, job.uri);
  return {
    uri: job.uri,
    version: job.version,
    diagnostics: analysis.diagnostics,
    files: analysis.checked ? [...analysis.checked.sources.keys()] : [],
  };
}

parentPort!.on('message', (message: AnalysisJob | { forget: string }) => {
  if ('forget' in message) workspace.forget(message.forget);
  else parentPort!.postMessage(analyzeJob(message));
});

// `--kubernetes`: the sweep as a Kubernetes Indexed Job (`completionMode: Indexed`), one
// completion index per trial, each pod running `netspec sweep … --trial <index>` in an image
// that has netspec, with a shared volume (a PersistentVolumeClaim) holding the spec, its data
// and the sweep folder, mounted as the working folder. netspec writes the manifest and never
// applies it: `kubectl apply -f <sweep>/job.yaml` does.
import { stringify } from 'yaml';
import type { SweepManifest } from './folder.js';
import type { ClusterResources } from './slurm.js';

export interface KubernetesOptions extends ClusterResources {
  image: string;
  /** The PersistentVolumeClaim that holds the working folder. */
  claim: string;
  /** Where the claim is mounted and the pods work. */
  mount: string;
  namespace?: string;
  /** The command that starts netspec in the image. */
  netspec: string[];
}

/** The Job's name: a DNS label from the sweep's name. */
export function jobName(sweep: string): string {
  const label = `netspec-${sweep}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-');
  return label.slice(0, 63).replace(/-+$/, '');
}

/**
 * The manifest. `args` are the trial command's arguments after `netspec` up to `--trial`
 * (`sweep`, the spec, the name, `--out`, …), relative to the working folder.
 */
export function jobManifest(
  manifest: SweepManifest,
  args: string[],
  options: KubernetesOptions,
): Record<string, unknown> {
  const count = manifest.trials.length;
  const limits: Record<string, string | number> = { cpu: String(options.cpus) };
  if (options.mem) limits.memory = options.mem;
  if (options.gpus) limits['nvidia.com/gpu'] = String(options.gpus);
  return {
    apiVersion: 'batch/v1',
    kind: 'Job',
    metadata: {
      name: jobName(manifest.sweep),
      ...(options.namespace ? { namespace: options.namespace } : {}),
      labels: { 'app.kubernetes.io/name': 'netspec', 'netspec/sweep': jobName(manifest.sweep) },
    },
    spec: {
      completionMode: 'Indexed',
      completions: count,
      parallelism: Math.min(options.parallel ?? count, count),
      // A failed trial is recorded in the sweep folder; retrying it gives the same error.
      backoffLimitPerIndex: 0,
      template: {
        spec: {
          restartPolicy: 'Never',
          containers: [
            {
              name: 'trial',
              image: options.image,
              workingDir: options.mount,
              command: options.netspec,
              // $(TRIAL) is expanded by Kubernetes from the variable below.
              args: [...args, '--trial', '$(TRIAL)', '--threads', String(options.cpus)],
              env: [
                {
                  name: 'TRIAL',
                  valueFrom: {
                    fieldRef: {
                      fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
                    },
                  },
                },
              ],
              resources: { requests: { ...limits }, limits },
              volumeMounts: [{ name: 'work', mountPath: options.mount }],
            },
          ],
          volumes: [{ name: 'work', persistentVolumeClaim: { claimName: options.claim } }],
        },
      },
    },
  };
}

export function jobYaml(job: Record<string, unknown>): string {
  return stringify(job, { lineWidth: 0 });
}

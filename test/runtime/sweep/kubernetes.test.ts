// `netspec sweep --kubernetes`: an Indexed Job manifest, checked against the Kubernetes Job
// schema (kubernetes-models' validators, generated from the API's OpenAPI schema, no network),
// with one completion index per trial, the trial taken from the completion-index annotation,
// the resources asked for and the shared volume mounted as the working folder.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Job } from 'kubernetes-models/batch/v1/Job';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { netspec, ROOT, tempDir } from '../../helpers/spec.js';

const SWEEP = `
sweep Small over Baseline {
  optimizer.lr = [0.01, 0.05, 0.1]
  seed = [1, 2]
}
`;

function specDir(): string {
  const dir = tempDir();
  const spec = readFileSync(join(ROOT, 'specs/fashion-mlp.net'), 'utf8');
  writeFileSync(join(dir, 'mlp.net'), spec + SWEEP);
  return dir;
}

const options = ['--image', 'registry.example/netspec:1', '--cpus', '4', '--mem', '8Gi'];

describe('netspec sweep --kubernetes', () => {
  it('writes an Indexed Job that the Job schema accepts, and tells how to apply it', () => {
    const dir = specDir();
    const args = ['sweep', 'mlp.net', 'Small', '--kubernetes', ...options, '--gpus', '1'];
    const result = netspec([...args, '--parallel', '2', '--claim', 'sweeps', '--out', 'k8s'], dir);
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    const file = join(dir, 'k8s', 'job.yaml');
    expect(result.stdout).toContain(`submit it with: kubectl apply -f k8s/job.yaml`);
    const manifest = parse(readFileSync(file, 'utf8'));
    expect(() => new Job(manifest).validate()).not.toThrow();
    expect(manifest).toMatchObject({
      apiVersion: 'batch/v1',
      kind: 'Job',
      metadata: { name: 'netspec-small' },
      spec: { completionMode: 'Indexed', completions: 6, parallelism: 2, backoffLimitPerIndex: 0 },
    });
    const pod = manifest.spec.template.spec;
    expect(pod.restartPolicy).toBe('Never');
    expect(pod.volumes).toEqual([{ name: 'work', persistentVolumeClaim: { claimName: 'sweeps' } }]);
    const [container] = pod.containers;
    expect(container).toMatchObject({
      image: 'registry.example/netspec:1',
      workingDir: '/work',
      command: ['netspec'],
      volumeMounts: [{ name: 'work', mountPath: '/work' }],
      resources: {
        requests: { cpu: '4', memory: '8Gi', 'nvidia.com/gpu': '1' },
        limits: { cpu: '4', memory: '8Gi', 'nvidia.com/gpu': '1' },
      },
    });
    expect(container.args).toEqual([
      'sweep',
      'mlp.net',
      'Small',
      '--out',
      'k8s',
      '--device',
      'cpu',
      '--trial',
      '$(TRIAL)',
      '--threads',
      '4',
    ]);
    // $(TRIAL) is a variable of the container, so Kubernetes expands it: the completion index.
    expect(container.env).toEqual([
      {
        name: 'TRIAL',
        valueFrom: {
          fieldRef: {
            fieldPath: "metadata.annotations['batch.kubernetes.io/job-completion-index']",
          },
        },
      },
    ]);
    // The folder is a sweep folder now: --collect reads it (nothing has run yet).
    const collected = netspec(['sweep', 'mlp.net', 'Small', '--collect', '--out', 'k8s'], dir);
    expect(collected.status).toBe(1);
    expect(collected.stdout).toContain('6 of 6 trials have not finished');
  });

  it('the schema check fails for a malformed manifest (it can fail)', () => {
    const dir = specDir();
    const args = ['sweep', 'mlp.net', 'Small', '--kubernetes', '--dry-run', ...options];
    const result = netspec(args, dir);
    expect(result.status).toBe(0);
    const manifest = parse(result.stdout);
    expect(() => new Job(manifest).validate()).not.toThrow();
    manifest.spec.completionMode = 'Indexd';
    manifest.spec.completions = '6';
    expect(() => new Job(manifest).validate()).toThrow(/completionMode|completions/);
    expect(existsSync(join(dir, 'sweeps'))).toBe(false);
  });

  it('needs an image', () => {
    const result = netspec(['sweep', 'mlp.net', 'Small', '--kubernetes'], specDir());
    expect(result.status).toBe(1);
    expect(result.stderr).toBe(
      'error NS4001: --kubernetes needs --image: an image with netspec (and the data, or a volume with it)\n',
    );
  });
});

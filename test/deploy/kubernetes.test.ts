/**
 * deploy/kubernetes against the Kubernetes API's schemas (kubeconform, strict, offline: see
 * test/support/deploy-schemas.ts) and against the worker itself: its configuration loads, its
 * probes and metrics port are the worker's, its selectors select its pods, and the pod's
 * termination grace outlasts the worker's drain.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { configVariables, loadConfig } from '../../src/config';
import { kubeconformBin, kubernetesSchemaDir } from '../support/deploy-schemas';

const run = promisify(execFile);
const dir = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
const manifests = readdirSync(dir)
  .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
  .map((file) => join(dir, file));

type Doc = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const docs: Doc[] = manifests.flatMap((file) =>
  parseAllDocuments(readFileSync(file, 'utf8')).map((doc) => doc.toJS() as Doc),
);
const byKind = (kind: string) => docs.find((doc) => doc.kind === kind)!;

let kubeconform: string;
let schemas: string;
let scratch: string;

beforeAll(async () => {
  [kubeconform, schemas] = await Promise.all([kubeconformBin(), kubernetesSchemaDir()]);
  scratch = await mkdtemp(join(tmpdir(), 'xledger-sync-k8s-'));
}, 900_000);
afterAll(async () => {
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

async function validate(files: string[]) {
  const args = [
    '-strict',
    '-summary',
    '-output',
    'json',
    '-schema-location',
    `${schemas}/{{ .ResourceKind }}{{ .KindSuffix }}.json`,
    ...files,
  ];
  const result = await run(kubeconform, args, { timeout: 60_000 }).catch(
    (error: { stdout: string; code: number }) => ({ stdout: error.stdout, code: error.code }),
  );
  return { code: 'code' in result ? result.code : 0, report: JSON.parse(result.stdout) as KubeconformReport };
}

interface KubeconformReport {
  resources: Array<{ kind: string; status: string; msg: string }>;
  summary: { valid: number; invalid: number; errors: number; skipped: number };
}

describe('deploy/kubernetes', () => {
  it('every manifest is valid against the Kubernetes API schemas (strict)', async () => {
    const { code, report } = await validate(manifests);
    expect(
      report.resources.filter((r) => r.status !== 'statusValid'),
      JSON.stringify(report),
    ).toEqual([]);
    expect(code).toBe(0);
    expect(report.summary).toMatchObject({ valid: docs.length, invalid: 0, errors: 0, skipped: 0 });
    expect(docs.map((doc) => doc.kind).sort()).toEqual(
      [
        'ConfigMap',
        'Deployment',
        'HorizontalPodAutoscaler',
        'PodDisruptionBudget',
        'Secret',
        'Service',
        'ServiceAccount',
      ].sort(),
    );
  });

  it('the check catches a mistake (a misspelt field, a probe port of the wrong type)', async () => {
    const broken = structuredClone(byKind('Deployment'));
    broken.spec.replica = broken.spec.replicas;
    delete broken.spec.replicas;
    broken.spec.template.spec.containers[0].livenessProbe.httpGet.port = { name: 'metrics' };
    const file = join(scratch, 'broken.json');
    await writeFile(file, JSON.stringify(broken));
    const { code, report } = await validate([file]);
    expect(code).not.toBe(0);
    expect(report.resources[0]?.status).toBe('statusInvalid');
    expect(report.resources[0]?.msg).toMatch(/replica/);
  });

  it('configures the worker with variables it reads, and with values it accepts', () => {
    const configMap = byKind('ConfigMap');
    const container = byKind('Deployment').spec.template.spec.containers[0];
    const secretNames: string[] = container.env.map((e: { name: string }) => e.name);
    for (const name of [
      ...Object.keys(configMap.data),
      ...secretNames,
      ...Object.keys(byKind('Secret').stringData),
    ]) {
      expect(configVariables, name).toContain(name);
    }
    const config = loadConfig({
      ...configMap.data,
      TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
      MONGODB_URI: 'mongodb://mongo.example.net/xledger_sync',
    });
    expect(config.observability.metricsPort).toBe(container.ports[0].containerPort);
    // The kubelet's SIGKILL must never cut a drain short.
    expect(byKind('Deployment').spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(
      config.temporal.shutdownForceMs,
    );
  });

  it('probes the worker’s own endpoints; the PDB, the autoscaler and the Service reach its pods', () => {
    const deployment = byKind('Deployment');
    const pod = deployment.spec.template;
    const container = pod.spec.containers[0];
    expect(container.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.startupProbe.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
    expect(container.ports[0].name).toBe('metrics');
    expect(pod.spec.securityContext.runAsNonRoot).toBe(true);
    const selects = (selector: Record<string, string>) =>
      Object.entries(selector).every(([key, value]) => pod.metadata.labels[key] === value);
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);
    expect(selects(byKind('PodDisruptionBudget').spec.selector.matchLabels)).toBe(true);
    expect(selects(byKind('Service').spec.selector)).toBe(true);
    expect(byKind('HorizontalPodAutoscaler').spec.scaleTargetRef).toEqual({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    const kustomization = parseAllDocuments(
      readFileSync(join(dir, 'kustomization.yaml'), 'utf8'),
    )[0]!.toJS() as Doc;
    expect([...kustomization.resources].sort()).toEqual(
      manifests
        .map((file) => file.slice(dir.length))
        .filter((file) => file !== 'secret.example.yaml')
        .sort(),
    );
  });
});

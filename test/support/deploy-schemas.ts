/**
 * What the deployment tests validate against, without reaching any host but the Go module proxy
 * (CI cannot download kubeconform's schemas from GitHub):
 *
 * - kubeconform, installed once with `go install` into the tools cache (as src/devstack/tools.ts
 *   does for the Temporal CLI and FerretDB);
 * - the Kubernetes JSON schemas, generated once into the tools cache from the OpenAPI document
 *   that the Go module k8s.io/kubernetes ships (api/openapi-spec/swagger.json), the way
 *   kubeconform's openapi2jsonschema makes its strict standalone schemas: one file per kind and
 *   API version, additional properties refused, int-or-string fields either;
 * - the Compose Specification's JSON schema, shipped by the Go module compose-go.
 *
 * Every command has a deadline: a proxy that does not answer fails the test, never hangs it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { toolsCacheRoot } from '../../src/devstack/tools';

const run = promisify(execFile);

export const KUBECONFORM_VERSION = 'v0.8.0';
/** The Kubernetes version whose API the manifests are checked against. */
export const KUBERNETES_VERSION = 'v1.34.1';
export const COMPOSE_GO_VERSION = 'v2.16.2';

const GO_TIMEOUT_MS = 600_000;

async function go(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const goBin = existsSync('/usr/local/go/bin/go') ? '/usr/local/go/bin/go' : 'go';
  const { stdout } = await run(goBin, args, {
    timeout: GO_TIMEOUT_MS,
    maxBuffer: 16 * 1024 * 1024,
    cwd: toolsCacheRoot(),
    env: { ...process.env, GOFLAGS: '-mod=mod', ...env },
  });
  return stdout;
}

/** The directory of a Go module version in the module cache (downloaded through the proxy once). */
async function goModuleDir(module: string, version: string): Promise<string> {
  await mkdir(toolsCacheRoot(), { recursive: true });
  const info = JSON.parse(await go(['mod', 'download', '-json', `${module}@${version}`])) as {
    Dir?: string;
    Error?: string;
  };
  if (!info.Dir) throw new Error(`go mod download ${module}@${version}: ${info.Error ?? 'no directory'}`);
  return info.Dir;
}

/** kubeconform's binary, built once into the tools cache. */
export async function kubeconformBin(): Promise<string> {
  const dir = join(toolsCacheRoot(), `kubeconform-${KUBECONFORM_VERSION}`);
  const bin = join(dir, 'kubeconform');
  if (existsSync(bin)) return bin;
  await mkdir(dir, { recursive: true });
  await go(['install', `github.com/yannh/kubeconform/cmd/kubeconform@${KUBECONFORM_VERSION}`], {
    GOBIN: dir,
  });
  return bin;
}

/** A directory of strict JSON schemas named as kubeconform looks them up: `<kind>-<group>-<version>.json`. */
export async function kubernetesSchemaDir(): Promise<string> {
  const dir = join(toolsCacheRoot(), `kubernetes-schemas-${KUBERNETES_VERSION}`);
  if (existsSync(join(dir, '.complete'))) return dir;
  const source = await goModuleDir('k8s.io/kubernetes', KUBERNETES_VERSION);
  const swagger = JSON.parse(await readFile(join(source, 'api/openapi-spec/swagger.json'), 'utf8')) as {
    definitions: Record<string, Schema>;
  };
  const partial = `${dir}.partial-${process.pid}`;
  await rm(partial, { recursive: true, force: true });
  await mkdir(partial, { recursive: true });
  for (const [name, definition] of Object.entries(swagger.definitions)) {
    const kinds = (definition['x-kubernetes-group-version-kind'] ?? []) as Array<{
      group: string;
      version: string;
      kind: string;
    }>;
    for (const { group, version, kind } of kinds) {
      const suffix = group ? `${group.split('.')[0]!.toLowerCase()}-${version}` : version;
      const schema = standalone(name, swagger.definitions);
      await writeFile(join(partial, `${kind.toLowerCase()}-${suffix}.json`), JSON.stringify(schema));
    }
  }
  await writeFile(join(partial, '.complete'), `${KUBERNETES_VERSION}\n`);
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
  return dir;
}

/** The Compose Specification's JSON schema (draft 2020-12). */
export async function composeSpecSchema(): Promise<Record<string, unknown>> {
  const source = await goModuleDir('github.com/compose-spec/compose-go/v2', COMPOSE_GO_VERSION);
  return JSON.parse(await readFile(join(source, 'schema/compose-spec.json'), 'utf8')) as Record<
    string,
    unknown
  >;
}

type Schema = Record<string, unknown>;

/**
 * One kind's schema with every definition it reaches, so the file stands alone; strict (no
 * property the API does not define) and with int-or-string and quantities taking either form.
 */
function standalone(root: string, definitions: Record<string, Schema>): Schema {
  const reached = new Map<string, Schema>();
  const visit = (name: string) => {
    if (reached.has(name)) return;
    const definition = definitions[name];
    if (!definition) throw new Error(`swagger.json has no definition ${name}`);
    reached.set(name, {});
    reached.set(
      name,
      strict(definition, name, (ref) => visit(ref)),
    );
  };
  visit(root);
  const { [root]: schema, ...rest } = Object.fromEntries(reached);
  return {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...schema,
    definitions: { [root]: schema, ...rest },
  };
}

const QUANTITY = 'io.k8s.apimachinery.pkg.api.resource.Quantity';
const INT_OR_STRING = { oneOf: [{ type: 'string' }, { type: 'integer' }] };

function strict(node: unknown, name: string | undefined, onRef: (name: string) => void): Schema {
  if (name === QUANTITY) return { oneOf: [{ type: 'string' }, { type: 'number' }] };
  const copy = (value: unknown): unknown => {
    if (Array.isArray(value)) return value.map(copy);
    if (value && typeof value === 'object') return strict(value, undefined, onRef);
    return value;
  };
  const schema = node as Schema;
  if (schema.format === 'int-or-string') return INT_OR_STRING;
  const out: Schema = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key.startsWith('x-kubernetes-')) continue;
    if (key === '$ref' && typeof value === 'string') {
      onRef(value.replace('#/definitions/', ''));
      out[key] = value;
    } else if (key === 'properties' && value && typeof value === 'object') {
      out[key] = Object.fromEntries(
        Object.entries(value as Record<string, unknown>).map(([prop, sub]) => [prop, copy(sub)]),
      );
    } else {
      out[key] = copy(value);
    }
  }
  if (out.properties && out.additionalProperties === undefined) out.additionalProperties = false;
  return out;
}

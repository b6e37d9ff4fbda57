import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { customSearchAttributes } from '../../src/temporal/search-attributes';
import { composeSpecSchema } from '../support/deploy-schemas';

const text = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
type Service = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
const compose = parse(text) as { services: Record<string, Service> };
const { services } = compose;

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification (the schema `docker compose config` checks)', async () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(await composeSpecSchema());
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
  }, 600_000);

  it('registers exactly the custom search attributes of src/temporal/search-attributes.ts, as Keyword', () => {
    const loop = /for name in ([\w ]+); do/.exec(text);
    expect(loop, 'the search-attribute loop in docker-compose.yml').not.toBeNull();
    expect(loop![1]!.trim().split(/\s+/).sort()).toEqual(customSearchAttributes.map((k) => k.name).sort());
    expect(new Set(customSearchAttributes.map((k) => k.type))).toEqual(new Set(['KEYWORD']));
    expect(text).toContain('--type Keyword');
  });

  it('runs the Temporal server image after a schema-setup step, not the deprecated auto-setup image', () => {
    const images = Object.values(services).map((service) => String(service.image ?? ''));
    expect(images.some((image) => image.includes('auto-setup'))).toBe(false);
    const temporal = services.temporal!;
    expect(temporal.image).toMatch(/^temporalio\/server:/);
    expect(temporal.depends_on['temporal-schema']).toEqual({ condition: 'service_completed_successfully' });
    const schema = services['temporal-schema']!;
    expect(schema.command.join('\n')).toMatch(/setup-schema[\s\S]*update-schema[\s\S]*visibility/);
    // admin-tools (schema tool, CLI) at the server's own version.
    const version = String(temporal.image).split(':')[1];
    for (const service of Object.values(services).filter((s) =>
      String(s.image).startsWith('temporalio/admin-tools'),
    )) {
      expect(service.image).toBe(`temporalio/admin-tools:${version}`);
    }
  });

  it('gives the worker a healthcheck on its /healthz, and a stop timeout above its drain', () => {
    const worker = services.worker!;
    const port = String(worker.environment.METRICS_PORT);
    expect(worker.healthcheck.test.join(' ')).toContain(`127.0.0.1:${port}/healthz`);
    expect(worker.ports).toContain(`${port}:${port}`);
    expect(Number.parseInt(String(worker.stop_grace_period), 10)).toBeGreaterThan(45);
  });
});

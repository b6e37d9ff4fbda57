import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { customSearchAttributes } from '../../src/temporal/search-attributes';

describe('docker-compose.yml', () => {
  it('registers exactly the custom search attributes of src/temporal/search-attributes.ts, as Keyword', () => {
    const compose = readFileSync(new URL('../../docker-compose.yml', import.meta.url), 'utf8');
    const loop = /for name in ([\w ]+); do/.exec(compose);
    expect(loop, 'the search-attribute loop in docker-compose.yml').not.toBeNull();
    expect(loop![1]!.trim().split(/\s+/).sort()).toEqual(customSearchAttributes.map((k) => k.name).sort());
    expect(new Set(customSearchAttributes.map((k) => k.type))).toEqual(new Set(['KEYWORD']));
    expect(compose).toContain('--type Keyword');
  });
});

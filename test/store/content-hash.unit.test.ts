import { describe, expect, it } from 'vitest';
import { contentHash, stableStringify } from '../../src/store/records';

/**
 * Stored records carry the hash of their content; a sync writes only records whose hash
 * changed. The hash must therefore stay the same text for the same content across versions:
 * otherwise the first sync after an upgrade rewrites every record of every tenant.
 */
describe('content hash', () => {
  const sample = {
    dbId: 7,
    entityDbId: 102,
    visibility: 'client' as const,
    fields: {
      code: 'S-1',
      description: 'Ærlig AS "quoted"',
      email: null,
      toDate: undefined,
      company: { dbId: 5, companyNumber: '123' },
      glObject1: { dbId: 1, code: 'D1', description: null },
      tags: [1, 'two', null, { b: 1, a: [true] }],
      zeta: 1.5,
      Alpha: 'upper',
    },
  };

  it('is the hash earlier versions stored for the same content', () => {
    // Computed by the sorted-entries implementation this project shipped first.
    expect(contentHash(sample)).toBe('r4wm4T2Vt6AR1CkQ8S2T4AJ088QnTE6GLTg5xEtGeFw');
  });

  it('does not depend on the order fields were set in, and leaves undefined members out', () => {
    const reordered = { ...sample, fields: Object.fromEntries(Object.entries(sample.fields).reverse()) };
    expect(contentHash(reordered)).toBe(contentHash(sample));
    expect(stableStringify({ b: 1, a: undefined, A: [undefined, 2] })).toBe('{"A":[null,2],"b":1}');
  });

  it('changes with any field, the entity or the visibility', () => {
    const base = contentHash(sample);
    expect(contentHash({ ...sample, fields: { ...sample.fields, zeta: 1.6 } })).not.toBe(base);
    expect(contentHash({ ...sample, entityDbId: 103 })).not.toBe(base);
    expect(contentHash({ ...sample, visibility: 'owner' })).not.toBe(base);
  });
});

import { z } from 'zod';
import type { StreamDefinition } from './stream';

/**
 * Optional fields of a stream: selections no public source shows for certain (e.g. `ownerDbId`
 * on currencies and object kinds, `assetGroup { dbId code description }` on assets). A record is
 * still useful without them, so a tenant whose Xledger lacks one syncs everything else: the live
 * schema check (src/xledger/optional-fields.ts) records which the tenant's schema has, and the
 * tenant's streams leave the others out (adaptStream). Required fields (`selection` less the
 * optional ones) still refuse a tenant whose schema lacks them.
 */

/** One optional field a tenant's Xledger does not have: left out of that stream's queries. */
export interface OmittedField {
  stream: string;
  field: string;
}

/** A stream's selection from its required fields and its optional ones (field name → selection). */
export function withOptionalFields(
  required: string,
  optional: Readonly<Record<string, string>>,
): { selection: string; requiredSelection: string; optionalFields: Readonly<Record<string, string>> } {
  return {
    selection: [required, ...Object.values(optional)].join(' '),
    requiredSelection: required,
    optionalFields: optional,
  };
}

/**
 * The stream as a tenant reads it: without the optional fields its schema lacks. The node's
 * zod schema reads an absent field as null (`optional()`); an absent `ownerDbId` makes the record
 * the Entity Owner's (A: a type without an owner field is one the whole owner shares, visible to
 * its clients), so `entityOwnerDbId` is needed when it can be left out.
 */
export function adaptStream(
  stream: StreamDefinition,
  omitted: readonly OmittedField[],
  entityOwnerDbId?: number,
): StreamDefinition {
  const left = new Set(omitted.filter((o) => o.stream === stream.name).map((o) => o.field));
  const optional = stream.optionalFields ?? {};
  if (!Object.keys(optional).some((field) => left.has(field))) return stream;
  const kept = Object.entries(optional).filter(([field]) => !left.has(field));
  const selection = [stream.requiredSelection ?? stream.selection, ...kept.map(([, s]) => s)].join(' ');
  if (!left.has('ownerDbId')) return { ...stream, selection };
  const owner = entityOwnerDbId ?? 0;
  const node = z.preprocess(
    (raw) =>
      raw !== null && typeof raw === 'object' && !('ownerDbId' in raw) ? { ...raw, ownerDbId: owner } : raw,
    stream.node,
  ) as unknown as StreamDefinition['node'];
  return { ...stream, selection, node };
}

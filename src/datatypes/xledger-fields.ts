import { z } from 'zod';

/**
 * zod schemas of Xledger's scalars and small reference objects, shared by the data-type
 * definitions. A node that fails them is a reject, never a crash.
 */

/**
 * Int64 ids: Xledger sends numbers; accept decimal strings too. Only ids JavaScript holds exactly
 * (below 2^53): a larger one, rounded, would name another record — such a node is a reject.
 */
export const dbId = z
  .union([z.number(), z.string().regex(/^\d+$/).transform(Number)])
  .refine(
    (value) => Number.isSafeInteger(value) && value >= 0,
    'must be a non-negative integer id below 2^53',
  );

/** A real calendar date YYYY-MM-DD ("2024-02-31" and "31.02.2024" are rejected). */
export const date = z.string().refine((value) => {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(value);
  if (!match) return false;
  const [, y, m, d] = match.map(Number) as [number, number, number, number];
  const parsed = new Date(Date.UTC(y, m - 1, d));
  return parsed.getUTCFullYear() === y && parsed.getUTCMonth() === m - 1 && parsed.getUTCDate() === d;
}, 'must be a calendar date YYYY-MM-DD');

/** CET/CEST wall-clock time without an offset. */
export const wallClock = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?$/, 'must be YYYY-MM-DDTHH:mm:ss');

export const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'must be a decimal string');

export const codeRef = z.object({
  dbId: dbId.nullish(),
  code: z.string().nullish(),
  description: z.string().nullish(),
});

export const idRef = z.object({ dbId, code: z.string().nullish(), description: z.string().nullish() });

/** Xledger's small system lists (ledger types, asset statuses, charts of accounts): `{ dbId name }`. */
export const namedRef = z.object({
  dbId: dbId.nullish().transform((value) => value ?? null),
  name: z
    .string()
    .nullish()
    .transform((value) => value ?? null),
});

/** Fields every synced node has: its id and the entity it belongs to. */
export const ownedNode = z.object({ dbId, ownerDbId: dbId });

export const optional = <T extends z.ZodType>(schema: T) =>
  schema.nullish().transform((value) => value ?? null);

export const REF_SELECTION = 'dbId code description';

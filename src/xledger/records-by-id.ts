import { z } from 'zod';
import type { StreamDefinition } from '../datatypes/stream';
import type { XledgerClient } from './client';
import { XledgerError } from './errors';
import { BY_IDS_BATCH, recordsByIds, selectsOwner } from './operations';

/**
 * The answer to a look-up by id. `"edges": null` is Xledger's "none of them"; `pageInfo` is asked
 * for so that an answer cut short shows: a look-up asks for as many records as it names ids, so
 * `hasNextPage: true` means Xledger did not apply the filter, and nothing can be concluded.
 */
const numericId = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/)]);
/** The owner is asked for, and so must be answered, where the tenant's stream reads it (selectsOwner). */
const byIdsAnswerSchema = (owner: boolean) =>
  z.object({
    edges: z
      .array(
        z.object({
          node: z.object({ dbId: numericId, ownerDbId: owner ? numericId : numericId.optional() }),
        }),
      )
      .nullable(),
    pageInfo: z.object({ hasNextPage: z.literal(false) }),
  });

/**
 * Which of `dbIds` Xledger still returns for the stream, with each one's owner (by dbId), asked in batches of BY_IDS_BATCH (one
 * request each, none for no ids). Every answer must be well formed, else the look-up fails
 * (retryable): a record is marked deleted only when Xledger answered for it and left it out.
 */
export async function stillInXledger(
  client: XledgerClient,
  stream: StreamDefinition,
  dbIds: readonly number[],
  /** The owner of a record whose stream has no `ownerDbId` in this tenant's schema (adaptStream: the Entity Owner). */
  ownerWhenUnread: number,
): Promise<Map<number, number>> {
  const asked = new Set(dbIds);
  const ids = [...asked];
  const alive = new Map<number, number>();
  const answerSchema = byIdsAnswerSchema(selectsOwner(stream));
  for (let start = 0; start < ids.length; start += BY_IDS_BATCH) {
    const batch = ids.slice(start, start + BY_IDS_BATCH);
    const operation = recordsByIds(stream, batch);
    const data = await client.request<Record<string, unknown>>(operation.document, operation.variables);
    const parsed = answerSchema.safeParse(data[stream.rootField]);
    if (!parsed.success) {
      throw new XledgerError(
        'transient',
        `Xledger answered the look-up by id of ${batch.length} ${stream.rootField} with an answer that cannot prove them deleted (${parsed.error.issues
          .map((issue) => `${issue.path.join('.') || '(answer)'}: ${issue.message}`)
          .slice(0, 3)
          .join('; ')}): nothing is marked deleted`,
      );
    }
    for (const edge of parsed.data.edges ?? []) {
      const dbId = Number(edge.node.dbId);
      // Only the ids asked for count: another record in the answer proves nothing about them.
      if (asked.has(dbId)) {
        alive.set(dbId, edge.node.ownerDbId === undefined ? ownerWhenUnread : Number(edge.node.ownerDbId));
      }
    }
  }
  return alive;
}

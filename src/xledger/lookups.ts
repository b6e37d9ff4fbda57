import type { StreamLookup } from '../datatypes/stream';
import type { XledgerClient } from './client';
import type { FilterValues } from './filter-fields';
import { objectKindPages } from './operations';
import { paginate } from './paginate';

/**
 * Resolves a stream's look-up to filter values: the dbIds of the object kinds with the named
 * name (e.g. TAX_RULE; its dbId differs per installation, and a token over several owners
 * sees one per owner). Ids as numbers: id lists are `[Int!]` (operations.ts, FILTER_FIELDS).
 */
export async function resolveLookup(
  client: XledgerClient,
  lookup: StreamLookup,
  pageSize: number,
): Promise<FilterValues> {
  const dbIds: number[] = [];
  for await (const page of paginate<{ dbId: number | string; name: string | null }>(
    client,
    objectKindPages(),
    {
      pageSize,
    },
  )) {
    for (const kind of page.nodes) if (kind.name === lookup.objectKindName) dbIds.push(Number(kind.dbId));
  }
  return { [lookup.filterField]: dbIds };
}

import type { Connection } from '@temporalio/client';
import { SearchAttributeType } from '@temporalio/common';
// With `.js`: the CLI reaches this file, and dist/cli.js runs on plain node, which needs the file name.
import { encodeSearchAttributeIndexedValueType } from '@temporalio/common/lib/search-attributes.js';
import { customSearchAttributes } from './search-attributes';

/**
 * Whether a namespace has the custom search attributes the service's workflows carry, and
 * registering the missing ones: the dev stack does it when it starts a server
 * (devstack/temporal-server.ts), `xledger-sync doctor --fix` on any namespace where the
 * operator API allows it (Temporal Cloud does not: there they are added in its console).
 */
export interface SearchAttributeDef {
  name: string;
  type: SearchAttributeType;
}

type IndexedValueType = NonNullable<ReturnType<typeof encodeSearchAttributeIndexedValueType>>;

function encodeType(type: SearchAttributeType): IndexedValueType {
  const encoded = encodeSearchAttributeIndexedValueType(type);
  if (encoded === undefined) throw new Error(`unknown search attribute type ${type}`);
  return encoded;
}

/** The server's numeric IndexedValueType → the SDK's type name. */
function decodeType(value: IndexedValueType): string {
  const found = Object.values(SearchAttributeType).find((t) => encodeType(t) === value);
  return found ?? `IndexedValueType(${value})`;
}

export interface SearchAttributeStatus {
  /** Not registered on the namespace. */
  missing: string[];
  /** Registered with another type (which cannot be changed): `Name is TEXT, expected KEYWORD`. */
  conflicts: string[];
}

export async function searchAttributeStatus(
  connection: Connection,
  namespace: string,
  attrs: readonly SearchAttributeDef[] = customSearchAttributes,
): Promise<SearchAttributeStatus> {
  const existing =
    (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
  const status: SearchAttributeStatus = { missing: [], conflicts: [] };
  for (const a of attrs) {
    const have = existing[a.name];
    if (have === undefined || have === null) status.missing.push(a.name);
    else if (have !== encodeType(a.type))
      status.conflicts.push(`${a.name} is ${decodeType(have)}, expected ${a.type}`);
  }
  return status;
}

/** Registers these attributes (by name, from `attrs`) on the namespace. */
export async function addSearchAttributes(
  connection: Connection,
  namespace: string,
  names: readonly string[],
  attrs: readonly SearchAttributeDef[] = customSearchAttributes,
): Promise<void> {
  if (names.length === 0) return;
  const searchAttributes = Object.fromEntries(
    attrs.filter((a) => names.includes(a.name)).map((a) => [a.name, encodeType(a.type)]),
  );
  await connection.operatorService.addSearchAttributes({ namespace, searchAttributes });
}

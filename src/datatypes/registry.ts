import { accounts } from './accounts';
import { currencies } from './currencies';
import { masterDataTypeNames } from '../domain/data-types';
import type { DataTypeDefinition } from './datatype';
import { dimensions } from './dimensions';
import { fixedAssets } from './fixed-assets';
import { projects } from './projects';
import type { StreamDefinition } from './stream';
import { suppliers } from './suppliers';
import { vatCodes } from './vat-codes';

/**
 * The one data-type registry, in the order of domain/data-types.ts' names. A new data type is one
 * file in this folder, a line here and its name there.
 */
export const dataTypes: readonly DataTypeDefinition[] = [
  suppliers,
  accounts,
  dimensions,
  currencies,
  vatCodes,
  projects,
  fixedAssets,
];

export function getDataType(name: string): DataTypeDefinition {
  const found = dataTypes.find((type) => type.name === name);
  if (!found) throw new Error(`Unknown data type "${name}"; known: ${masterDataTypeNames.join(', ')}`);
  return found;
}

export function getStream(name: string): StreamDefinition {
  const stream = findStream(name);
  if (!stream) throw new Error(`Unknown stream "${name}"`);
  return stream;
}

export function findStream(name: string): StreamDefinition | undefined {
  for (const type of dataTypes) {
    const stream = type.streams.find((candidate) => candidate.name === name);
    if (stream) return stream;
  }
  return undefined;
}

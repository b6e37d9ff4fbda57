/**
 * Relay-style paging and `<field>_<op>` filters over rows sorted by a numeric key (dbId, or the
 * delta sequence). Pages are found by binary search on the cursor and a forward or backward
 * scan that stops as soon as the page is full, so no request copies or sorts a whole table.
 */
import { invalidValue } from './scalars';
import { lowerBound } from './record-table';

/** Xledger returns at most 10,000 records per query (H). */
export const MAX_PAGE_SIZE = 10_000;
/** (A) Xledger's default page size is unknown; without first/last we return a full page. */
export const DEFAULT_PAGE_SIZE = 10_000;

export interface PageArgs {
  first?: number | null;
  last?: number | null;
  after?: string | null;
  before?: string | null;
}

export interface Edge<T> {
  cursor: string;
  node: T;
}

export interface Page<T> {
  edges: Edge<T>[];
  /** endCursor: the last edge's cursor, null on an empty page (M: Profitbase reads it). */
  pageInfo: { hasNextPage: boolean; hasPreviousPage: boolean; endCursor: string | null };
}

function checkSize(name: string, value: number | null | undefined): number | null {
  if (value == null) return null;
  if (!Number.isInteger(value) || value < 0) {
    throw invalidValue(`Argument "${name}" must be a non-negative integer, got ${value}`);
  }
  if (value > MAX_PAGE_SIZE) {
    throw invalidValue(`Argument "${name}" is ${value}; at most ${MAX_PAGE_SIZE} records can be requested`);
  }
  return value;
}

function checkCursor(name: string, value: string | null | undefined): number | null {
  if (value == null) return null;
  if (!/^\d{1,16}$/.test(value))
    throw invalidValue(`Argument "${name}" is not a valid cursor: ${JSON.stringify(value)}`);
  return Number(value);
}

/**
 * One page of `rows` (sorted ascending by `keyOf`), keeping rows for which `keep` is true.
 * The cursor of an edge is its key as a string.
 */
export function paginate<T>(
  rows: readonly T[],
  keyOf: (row: T) => number,
  keep: (row: T) => boolean,
  args: PageArgs,
): Page<T> {
  const first = checkSize('first', args.first);
  const last = checkSize('last', args.last);
  const after = checkCursor('after', args.after);
  const before = checkCursor('before', args.before);

  const low = after === null ? 0 : lowerBound(rows, keyOf, after + 1);
  const high = before === null ? rows.length : lowerBound(rows, keyOf, before);
  const anyKept = (from: number, to: number, step: 1 | -1) => {
    for (let index = from; step === 1 ? index < to : index >= to; index += step) {
      if (keep(rows[index] as T)) return true;
    }
    return false;
  };

  let selected: T[] = [];
  let hasNextPage: boolean;
  let hasPreviousPage: boolean;
  if (last !== null && first === null) {
    // Walk backwards from `before` (newest first), then restore ascending order.
    for (let index = high - 1; index >= low && selected.length <= last; index--) {
      const row = rows[index] as T;
      if (keep(row)) selected.push(row);
    }
    hasPreviousPage = selected.length > last;
    selected = selected.slice(0, last).reverse();
    hasNextPage = before !== null && anyKept(high, rows.length, 1);
  } else {
    const size = first ?? DEFAULT_PAGE_SIZE;
    for (let index = low; index < high && selected.length <= size; index++) {
      const row = rows[index] as T;
      if (keep(row)) selected.push(row);
    }
    hasNextPage = selected.length > size;
    selected = selected.slice(0, size);
    hasPreviousPage = after !== null && anyKept(low - 1, 0, -1);
    if (last !== null && selected.length > last) {
      selected = selected.slice(selected.length - last);
      hasPreviousPage = true;
    }
  }
  const edges = selected.map((node) => ({ cursor: String(keyOf(node)), node }));
  return { edges, pageInfo: { hasNextPage, hasPreviousPage, endCursor: edges.at(-1)?.cursor ?? null } };
}

const OPERATORS = ['_in', '_gte', '_gt', '_lte', '_lt'] as const;
type Operator = (typeof OPERATORS)[number] | '';

type Predicate = (record: Record<string, unknown>) => boolean;

function comparable(value: unknown): value is number | string {
  return typeof value === 'number' || typeof value === 'string';
}

/**
 * Compiles a `<Type>_Filter` argument into one predicate. A bare field means equality; the
 * suffixes `_in`, `_gt`, `_gte`, `_lt`, `_lte` compare. Wall-clock DateTimes and Dates compare
 * as strings (they are normalised to a fixed width), ids as numbers. Null values are ignored.
 */
export function compileFilter(filter: Record<string, unknown> | null | undefined): Predicate | null {
  if (!filter) return null;
  const predicates: Predicate[] = [];
  for (const [key, value] of Object.entries(filter)) {
    if (value === null || value === undefined) continue;
    const operator: Operator = OPERATORS.find((candidate) => key.endsWith(candidate)) ?? '';
    const field = key.slice(0, key.length - operator.length);
    switch (operator) {
      case '_in': {
        const allowed = new Set(value as unknown[]);
        predicates.push((record) => allowed.has(record[field]));
        break;
      }
      case '_gt':
        predicates.push(
          (record) => comparable(record[field]) && (record[field] as number) > (value as number),
        );
        break;
      case '_gte':
        predicates.push(
          (record) => comparable(record[field]) && (record[field] as number) >= (value as number),
        );
        break;
      case '_lt':
        predicates.push(
          (record) => comparable(record[field]) && (record[field] as number) < (value as number),
        );
        break;
      case '_lte':
        predicates.push(
          (record) => comparable(record[field]) && (record[field] as number) <= (value as number),
        );
        break;
      default:
        predicates.push((record) => record[field] === value);
    }
  }
  if (predicates.length === 0) return null;
  return (record) => predicates.every((predicate) => predicate(record));
}

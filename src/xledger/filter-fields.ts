/**
 * How each filter field the client sends is written in a document (operations.ts builds the
 * documents): a variable where its type name is confirmed for that field, else an inline literal,
 * which needs no type name (../shared/xledger-api.md, "Round three": a wrong type name makes the
 * real API refuse the whole document).
 */
import type { StreamDefinition } from '../datatypes/stream';

/**
 * The type names a document may declare anywhere: GraphQL's own `Int`, `String` and `ID`, which
 * every schema has. Xledger's own scalar names are confirmed only for one place each, and are
 * declared only there (FILTER_FIELDS): `DateTimeString` for projects' `modifiedAt_gte` (H:
 * Xledger's sample). `Int64String` is confirmed (the sample's `$dbId: Int64String!`), but not for
 * an id list — those are `[Int!]` (M, strong) — so the client never needs it. `OwnerSet` is a real
 * input type (M: Skyvell), yet enum arguments are written inline all the same. Unconfirmed:
 * every `<Type>_Filter` name but `Customer_Filter` and `ARTransaction_Filter` (types we do not
 * read), `ObjectStatus`.
 */
export const CONFIRMED_TYPE_NAMES = ['Int', 'String', 'ID'] as const;

/** How one filter field is written in a document. */
interface FilterFieldSpec {
  variable: string;
  /** The variable's type, declared non-null: a non-null variable fits a nullable argument too. */
  type: string;
  /**
   * The root fields where `type` is confirmed for this filter field; on any other the value is
   * written inline as a literal (`literal`), so that no unconfirmed type name is declared.
   * Undefined: confirmed wherever the field is sent.
   */
  declaredOn?: readonly string[];
  /** The value as the variable carries it (e.g. ids as numbers, whatever a checkpoint stored). */
  encode: (value: unknown) => unknown;
  /** The value as an inline GraphQL literal. */
  literal: (value: unknown) => string;
}

/**
 * The filter fields the client sends.
 * - modifiedAt_gte: `$since: DateTimeString!` on projects (H: Xledger's sample declares it for
 *   projects' modifiedAt_gte); elsewhere an inline string literal — round three confirms the type
 *   name for projects only, and a string literal fits whichever scalar the real field takes.
 * - objectKindDbId_in: `[Int!]!`, as every id list (M, strong: Skyvell's dbId_in, onecore's
 *   matchId_in). (A) that the filter field exists: go-xledger shows the equality filter
 *   objectKindDbId only.
 */
const FILTER_FIELDS = {
  modifiedAt_gte: {
    variable: 'since',
    type: 'DateTimeString!',
    declaredOn: ['projects'],
    encode: String,
    // A JSON string is a valid GraphQL string literal (the same quotes and escapes).
    literal: (value) => JSON.stringify(String(value)),
  },
  objectKindDbId_in: {
    variable: 'objectKindDbIds',
    type: '[Int!]!',
    // Ids as numbers: a checkpoint written before ids were [Int!] holds them as strings.
    encode: (value) => (value as unknown[]).map(Number),
    literal: (value) => `[${(value as unknown[]).map(Number).join(', ')}]`,
  },
} as const satisfies Record<string, FilterFieldSpec>;

export type FilterField = keyof typeof FILTER_FIELDS;
/** Filter values of one request, by filter field (as stored in a checkpoint's lookupFilter). */
export type FilterValues = Partial<Record<FilterField, unknown>>;

function filterFieldOf(field: string): FilterField {
  if (!(field in FILTER_FIELDS)) throw new Error(`The client sends no filter field "${field}"`);
  return field as FilterField;
}

/** The filter a stream reads with: its looked-up values and, incrementally, `modifiedAt_gte`. */
export function streamFilter(
  stream: StreamDefinition,
  lookup: FilterValues,
  since: string | null,
): FilterValues {
  return {
    ...lookup,
    ...(since !== null && stream.changeCursor ? { [`${stream.changeCursor}_gte`]: since } : {}),
  };
}

/** A filter as it stands in a document: the `filter:` argument, its variables and their values. */
export interface WrittenFilter {
  /** `filter: { … }`, or null without filter fields. */
  argument: string | null;
  variableDefinitions: string[];
  variables: Record<string, unknown>;
}

/** Writes a filter of `rootField`: each field as a variable where its type is confirmed there, else inline. */
export function writeFilter(rootField: string, filter: FilterValues): WrittenFilter {
  const fields = Object.keys(filter).map(filterFieldOf);
  if (fields.length === 0) return { argument: null, variableDefinitions: [], variables: {} };
  const declared = (field: FilterField): boolean => {
    const spec: FilterFieldSpec = FILTER_FIELDS[field];
    return spec.declaredOn === undefined || spec.declaredOn.includes(rootField);
  };
  const asVariables = fields.filter(declared);
  const entries = fields.map((field) =>
    declared(field)
      ? `${field}: $${FILTER_FIELDS[field].variable}`
      : `${field}: ${FILTER_FIELDS[field].literal(filter[field])}`,
  );
  return {
    argument: `filter: { ${entries.join(', ')} }`,
    variableDefinitions: asVariables.map(
      (field) => `$${FILTER_FIELDS[field].variable}: ${FILTER_FIELDS[field].type}`,
    ),
    variables: Object.fromEntries(
      asVariables.map((field) => [FILTER_FIELDS[field].variable, FILTER_FIELDS[field].encode(filter[field])]),
    ),
  };
}

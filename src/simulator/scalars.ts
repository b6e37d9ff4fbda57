/**
 * The custom scalars of the SDL. Input errors carry extensions.code INVALID_VALUE, the code
 * Xledger uses for bad values (xledger-api.md, M).
 */
import { GraphQLError, GraphQLScalarType, Kind, type ValueNode } from 'graphql';
import { isCalendarDate, normalizeWallClock } from './clock';

export function invalidValue(message: string): GraphQLError {
  return new GraphQLError(message, { extensions: { code: 'INVALID_VALUE' } });
}

function toInt64(value: unknown, scalar: string): number {
  if (typeof value === 'number' && Number.isSafeInteger(value)) return value;
  if (typeof value === 'bigint') return toInt64(Number(value), scalar);
  if (typeof value === 'string' && /^-?\d{1,16}$/.test(value)) {
    const parsed = Number(value);
    if (Number.isSafeInteger(parsed)) return parsed;
  }
  throw invalidValue(`${scalar} cannot represent ${JSON.stringify(value)}: expected an integer id`);
}

function literalValue(ast: ValueNode): unknown {
  if (ast.kind === Kind.INT) return Number(ast.value);
  if (ast.kind === Kind.FLOAT) return Number(ast.value);
  if (ast.kind === Kind.STRING) return ast.value;
  return undefined;
}

/** dbIds: a JSON number on output (ids stay below 2^53), number or string on input. */
export const Int64 = new GraphQLScalarType({
  name: 'Int64',
  serialize: (value) => toInt64(value, 'Int64'),
  parseValue: (value) => toInt64(value, 'Int64'),
  parseLiteral: (ast) => toInt64(literalValue(ast), 'Int64'),
});

/** Ids in lists (dbId_in): a string on output; internally a number, like Int64. */
export const Int64String = new GraphQLScalarType({
  name: 'Int64String',
  serialize: (value) => String(toInt64(value, 'Int64String')),
  parseValue: (value) => toInt64(value, 'Int64String'),
  parseLiteral: (ast) => toInt64(literalValue(ast), 'Int64String'),
});

function toDate(value: unknown): string {
  if (typeof value === 'string' && isCalendarDate(value)) return value;
  throw invalidValue(`Date cannot represent ${JSON.stringify(value)}: expected YYYY-MM-DD`);
}

export const DateScalar = new GraphQLScalarType({
  name: 'Date',
  serialize: (value) => {
    if (typeof value === 'string') return value;
    throw new GraphQLError(`Date cannot serialize ${JSON.stringify(value)}`);
  },
  parseValue: toDate,
  parseLiteral: (ast) => toDate(literalValue(ast)),
});

/**
 * (A) Xledger's DateTimeString input is shown only as yyyy-MM-ddTHH:mm:ss (its sample formats
 * exactly that); whether it also takes a fraction or an offset is not published. The simulator
 * takes the shown format only, so a client sending anything else fails here first.
 */
const DATE_TIME_STRING = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}$/;

function toDateTimeString(value: unknown): string {
  const normalized =
    typeof value === 'string' && DATE_TIME_STRING.test(value) ? normalizeWallClock(value) : null;
  if (normalized) return normalized;
  throw invalidValue(
    `DateTimeString cannot represent ${JSON.stringify(value)}: expected CET wall-clock time yyyy-MM-ddTHH:mm:ss, without fraction or offset`,
  );
}

function serializeWallClock(name: string) {
  return (value: unknown) => {
    if (typeof value === 'string') return value;
    throw new GraphQLError(`${name} cannot serialize ${JSON.stringify(value)}`);
  };
}

/** CET/CEST wall-clock time, yyyy-MM-ddTHH:mm:ss (H: Xledger's sample declares $since: DateTimeString). */
export const DateTimeString = new GraphQLScalarType({
  name: 'DateTimeString',
  serialize: serializeWallClock('DateTimeString'),
  parseValue: toDateTimeString,
  parseLiteral: (ast) => toDateTimeString(literalValue(ast)),
});

function toDateTime(value: unknown): string {
  const normalized = typeof value === 'string' ? normalizeWallClock(value) : null;
  if (normalized) return normalized;
  throw invalidValue(
    `DateTime cannot represent ${JSON.stringify(value)}: expected CET wall-clock time YYYY-MM-DDTHH:mm:ss[.SSS] without offset`,
  );
}

/** The posting side's timestamps (GL import lines); a fraction on input is dropped. */
export const DateTime = new GraphQLScalarType({
  name: 'DateTime',
  serialize: serializeWallClock('DateTime'),
  parseValue: toDateTime,
  parseLiteral: (ast) => toDateTime(literalValue(ast)),
});

const DECIMAL = /^-?\d+(\.\d+)?$/;

function toDecimal(value: unknown): string {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  if (typeof value === 'string' && DECIMAL.test(value)) return value;
  throw invalidValue(
    `Decimal cannot represent ${JSON.stringify(value)}: expected a decimal string like "101.00"`,
  );
}

export const Decimal = new GraphQLScalarType({
  name: 'Decimal',
  serialize: (value) => {
    if (typeof value === 'string') return value;
    if (typeof value === 'number') return value.toFixed(2);
    throw new GraphQLError(`Decimal cannot serialize ${JSON.stringify(value)}`);
  },
  parseValue: toDecimal,
  parseLiteral: (ast) => toDecimal(literalValue(ast)),
});

export const scalars = { Int64, Int64String, Date: DateScalar, DateTimeString, DateTime, Decimal };

/** Decimal string → integer hundredths, for voucher balance checks without float drift. */
export function decimalToCents(value: string): number | null {
  if (!DECIMAL.test(value)) return null;
  const negative = value.startsWith('-');
  const [whole = '0', fraction = ''] = value.replace('-', '').split('.');
  if (fraction.length > 2 && /[1-9]/.test(fraction.slice(2))) return null;
  const cents = Number(whole) * 100 + Number(fraction.slice(0, 2).padEnd(2, '0'));
  return negative ? -cents : cents;
}

/**
 * Xledger's `rateLimit { remaining cost }` (M: Profitbase names the field and both subfields; A:
 * that it is a root field of Query, and Ints): the hourly credit pool left after a request, and
 * what the request cost. Read only where the tenant's live schema has it (schema-check.ts,
 * `rateLimit`): then every query the client sends asks for it beside its own fields, under an
 * alias of its own, and the answer is taken out again before the caller sees it. The gate
 * (request-gate.ts, noteCredits) pauses the token before the pool is empty; without the field the
 * client waits for Xledger's refusal, as before.
 */
import {
  Kind,
  OperationTypeNode,
  parse,
  print,
  validate,
  type DocumentNode,
  type FieldNode,
  type GraphQLSchema,
} from 'graphql';
import { z } from 'zod';

/** The response key the pool's figures come under: no catalogue query uses it. */
export const RATE_LIMIT_ALIAS = 'xlsRateLimit';

const RATE_LIMIT_SELECTION = 'rateLimit { remaining cost }';

const rateLimitAnswer = z.object({
  remaining: z.number().int().nullable().optional(),
  cost: z.number().int().nullable().optional(),
});

export interface RateLimitFigures {
  remaining: number | null;
  cost: number | null;
}

/** Whether a live schema offers `rateLimit { remaining cost }` on its query root. */
export function schemaHasRateLimit(schema: GraphQLSchema): boolean {
  return validate(schema, parse(`query rateLimitCheck { ${RATE_LIMIT_SELECTION} }`)).length === 0;
}

const FIELD: FieldNode = (() => {
  const document = parse(`{ ${RATE_LIMIT_ALIAS}: ${RATE_LIMIT_SELECTION} }`);
  const operation = document.definitions[0];
  if (operation?.kind !== Kind.OPERATION_DEFINITION) throw new Error('unreachable');
  return operation.selectionSet.selections[0] as FieldNode;
})();

/** Documents asked for recently, with the field added (catalogue documents repeat). */
const withField = new Map<string, string>();
const KEPT = 64;

/**
 * The query with `rateLimit { remaining cost }` added to its root selection; a mutation, a
 * document of several operations or one that does not parse is returned as it is.
 */
export function withRateLimit(document: string): string {
  const known = withField.get(document);
  if (known !== undefined) return known;
  let result = document;
  try {
    const parsed: DocumentNode = parse(document);
    const operations = parsed.definitions.filter((d) => d.kind === Kind.OPERATION_DEFINITION);
    const [operation] = operations;
    if (operations.length === 1 && operation && operation.operation === OperationTypeNode.QUERY) {
      result = print({
        ...parsed,
        definitions: parsed.definitions.map((definition) =>
          definition === operation
            ? {
                ...operation,
                selectionSet: {
                  ...operation.selectionSet,
                  selections: [...operation.selectionSet.selections, FIELD],
                },
              }
            : definition,
        ),
      });
    }
  } catch {
    // Not ours to judge here: the request goes as it is and Xledger answers it.
  }
  withField.set(document, result);
  if (withField.size > KEPT) withField.delete(withField.keys().next().value!);
  return result;
}

/**
 * Takes the pool's figures out of an answer (so the caller sees only what it asked for); null
 * when the answer has none, or none that reads as figures.
 */
export function takeRateLimit(data: unknown): RateLimitFigures | null {
  if (data === null || typeof data !== 'object' || !(RATE_LIMIT_ALIAS in data)) return null;
  const record = data as Record<string, unknown>;
  const parsed = rateLimitAnswer.safeParse(record[RATE_LIMIT_ALIAS]);
  delete record[RATE_LIMIT_ALIAS];
  if (!parsed.success) return null;
  return { remaining: parsed.data.remaining ?? null, cost: parsed.data.cost ?? null };
}

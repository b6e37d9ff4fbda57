import { Argument, Option } from 'commander';
import { parseTenantId } from '../client/input';
import { parseStateFilter } from '../client/tenant-state';

/*
 * Arguments the CLI checks as it parses them, before any command connects to MongoDB or
 * Temporal: bad input exits 2 at once, naming the field, whatever is reachable.
 */

/** `<tenantId>`, checked with the API's own rule. */
export const tenantArgument = () =>
  new Argument('<tenantId>', 'the tenant id').argParser((value: string) => parseTenantId(value));

/**
 * `--type a,b`, repeatable (`--type a --type b`). One value per flag, so the option never takes
 * the tenant id that follows it (`tenant resync --type suppliers acme`).
 */
export const dataTypesOption = (known: readonly string[]) =>
  new Option(
    '-t, --type <dataTypes>',
    `data types, comma-separated (default: all enabled): ${known.join(',')}`,
  ).argParser((value: string, previous: string[] | undefined) => [
    ...(previous ?? []),
    ...value
      .split(',')
      .map((item) => item.trim())
      .filter((item) => item.length > 0),
  ]);

/** `--state failed,needs_attention`, checked as the API checks its state filter. */
export const stateFilterOption = (description: string) =>
  new Option('--state <states>', description).argParser((value: string) => {
    parseStateFilter(value);
    return value;
  });

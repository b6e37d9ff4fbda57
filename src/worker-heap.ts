import { setFlagsFromString } from 'node:v8';

/**
 * V8 lets a heap grow to up to four times what was live after its last full collection before
 * it collects again. A full pass allocates a lot and keeps little — each page of 10,000 records
 * is parsed, validated, hashed and serialised, then dropped — so with V8's own policy the
 * worker's RSS follows how many pages went by, not what is live: +163 MB from 10,000 to 100,000
 * suppliers (npm run bench -- sync). A fixed growth keeps RSS near the live set (+30 MB at 50%),
 * for a little more collection time. V8 reads the flag at each collection, so it applies from
 * here on; NODE_OPTIONS cannot carry it.
 */
export function limitHeapGrowth(percent: number): void {
  if (percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}

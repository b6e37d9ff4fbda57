/**
 * What a failing pass had spent in Xledger (requests and bytes, its failing request included),
 * carried from the error syncStream throws to the failure the workflow sees
 * (cast-known-errors.ts puts it in the failure's details as `spent`), so that the failed run's
 * record counts it (src/activities/run-outcome.ts).
 */
export interface PassSpent {
  stream: string;
  requests: number;
  bytesSent: number;
  bytesReceived: number;
}

const spentByError = new WeakMap<object, PassSpent>();

export function noteSpent(error: unknown, spent: PassSpent): void {
  if (error !== null && typeof error === 'object') spentByError.set(error, spent);
}

export function spentOf(error: unknown): PassSpent | undefined {
  return error !== null && typeof error === 'object' ? spentByError.get(error) : undefined;
}

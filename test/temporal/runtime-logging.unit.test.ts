import { Writable } from 'node:stream';
import { ApplicationFailure } from '@temporalio/common';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { sdkLogToPino } from '../../src/temporal/runtime';

/**
 * The Temporal SDK logs a failed activity as "Activity failed" with the error under `error`;
 * pino prints an Error in full only under `err` (elsewhere it is `{}`). The log line of a failed
 * activity must name what failed.
 */
function capture() {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { lines, logger: pino({ level: 'debug' }, stream) };
}

describe('the SDK log lines in pino', () => {
  it('a failed activity names the error: its class, failure type and message', async () => {
    const { lines, logger } = capture();
    const failure = ApplicationFailure.create({
      message: 'Xledger is unavailable (tenant acme, suppliers)',
      type: 'XledgerUnavailable',
    });
    sdkLogToPino(logger)({
      level: 'WARN',
      message: 'Activity failed',
      timestampNanos: 0n,
      meta: { error: failure, durationMs: 12, activityType: 'syncStream' },
    });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines).toHaveLength(1);
    const line = lines[0]!;
    expect(line).toMatchObject({
      level: 40,
      msg: 'Activity failed',
      component: 'temporal-sdk',
      durationMs: 12,
      activityType: 'syncStream',
      failureType: 'XledgerUnavailable',
      err: { type: 'ApplicationFailure', message: 'Xledger is unavailable (tenant acme, suppliers)' },
    });
    expect((line.err as { stack: string }).stack).toMatch(/Xledger is unavailable/);
    expect(line).not.toHaveProperty('error');
  });

  it('a plain Error too; lines without an error are unchanged', async () => {
    const { lines, logger } = capture();
    const log = sdkLogToPino(logger);
    log({
      level: 'ERROR',
      message: 'Worker failed',
      timestampNanos: 0n,
      meta: { error: new TypeError('boom') },
    });
    log({ level: 'INFO', message: 'Worker state changed', timestampNanos: 0n, meta: { state: 'DRAINING' } });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines[0]).toMatchObject({ level: 50, err: { type: 'TypeError', message: 'boom' } });
    expect(lines[0]).not.toHaveProperty('failureType');
    expect(lines[1]).toMatchObject({ level: 30, msg: 'Worker state changed', state: 'DRAINING' });
    expect(lines[1]).not.toHaveProperty('err');
  });
});

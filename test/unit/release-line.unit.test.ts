import { describe, expect, it } from 'vitest';
import { compatibleVersions, releaseLine } from '../../src/client/compatibility';
import { versionOfIdentity, workerIdentity } from '../../src/temporal/worker-identity';

/** CHANGELOG.md's rule as the client applies it at connect (client/compatibility.ts). */
describe('the client/worker release line', () => {
  it('is the minor version while 0.x and the major version from 1.0', () => {
    expect(compatibleVersions('0.2.0', '0.2.3')).toBe(true);
    expect(compatibleVersions('0.2.3', '0.2.0-rc.1')).toBe(true);
    expect(compatibleVersions('0.2.0', '0.3.0')).toBe(false);
    expect(compatibleVersions('0.2.0', '0.1.9')).toBe(false);
    expect(compatibleVersions('1.2.0', '1.5.1')).toBe(true);
    expect(compatibleVersions('1.2.0', '2.0.0')).toBe(false);
    expect(compatibleVersions('0.1.0', '1.1.0')).toBe(false);
    expect(compatibleVersions('0.2.0', null)).toBe(false);
    expect(releaseLine('garbage')).toBeNull();
  });

  it('is read from the version a worker announces in its identity', () => {
    expect(versionOfIdentity(workerIdentity('0.2.1'))).toBe('0.2.1');
    expect(workerIdentity('0.2.1')).toMatch(/^\d+@\S+ xledger-sync\/0\.2\.1$/);
    expect(versionOfIdentity('1234@host')).toBeNull();
    expect(versionOfIdentity('1234@host xledger-sync/next')).toBeNull();
  });
});

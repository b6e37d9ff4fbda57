import packageJson from '../package.json' with { type: 'json' };

/** The package's version, as `xledger-sync --version` prints it (built into dist/ by the build). */
export const version: string = packageJson.version;

import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

/** The entry points: nothing in the layers below imports them. */
const entryPoints = [
  './src/push',
  './src/api',
  './src/client',
  './src/client.ts',
  './src/cli',
  './src/cli.ts',
  './src/index.ts',
  './src/worker.ts',
  './src/dev',
];
/** Everything below the entry points. */
const layers = [
  './src/domain',
  './src/datatypes',
  './src/security',
  './src/config.ts',
  './src/config-types.ts',
  './src/errors.ts',
  './src/logger.ts',
  './src/xledger',
  './src/catalogue',
  './src/store',
  './src/sync',
  './src/events',
  './src/invoices',
  './src/activities',
  './src/observability',
  './src/temporal',
  './src/workflows',
];
/** What the Xledger client, the store and the data types may never use: they know nothing of Temporal. */
const temporalPackages = {
  group: ['@temporalio/*'],
  message: 'Knows nothing of Temporal: the layers above (activities, temporal/) wire it in.',
};

/**
 * The layers, one way (README, "Source layout"): domain/ at the bottom imports nothing of ours;
 * datatypes/ the domain; xledger/ and store/ the model (domain, datatypes) and never each other
 * nor Temporal; sync/, events/, invoices/, activities/ anything below and of temporal/ only ids,
 * starters, definitions and search attributes; workflows/ the domain, the definitions and
 * activities' types only; and nothing below imports an entry point (client, CLI, worker, dev).
 */
const layerZones = [
  {
    target: './src/domain',
    from: './src',
    except: ['./domain'],
    message: 'domain/ imports only zod and itself.',
  },
  {
    target: './src/datatypes',
    from: './src',
    except: ['./domain', './datatypes'],
    message: 'datatypes/ imports only the domain.',
  },
  {
    target: './src/xledger',
    from: './src',
    except: ['./domain', './datatypes', './security', './xledger'],
    message:
      'xledger/ imports only the model (domain, datatypes) and the endpoint policy: never the store or Temporal.',
  },
  {
    target: './src/store',
    from: './src',
    except: ['./domain', './datatypes', './store', './config.ts', './config-types.ts', './errors.ts'],
    message:
      'store/ imports only the model (domain, datatypes) and the configuration: never xledger/ or Temporal.',
  },
  {
    target: ['./src/sync', './src/events', './src/invoices'],
    from: './src/temporal',
    except: ['./ids.ts', './starters.ts', './definitions.ts', './search-attributes.ts'],
    message:
      'Below the client, workflows are named and started only through temporal/{ids,starters,definitions}.',
  },
  {
    // The push watch re-times a tenant's schedules (activities/push-watch.ts): wiring Temporal is
    // what activities are for, so they may use the schedules too.
    target: './src/activities',
    from: './src/temporal',
    except: [
      './ids.ts',
      './starters.ts',
      './definitions.ts',
      './search-attributes.ts',
      './schedules.ts',
      './scheduled-jobs.ts',
    ],
    message:
      'Below the client, workflows are named and started only through temporal/{ids,starters,definitions} (activities: and schedules).',
  },
  {
    target: [
      './src/domain',
      './src/datatypes',
      './src/xledger',
      './src/store',
      './src/sync',
      './src/events',
      './src/invoices',
      './src/activities',
      './src/observability',
      './src/temporal',
    ],
    from: './src/workflows',
    message: 'Only the worker loads workflow code (by path); name workflows through temporal/definitions.ts.',
  },
  {
    target: './src/temporal',
    from: [
      './src/store',
      './src/xledger',
      './src/sync',
      './src/events',
      './src/invoices',
      './src/activities',
      './src/observability',
    ],
    message:
      'temporal/ names, starts and schedules workflows: it imports the model and the configuration only.',
  },
  {
    target: './src/workflows',
    from: './src',
    except: [
      './domain',
      './workflows',
      './temporal/definitions.ts',
      './temporal/search-attributes.ts',
      './activities',
    ],
    message: 'Workflows import the domain, temporal/definitions.ts and the types of activities only.',
  },
  {
    target: './src/api',
    from: ['./src/cli', './src/cli.ts', './src/worker.ts', './src/dev', './src/workflows'],
    message:
      'The HTTP API is a top layer beside the CLI: it is built on the client API, never on the CLI or the worker.',
  },
  {
    target: ['./src/client', './src/client.ts', './src/index.ts', './src/worker.ts'],
    from: './src/api',
    message: 'Only the CLI (and its own entry point) starts the HTTP API.',
  },
  {
    target: layers,
    from: entryPoints,
    message: 'Nothing below the entry points imports the client, the CLI, the HTTP API, the worker or dev/.',
  },
];

export default tseslint.config(
  { ignores: ['node_modules/', '.data/', 'dist/', 'coverage/', 'clients/http/openapi.d.ts'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': 'error',
    },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { 'import-x': importX },
    settings: {
      'import-x/resolver-next': [createNodeResolver({ extensions: ['.ts', '.js', '.json'] })],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts'] },
      'import-x/extensions': ['.ts', '.js'],
    },
    rules: {
      'import-x/no-restricted-paths': ['error', { zones: layerZones }],
      // Run-time circles only: a type-only import is erased and never loads its module.
      'import-x/no-cycle': 'error',
    },
  },
  {
    files: ['src/domain/**/*.ts', 'src/datatypes/**/*.ts', 'src/xledger/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            temporalPackages,
            { group: ['mongodb'], message: 'Knows nothing of MongoDB: src/store/ does.' },
          ],
        },
      ],
    },
  },
  {
    files: ['src/store/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          patterns: [
            temporalPackages,
            {
              group: ['graphql-request', 'graphql'],
              message: 'Knows nothing of Xledger: src/xledger/ does.',
            },
          ],
        },
      ],
    },
  },
  {
    // Workflow code runs in Temporal's deterministic sandbox: no Node modules, no I/O.
    files: ['src/workflows/**/*.ts'],
    rules: {
      '@typescript-eslint/no-restricted-imports': [
        'error',
        {
          patterns: [
            {
              group: ['node:*', 'fs', 'path', 'os', 'crypto', 'http', 'https', 'net', 'child_process'],
              message: 'Workflows must not use Node modules.',
            },
            {
              group: [
                'mongodb',
                'graphql-request',
                'pino',
                '**/store/**',
                '**/xledger/**',
                '**/logger',
                '**/config',
              ],
              message: 'Workflows must not import I/O code; call an activity.',
            },
            {
              group: ['**/activities', '**/activities/**'],
              allowTypeImports: true,
              message:
                'Workflows take the types of activities only (proxyActivities<Activities>), never their code.',
            },
          ],
        },
      ],
    },
  },
);

/** The raw floor loop (floor.ts) as its own process: options in BENCH_FLOOR (JSON), figures on stdout. */
import { floorLoop, type FloorOptions } from './floor';

floorLoop(JSON.parse(process.env.BENCH_FLOOR ?? '{}') as FloorOptions).then(
  (figures) => {
    process.stdout.write(`${JSON.stringify(figures)}\n`);
    process.exit(0);
  },
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

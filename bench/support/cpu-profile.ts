/**
 * Summarises a V8 CPU profile (`node --cpu-prof`): the functions with the most self time, and
 * self time per source file — enough to see where a worker spends its CPU without a viewer.
 */
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Row } from './report';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));

function where(url: string): string {
  if (!url) return '(native)';
  const path = url.startsWith('file://') ? fileURLToPath(url) : url;
  const inRepo = relative(repoRoot, path);
  return inRepo.startsWith('node_modules/')
    ? inRepo.replace(/^node_modules\/((?:@[^/]+\/)?[^/]+).*$/, '$1')
    : inRepo.startsWith('..')
      ? path
      : inRepo;
}

export async function summariseCpuProfile(
  file: string,
  top = 25,
): Promise<{ functions: Row[]; files: Row[] }> {
  const profile = JSON.parse(await readFile(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
  const totalUs = profile.endTime - profile.startTime;
  const byFunction = new Map<string, number>();
  const byFile = new Map<string, number>();
  for (const node of profile.nodes) {
    const us = selfUs.get(node.id) ?? 0;
    if (us === 0) continue;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = where(url);
    const key = `${functionName || '(anonymous)'}  ${file}${url ? `:${lineNumber + 1}` : ''}`;
    byFunction.set(key, (byFunction.get(key) ?? 0) + us);
    byFile.set(file, (byFile.get(file) ?? 0) + us);
  }
  const rows = (map: Map<string, number>, label: string) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([name, us]) => ({
        [label]: name,
        'self ms': Math.round(us / 1000),
        '% of profile': Number(((100 * us) / totalUs).toFixed(1)),
      }));
  return { functions: rows(byFunction, 'function'), files: rows(byFile, 'file or package') };
}

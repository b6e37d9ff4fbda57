import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

export const repoRoot = path.resolve(import.meta.dirname, '../..');

/**
 * The source files that loading `entry` loads at run time, following relative imports as tsx
 * and the build do: `import type` and `export type` are erased, anything else (an import with
 * only inline `type` names too, under verbatimModuleSyntax) loads its module. Paths relative to
 * the repository, e.g. `src/config.ts`.
 */
export function runtimeModuleGraph(entry: string): Set<string> {
  const loaded = new Set<string>();
  const pending = [path.resolve(repoRoot, entry)];
  while (pending.length > 0) {
    const file = pending.pop()!;
    const relative = path.relative(repoRoot, file);
    if (loaded.has(relative)) continue;
    loaded.add(relative);
    for (const specifier of runtimeImports(file)) {
      if (!specifier.startsWith('.')) continue;
      const target = resolveSource(path.resolve(path.dirname(file), specifier));
      if (target) pending.push(target);
    }
  }
  return loaded;
}

function runtimeImports(file: string): string[] {
  const source = ts.createSourceFile(file, readFileSync(file, 'utf8'), ts.ScriptTarget.ES2022, true);
  const specifiers: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) && !node.importClause?.isTypeOnly) {
      specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (ts.isExportDeclaration(node) && !node.isTypeOnly && node.moduleSpecifier) {
      specifiers.push((node.moduleSpecifier as ts.StringLiteral).text);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteralLike(node.arguments[0])
    ) {
      specifiers.push(node.arguments[0].text);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return specifiers;
}

function resolveSource(base: string): string | null {
  const stem = base.replace(/\.js$/, '');
  for (const candidate of [`${stem}.ts`, path.join(stem, 'index.ts'), stem]) {
    if (existsSync(candidate) && candidate.endsWith('.ts')) return candidate;
  }
  return null;
}

/**
 * The package's type declarations (dist/types), made readable by every module resolution a
 * consumer may use. tsc copies the sources' extensionless relative specifiers into the `.d.ts`
 * files ('./client', "../store/changes", ".."), which a project resolving like Node ("nodenext")
 * cannot follow: each type that goes through one silently becomes `any` (or, without
 * skipLibCheck, an error). Here every relative specifier is found by parsing the declaration
 * with TypeScript itself — imports and exports (`from`), `import("…")` types, `declare module`
 * names and `/// <reference path>` — whatever its quotes, and completed to the file it names
 * ('./client.js', '../index.js'). Then each file is parsed again and the build fails on any
 * relative specifier that does not name an existing declaration, so a form this misses cannot
 * ship.
 */
import { existsSync } from 'node:fs';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import ts from 'typescript';

interface Specifier {
  /** Position of the text between the quotes. */
  start: number;
  end: number;
  text: string;
}

/** Every module specifier of a declaration file, with where its text sits. */
export function specifiersOf(fileName: string, text: string): Specifier[] {
  const source = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true);
  const found: Specifier[] = [];
  const literal = (node: ts.Node | undefined) => {
    if (node && ts.isStringLiteralLike(node)) {
      found.push({ start: node.getStart(source) + 1, end: node.getEnd() - 1, text: node.text });
    }
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) literal(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      literal(node.moduleReference.expression);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument))
      literal(node.argument.literal);
    else if (ts.isModuleDeclaration(node) && ts.isStringLiteral(node.name)) literal(node.name);
    else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      literal(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  for (const ref of source.referencedFiles) {
    found.push({ start: ref.pos, end: ref.end, text: ref.fileName });
  }
  return found;
}

const isRelative = (spec: string) => spec === '.' || spec === '..' || /^\.{1,2}\//.test(spec);

/** './x' → './x.js' or './x/index.js', as the declaration next to `file` says; null if neither exists. */
function completed(file: string, spec: string): string | null {
  if (/\.(d\.ts|js)$/.test(spec)) return spec;
  const target = resolve(dirname(file), spec);
  const base = spec.replace(/\/$/, '');
  if (existsSync(`${target}.d.ts`) && spec !== '.' && spec !== '..') return `${base}.js`;
  if (existsSync(join(target, 'index.d.ts'))) return `${base}/index.js`;
  return null;
}

/** Where a completed specifier must lead: an existing declaration file. */
function resolvesTo(file: string, spec: string): boolean {
  if (spec.endsWith('.d.ts')) return existsSync(resolve(dirname(file), spec));
  return spec.endsWith('.js') && existsSync(resolve(dirname(file), spec.replace(/\.js$/, '.d.ts')));
}

/** Completes the relative specifiers of every `.d.ts` under `dir`; throws naming any it cannot. */
export async function completeDeclarationSpecifiers(
  dir: string,
): Promise<{ files: number; rewritten: number }> {
  const problems: string[] = [];
  let files = 0;
  let rewritten = 0;
  for (const entry of await readdir(dir, { recursive: true })) {
    if (!entry.endsWith('.d.ts')) continue;
    files += 1;
    const path = join(dir, entry);
    let text = await readFile(path, 'utf8');
    // From the end, so that earlier positions stay valid.
    for (const spec of specifiersOf(path, text).sort((a, b) => b.start - a.start)) {
      if (!isRelative(spec.text)) continue;
      const next = completed(path, spec.text);
      if (next === null) {
        problems.push(`${entry}: '${spec.text}' names no declaration`);
        continue;
      }
      if (next !== spec.text) {
        text = text.slice(0, spec.start) + next + text.slice(spec.end);
        rewritten += 1;
      }
    }
    await writeFile(path, text);
    for (const spec of specifiersOf(path, text)) {
      if (isRelative(spec.text) && !resolvesTo(path, spec.text)) {
        problems.push(`${entry}: '${spec.text}' is left unresolvable`);
      }
    }
  }
  if (problems.length > 0) {
    throw new Error(
      `Type declarations with relative specifiers that do not resolve:\n${problems.join('\n')}`,
    );
  }
  return { files, rewritten };
}

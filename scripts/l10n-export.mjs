// The English message catalogue, extracted from the sources: every `t('…')` of the engine's
// catalogue (src/core/l10n.ts), every `vscode.l10n.t('…')` of the extension and every
// `l10n.t('…')` of the webviews (@vscode/l10n). `node scripts/l10n-export.mjs` writes it to
// l10n/bundle.l10n.json, the file a translator copies to l10n/bundle.l10n.LANG.json.
// (@vscode/l10n-dev's `export` knows only the vscode and @vscode/l10n imports, not the
// engine's own `t`, hence this extractor.)
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function sourceFiles(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return sourceFiles(p);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

/** The names under which a file calls a catalogue function: 't', 'vscode.l10n.t', 'l10n.t'. */
function catalogueCallees(sf) {
  const callees = new Set();
  for (const st of sf.statements) {
    if (!ts.isImportDeclaration(st) || !st.importClause) continue;
    const from = st.moduleSpecifier.text;
    const b = st.importClause.namedBindings;
    if (from === 'vscode' && b && ts.isNamespaceImport(b)) callees.add(`${b.name.text}.l10n.t`);
    if (from === '@vscode/l10n' && b && ts.isNamespaceImport(b)) callees.add(`${b.name.text}.t`);
    if ((from === '@vscode/l10n' || /(^|\/)l10n$/.test(from)) && b && ts.isNamedImports(b)) {
      // `mark('…')` (src/core/l10n.ts) names a message kept in English as data and shown through tMarked.
      for (const el of b.elements) if (['t', 'mark'].includes((el.propertyName ?? el.name).text)) callees.add(el.name.text);
    }
  }
  return callees;
}

/** The literal texts an argument can be: a string, or a conditional of strings. */
function literals(node) {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return [node.text];
  if (ts.isParenthesizedExpression(node)) return literals(node.expression);
  if (ts.isConditionalExpression(node)) {
    const a = literals(node.whenTrue);
    const b = literals(node.whenFalse);
    return a && b ? [...a, ...b] : undefined;
  }
  return undefined;
}

/** { messages: Map<message, where[]>, problems: string[] } over src/ and webview/. */
export function extractCatalogue(root = ROOT) {
  const messages = new Map();
  const problems = [];
  const files = ['src', 'webview'].flatMap((d) => (fs.existsSync(path.join(root, d)) ? sourceFiles(path.join(root, d)) : []));
  for (const file of files) {
    const sf = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const callees = catalogueCallees(sf);
    if (callees.size === 0) continue;
    const visit = (node) => {
      if (ts.isCallExpression(node) && callees.has(node.expression.getText(sf))) {
        const where = `${path.relative(root, file)}:${sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1}`;
        const texts = node.arguments.length ? literals(node.arguments[0]) : undefined;
        if (!texts) problems.push(`${where}: the message is not a string literal: ${node.getText(sf).slice(0, 80)}`);
        for (const m of texts ?? []) messages.set(m, [...(messages.get(m) ?? []), where]);
      }
      ts.forEachChild(node, visit);
    };
    visit(sf);
  }
  return { messages, problems };
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { messages, problems } = extractCatalogue();
  for (const p of problems) console.error(p);
  const bundle = Object.fromEntries([...messages.keys()].sort().map((m) => [m, m]));
  fs.writeFileSync(path.join(ROOT, 'l10n', 'bundle.l10n.json'), JSON.stringify(bundle, null, 2) + '\n');
  console.log(`l10n/bundle.l10n.json: ${messages.size} messages`);
  process.exitCode = problems.length ? 1 : 0;
}

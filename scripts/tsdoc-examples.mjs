#!/usr/bin/env node
// Every name the package exports must have a TSDoc summary and an @example, and every example must
// compile against the public entry points: this script lists what is missing, writes each example
// into build/tsdoc-examples as its own module (with the package's names imported), and type-checks
// them all. Part of `npm run typecheck`, so an example that drifts from the API fails CI.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

const entries = { streamtask: 'lib/index.ts', 'streamtask/sockets': 'lib/sockets.ts' };
const outDir = 'build/tsdoc-examples';
const program = ts.createProgram(Object.values(entries), { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022, strict: true, skipLibCheck: true });
const checker = program.getTypeChecker();

const problems = [];
const examples = [];
const names = {};
for (const [specifier, file] of Object.entries(entries)) {
  const moduleSymbol = checker.getSymbolAtLocation(program.getSourceFile(file));
  names[specifier] = [];
  for (const exported of checker.getExportsOfModule(moduleSymbol)) {
    const symbol = exported.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(exported) : exported;
    const name = exported.getName();
    const typeOnly = !(symbol.flags & ts.SymbolFlags.Value);
    names[specifier].push(typeOnly ? `type ${name}` : name);
    const summary = ts.displayPartsToString(symbol.getDocumentationComment(checker)).trim();
    const blocks = symbol.getJsDocTags(checker).filter((tag) => tag.name === 'example');
    const where = `${specifier} ${name}`;
    if (!summary) problems.push(`${where}: no TSDoc summary`);
    if (blocks.length === 0) problems.push(`${where}: no @example`);
    // A class's own methods need an example too; properties a summary (typedoc checks those). Not
    // an interface's: those are shapes the user fills in (a delegate, a signal).
    if (symbol.flags & ts.SymbolFlags.Class) {
      const type = checker.getDeclaredTypeOfSymbol(symbol);
      for (const member of checker.getPropertiesOfType(type)) {
        const declarations = member.getDeclarations() ?? [];
        const ours = declarations.some((d) => !d.getSourceFile().fileName.includes('node_modules'));
        const method = declarations.some((d) => ts.isMethodDeclaration(d) || ts.isMethodSignature(d));
        if (!ours || !method || member.getName().startsWith('#')) continue;
        const memberBlocks = member.getJsDocTags(checker).filter((tag) => tag.name === 'example');
        if (memberBlocks.length === 0) problems.push(`${where}.${member.getName()}: no @example`);
        memberBlocks.forEach((tag, index) => blocks.push({ ...tag, member: `${member.getName()}-${index + 1}` }));
      }
    }
    blocks.forEach((tag, index) => {
      const text = ts.displayPartsToString(tag.text);
      const code = /```(?:ts|typescript)?\n([\s\S]*?)```/.exec(text)?.[1];
      if (code === undefined) problems.push(`${where}: @example ${index + 1} has no \`\`\`ts block`);
      else examples.push({ name: `${specifier.replace('/', '-')}-${name}-${(tag.member ?? String(index + 1)).replace(/\W/g, '_')}`, code });
    });
  }
}

rmSync(outDir, { recursive: true, force: true });
mkdirSync(outDir, { recursive: true });
// Each example sees the package's names as a user importing them would, plus the two values almost
// every example starts from (a session and a task), so that an example shows only its point.
const imports = Object.entries(names).map(([specifier, list]) => `import { ${list.join(', ')} } from '${specifier}';`);
const declares = (code, name) => new RegExp(`\\b(?:const|let|using)\\s+[^=;()]*\\b${name}\\b[^=;()]*=`).test(code);
for (const { name, code } of examples) {
  const preamble = [
    ...(/from 'streamtask/.test(code) ? [] : imports),
    ...(declares(code, 'session') ? [] : ["declare const session: import('streamtask').Session;"]),
    ...(declares(code, 'task') ? [] : ["declare const task: import('streamtask').StreamTask;"]),
  ];
  const body = `${preamble.join('\n')}\n${code}`;
  writeFileSync(join(outDir, `${name}.ts`), `${body}\nexport {};\n`);
}
const root = relative(outDir, '.');
writeFileSync(join(outDir, 'tsconfig.json'), JSON.stringify({
  extends: join(root, 'tsconfig.json'),
  compilerOptions: {
    noEmit: true, noUnusedLocals: false, types: ['node'],
    paths: { streamtask: [join(root, entries.streamtask)], 'streamtask/sockets': [join(root, entries['streamtask/sockets'])] },
  },
  include: ['*.ts'],
}, null, 2));

const config = ts.getParsedCommandLineOfConfigFile(join(outDir, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: (d) => problems.push(ts.flattenDiagnosticMessageText(d.messageText, '\n')) });
const examplesProgram = ts.createProgram(config.fileNames, config.options);
const diagnostics = ts.getPreEmitDiagnostics(examplesProgram).filter((d) => d.file === undefined || d.file.fileName.includes(outDir));
for (const d of diagnostics) {
  const at = d.file ? `${relative('.', d.file.fileName)}:${d.file.getLineAndCharacterOfPosition(d.start ?? 0).line + 1}` : 'tsconfig';
  problems.push(`${at}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
}

if (problems.length > 0) {
  console.error(`TSDoc examples: ${problems.length} problem(s)\n  ${problems.join('\n  ')}`);
  process.exit(1);
}
console.log(`TSDoc examples: ${examples.length} examples of ${Object.values(names).flat().length} exported names compile`);

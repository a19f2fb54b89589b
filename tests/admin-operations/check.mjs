// Checks the newsroom's GraphQL documents against the committed schema, so a
// schema change breaks the build rather than an editor's day.
//
//   node check.mjs [schema.graphql] [operations dir]
//
// Defaults to the repository's schema.graphql and api/admin/operations. Every
// file must parse; every operation must be named; names of operations and of
// fragments must be unique across all files (the newsroom runs them by name);
// each operation, sent as the newsroom sends it (with the fragments it spreads,
// found the way api/admin/newsroom/core.js finds them), must pass GraphQL
// validation; every fragment must be valid too. Exits 1 and lists the problems
// otherwise.

import { readFileSync, readdirSync } from 'node:fs';
import { join, dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildSchema, parse, validate, specifiedRules, NoUnusedFragmentsRule, Kind,
} from 'graphql';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..', '..');
const schemaPath = process.argv[2] || join(root, 'schema.graphql');
const opsDir = process.argv[3] || join(root, 'api', 'admin', 'operations');

const problems = [];
const schema = buildSchema(readFileSync(schemaPath, 'utf8'));

// The same split as core.js: a definition starts at a line beginning with its keyword.
function splitLikeTheNewsroom(text) {
  const re = /^(query|mutation|subscription|fragment)\s+([_A-Za-z][_0-9A-Za-z]*)/gm;
  const starts = [];
  let m;
  while ((m = re.exec(text))) starts.push({ kind: m[1], name: m[2], index: m.index });
  return starts.map((s, i) => ({
    kind: s.kind,
    name: s.name,
    text: text.slice(s.index, i + 1 < starts.length ? starts[i + 1].index : text.length).trim(),
  }));
}

const files = readdirSync(opsDir).filter((f) => f.endsWith('.graphql')).sort();
if (!files.length) problems.push(`${opsDir}: no .graphql files`);

const owners = new Map(); // name → file
const operations = [];
const fragments = new Map(); // name → {file, text}
let joined = '';

for (const file of files) {
  const text = readFileSync(join(opsDir, file), 'utf8');
  joined += `${text}\n`;
  let doc;
  try {
    doc = parse(text);
  } catch (err) {
    problems.push(`${file}: ${err.message}`);
    continue;
  }
  const split = splitLikeTheNewsroom(text);
  for (const def of doc.definitions) {
    if (def.kind !== Kind.OPERATION_DEFINITION && def.kind !== Kind.FRAGMENT_DEFINITION) {
      problems.push(`${file}: only operations and fragments belong here`);
      continue;
    }
    const name = def.name && def.name.value;
    if (!name) {
      problems.push(`${file}: an operation has no name (the newsroom runs operations by name)`);
      continue;
    }
    if (owners.has(name)) {
      problems.push(`${file}: ${name} is already defined in ${owners.get(name)}; names must be unique across files`);
      continue;
    }
    owners.set(name, file);
    const found = split.find((d) => d.name === name);
    if (!found) {
      problems.push(`${file}: ${name} must start at the beginning of a line, with its keyword (\`${def.kind === Kind.FRAGMENT_DEFINITION ? 'fragment' : def.operation} ${name}\`)`);
      continue;
    }
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(name, { file, text: found.text });
    else operations.push({ file, name, text: found.text });
  }
  if (split.length !== doc.definitions.length) {
    problems.push(`${file}: ${doc.definitions.length} definitions, but ${split.length} start at the beginning of a line`);
  }
}

// Each operation as the newsroom sends it: itself and the fragments it spreads.
function documentFor(op) {
  const needed = new Set();
  const visit = (text) => {
    for (const [, spread] of text.matchAll(/\.\.\.\s*([_A-Za-z][_0-9A-Za-z]*)/g)) {
      if (spread === 'on' || needed.has(spread) || !fragments.has(spread)) continue;
      needed.add(spread);
      visit(fragments.get(spread).text);
    }
  };
  visit(op.text);
  return [op.text, ...[...needed].map((n) => fragments.get(n).text)].join('\n\n');
}

{
  for (const op of operations) {
    let doc;
    try {
      doc = parse(documentFor(op));
    } catch (err) {
      problems.push(`${op.file}: ${op.name}: ${err.message}`);
      continue;
    }
    for (const err of validate(schema, doc)) {
      problems.push(`${op.file}: ${op.name}: ${err.message}`);
    }
  }
  // Fragments no operation uses yet are still checked against the schema.
  let all = null;
  try {
    all = parse(joined);
  } catch (_) { /* reported per file above */ }
  const rules = specifiedRules.filter((r) => r !== NoUnusedFragmentsRule);
  for (const err of all ? validate(schema, all, rules) : []) {
    if (!problems.some((p) => p.endsWith(err.message))) problems.push(`all documents: ${err.message}`);
  }
}

if (problems.length) {
  console.error(`The newsroom's operations do not match ${schemaPath}:`);
  for (const p of problems) console.error(`- ${p}`);
  process.exit(1);
}
console.log(`${operations.length} operations and ${fragments.size} fragments in ${files.length} files are valid against ${schemaPath}.`);

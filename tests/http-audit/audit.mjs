// Runs the GraphQL over HTTP spec's server audits (npm `graphql-http`) against the
// Chorus endpoint given as the only argument, prints every result, and exits
// non-zero when a MUST (error) or SHOULD (warning) audit fails. MAY audits are
// printed but never fail the run: they are optional in the spec.
//
//   node audit.mjs http://127.0.0.1:8080/graphql
import { serverAudits } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node audit.mjs <graphql endpoint URL>');
  process.exit(2);
}

const results = await Promise.all(serverAudits({ url }).map((audit) => audit.fn()));
let failed = 0;
for (const result of results) {
  const failing = result.status === 'error' || result.status === 'warn';
  if (failing) failed += 1;
  let line = `${result.status.padEnd(6)} ${result.id} ${result.name}`;
  if (result.status !== 'ok') {
    line += `\n         ${result.reason}`;
    if (failing && result.response) {
      const body = await result.response.text().catch(() => '');
      line += `\n         status ${result.response.status}, content-type ${result.response.headers.get('content-type')}: ${body.slice(0, 300)}`;
    }
  }
  console.log(line);
}
const count = (status) => results.filter((r) => r.status === status).length;
console.log(
  `\n${count('ok')} ok, ${count('error')} MUST failed, ${count('warn')} SHOULD failed, ${count('notice')} MAY not done`,
);
process.exit(failed === 0 ? 0 : 1);

/** Entry point of the `custody` command. */
import { createRequire } from 'node:module';
import { COMMANDS as CORE_COMMANDS, type Command } from './commands.js';
import { demo } from './demo.js';
import { CLUSTER_COMMANDS } from './cluster-commands.js';
import { GITOPS_COMMANDS } from './gitops-commands.js';
import { graph } from './graph-command.js';
import { SERVER_COMMANDS } from './server-commands.js';
import { verify } from './verify-command.js';
import { CustodyError, EXIT_CODES } from '../core/errors.js';
import { asCustodyError, printError, UsageError } from './errors.js';
import { EXIT, type Io } from './io.js';
import { didYouMean } from '../workflow/index.js';

const COMMANDS: Readonly<Record<string, Command>> = { ...CORE_COMMANDS, ...SERVER_COMMANDS, ...GITOPS_COMMANDS, ...CLUSTER_COMMANDS, demo, verify, graph };

const version = (createRequire(import.meta.url)('../../package.json') as { version: string }).version;

function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return `Usage: custody COMMAND [OPTIONS]

Custody turns workflow specs (workflows/*.yaml) into the policy every agent's OPA sidecar enforces.

Commands:
${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`)
  .join('\n')}

Run custody COMMAND --help for a command's options. custody --version prints the version.
`;
}

export async function main(argv: string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    if (name === 'help' && rest[0] && COMMANDS[rest[0]]) {
      io.stdout.write(COMMANDS[rest[0]]!.help);
      return EXIT.ok;
    }
    (name === undefined ? io.stderr : io.stdout).write(usage());
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`custody ${version}\n`);
    return EXIT.ok;
  }
  const command = COMMANDS[name];
  if (!command) {
    // A near miss gets one line with the command meant; anything else, the list of commands.
    const guess = didYouMean(name, Object.keys(COMMANDS));
    printError(io.stderr, undefined, new UsageError(`unknown command "${name}"`, { hint: guess ? `did you mean ${guess}?` : 'the commands are below' }));
    if (!guess) io.stderr.write(`\n${usage()}`);
    return EXIT.usage;
  }
  try {
    return await command.run(rest, io);
  } catch (err) {
    // The exit code follows the kind alone, whichever module the error comes from.
    const known = asCustodyError(err) ?? new CustodyError('unexpected', 'operational', err instanceof Error ? (err.stack ?? err.message) : String(err));
    printError(io.stderr, name, known);
    return EXIT_CODES[known.kind];
  }
}

/** A workflow whose every name, path and attribute value is hostile to a drawing syntax. */
import type { Workflow } from '../../src/workflow/index.js';
import { exampleWorkflows } from '../helpers/workflows.js';

export const HOSTILE = [
  'a"b\'c',
  'x] --> y["z',
  'end',
  '%% comment',
  'line\nbreak\r\n',
  '<script>alert(1)</script>',
  '&amp; &#34; #quot; #35; #9733;',
  '|pipe|',
  'c:::cls',
  '`tick` **bold**',
  '\u0000\u001b[31m\u007f',
  '{{braces}} (round) [square]',
  'subgraph s',
  '<br>',
  '\\n \\l backslash',
  'click a0 call alert()',
  '}; digraph x {',
  '<B>not bold</B>',
  'style a0 fill:red',
  '"]; x [label="y',
  '😀 astral \ud800 lone',
];

export const movie = exampleWorkflows().find((w) => w.name === 'movie-post-production')!;

/** The movie workflow with every name, path and attribute value replaced by a hostile string. */
export function hostile(): Workflow {
  // Agents and actors are separate namespaces (the movie has an agent and an actor named color).
  const agents = new Map(movie.agents.map((a, i) => [a.name, `${HOSTILE[i]}#${i}`]));
  const actors = new Map(movie.actors.map((a, i) => [a.name, `${HOSTILE[i + agents.size]}#${i}`]));
  const r = (n: string) => agents.get(n)!;
  const o = (n: string) => actors.get(n)!;
  const paths = HOSTILE.slice(12);
  return {
    ...movie,
    name: HOSTILE[20]!,
    owner: o(movie.owner),
    timezone: 'Europe/Paris',
    actors: movie.actors.map((a, i) => ({
      ...a,
      name: o(a.name),
      agents: a.agents.map(r),
      cluster: { ...a.cluster, name: HOSTILE[(i + 3) % HOSTILE.length]!, region: HOSTILE[(i + 9) % HOSTILE.length]! },
    })),
    agents: movie.agents.map((a) => ({ ...a, name: r(a.name), actor: o(a.actor), attributes: { tenure: HOSTILE[1]! } })),
    flows: movie.flows.map((f, i) => ({
      ...f,
      from: r(f.from),
      to: r(f.to),
      path: `/${paths[i % paths.length]}`,
      ...(f.when ? { when: [{ attribute: HOSTILE[0]!, equals: HOSTILE[6]! }, { hours: { from: '08:00', to: '17:00' } }] } : {}),
    })),
  };
}

/** custody status's table: long names and messages are elided so that every line fits 120 columns. */
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { formatRollout } from '../../src/server/index.js';

test('custody status fits 120 columns: long names and a long sidecar error are elided, deterministically', () => {
  const agent = (name: string, error?: string) => ({
    workflow: 'clinical-trial-analysis-with-a-very-long-name',
    agent: name,
    cluster: 'sponsor-production-eu-central-cluster',
    served: { revision: '5e26ad4a72e5aa11bb22cc33dd44ee55ff667788', builtAt: '2026-11-23T09:27:30Z' },
    sidecars: [
      {
        instance: 'x',
        activeRevision: '5e26ad4a72e5aa11bb22cc33dd44ee55ff667788',
        lastSuccessfulActivation: '2026-11-23T09:27:36.905734295Z',
        receivedAt: '2026-11-23T09:27:37Z',
        ...(error ? { error: { message: error } } : {}),
      },
    ],
    inSync: !error,
    recentDenials: [],
  });
  const view = {
    repository: 'https://git.example/custody.git',
    branch: 'main',
    agents: [agent('statistical-analysis-pipeline-worker'), agent('owner', 'bundle download failed: 404 Not Found from the bundle server at 10.0.0.1')],
  };
  const out = formatRollout(view);
  assert.is(
    out,
    [
      'https://git.example/custody.git (main) at -',
      '',
      'WORKFLOW        AGENT           CLUSTER         SERVED        ENFORCED      SINCE                 STATE           DENIED',
      'clinical-tria…  statistical-a…  sponsor-produ…  5e26ad4a72e5  5e26ad4a72e5  2026-11-23T09:27:36Z  in sync         0',
      'clinical-tria…  owner           sponsor-produ…  5e26ad4a72e5  5e26ad4a72e5  2026-11-23T09:27:36Z  sidecar error…  0',
      '',
    ].join('\n'),
  );
  for (const line of out.split('\n')) assert.ok(line.length <= 120, `${line.length}: ${line}`);
  assert.is(formatRollout(view), out);
});

test('an agent with more sidecars than the server keeps is named below the table', () => {
  const view = {
    repository: 'r',
    agents: [
      {
        workflow: 'w',
        agent: 'a',
        served: { revision: 'abc', builtAt: '2026-11-23T09:27:30Z' },
        sidecars: [{ instance: 'x', activeRevision: 'abc', receivedAt: '2026-11-23T09:27:37Z' }],
        moreSidecars: { kept: 64, lastDroppedAt: '2026-11-23T09:27:37.000Z' },
        inSync: true,
        recentDenials: [],
      },
      { workflow: 'w', agent: 'b', sidecars: [], inSync: false, recentDenials: [] },
    ],
  };
  const out = formatRollout(view).split('\n');
  assert.equal(out.slice(-4), [
    '',
    'More sidecars reported within the hour than are kept (ENFORCED and STATE are of those heard from last):',
    '  w/a: the 64 heard from last, of more',
    '',
  ]);
  assert.not.ok(
    out.some((l) => l.includes('w/b')),
    'only the crowded agent is named',
  );
});

test.run();

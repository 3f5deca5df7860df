import { describe, expect, it } from 'vitest';
import { ActionFailedError, ConfigurationError, runAction, type ActionDefinition } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';
import { formatCommand } from '../../../src/core/runner.js';

function define(run: ActionDefinition<{ name: string }>['run'], post?: ActionDefinition<{ name: string }>['post']): ActionDefinition<{ name: string }> {
  return { name: 't', readInputs: (input) => ({ name: input.string('name', { required: true }) }), run, ...(post ? { post } : {}) };
}

describe('runAction', () => {
  it('turns a missing input into one ::error:: line naming it, without running the action', async () => {
    let ran = false;
    const runner = new MemoryRunner({});
    const code = await runAction(define(async () => void (ran = true)), runner, { setExitCode: false });
    expect(code).toBe(1);
    expect(ran).toBe(false);
    expect(runner.lines).toEqual(["::error title=Invalid input 'name'::Input 'name': is required and was not given"]);
  });

  it('prints an ActionFailedError as one line, no stack, and still writes the summary', async () => {
    const runner = new MemoryRunner({ name: 'x' });
    const code = await runAction(
      define(async (_inputs, { summary, outputs }) => {
        outputs.set('result', 'fail');
        summary.paragraph('the table');
        throw new ActionFailedError('2 checks failed');
      }),
      runner,
      { setExitCode: false },
    );
    expect(code).toBe(1);
    expect(runner.lines).toEqual(['::error::2 checks failed']);
    expect(runner.summary).toBe('the table\n\n');
    expect(runner.outputs.get('result')).toBe('fail');
  });

  it('keeps the stack of a bug', async () => {
    const runner = new MemoryRunner({ name: 'x' });
    await runAction(
      define(async () => {
        throw new TypeError('cannot read properties of undefined');
      }),
      runner,
      { setExitCode: false },
    );
    expect(runner.lines[0]).toBe('::error::cannot read properties of undefined');
    expect(runner.log).toMatch(/TypeError: cannot read properties of undefined\n\s+at /);
  });

  it('masks secrets in logs, errors and the summary', async () => {
    const runner = new MemoryRunner({ name: 'x' });
    await runAction(
      define(async (_i, { addSecret, log, summary }) => {
        addSecret('hunter2-token');
        log.info('token is hunter2-token');
        summary.paragraph('summary hunter2-token');
        throw new ConfigurationError('token', 'hunter2-token is expired');
      }),
      runner,
      { setExitCode: false },
    );
    expect(runner.secrets).toEqual(['hunter2-token']);
    expect(runner.log).not.toContain('hunter2-token');
    expect(runner.summary).not.toContain('hunter2-token');
    expect(runner.log).toContain('token is ***');
  });

  it('closes a group even when its body throws', async () => {
    const runner = new MemoryRunner({ name: 'x' });
    await runAction(
      define(async (_i, { log }) => {
        await log.group('phase', async () => {
          throw new ActionFailedError('boom');
        });
      }),
      runner,
      { setExitCode: false },
    );
    expect(runner.lines).toEqual(['::group::phase', '::endgroup::', '::error::boom']);
  });

  it('dispatches the post step through saved state', async () => {
    const calls: string[] = [];
    const def = define(
      async () => void calls.push('main'),
      async () => void calls.push('post'),
    );
    const runner = new MemoryRunner({ name: 'x' });
    await runAction(def, runner, { setExitCode: false });
    expect(runner.state.get('isPost')).toBe('true');
    await runAction(def, runner, { setExitCode: false });
    expect(calls).toEqual(['main', 'post']);
  });
});

describe('workflow commands', () => {
  it('escapes data and properties as the runner expects', () => {
    expect(formatCommand('error', { file: 'a,b:c.yml', line: 3 }, '50% done\nnext')).toBe('::error file=a%2Cb%3Ac.yml,line=3::50%25 done%0Anext');
  });
});

describe('multi-line secrets', () => {
  it('mask their key material line by line as well as whole (the runner matches masks per line)', async () => {
    const runner = new MemoryRunner({ name: 'x' });
    const pem = '-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49\nAwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----';
    await runAction(
      define(async (_i, { addSecret, log }) => {
        addSecret(pem);
        log.info('second line: MIGHAgEAMBMGByqGSM49AgEGCCqGSM49');
      }),
      runner,
      { setExitCode: false },
    );
    // Key material line by line, then the whole; not the BEGIN/END lines (they are in every PEM).
    expect(runner.secrets).toEqual(['MIGHAgEAMBMGByqGSM49AgEGCCqGSM49', 'AwEHBG0wawIBAQQg', pem]);
    expect(runner.log).toContain('second line: ***');
  });
});

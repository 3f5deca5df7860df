import { describe, expect, it } from 'vitest';
import { createExec, ExecError, Redactor, RunnerLogger } from '../../../src/core/index.js';
import { MemoryRunner } from '../../../src/core/memory-runner.js';

function setup(): { runner: MemoryRunner; exec: ReturnType<typeof createExec>; redactor: Redactor } {
  const runner = new MemoryRunner();
  const redactor = new Redactor();
  return { runner, redactor, exec: createExec(new RunnerLogger(runner, redactor), redactor) };
}

describe('exec', () => {
  it('echoes the command with secrets redacted and captures stdout', async () => {
    const { runner, exec, redactor } = setup();
    redactor.add('p4ssw0rd');
    const result = await exec('sh', ['-c', 'echo "out $0"', 'p4ssw0rd']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toBe('out p4ssw0rd\n');
    expect(runner.lines[0]).toBe("[command]sh -c 'echo \"out $0\"' ***");
  });

  it('throws an ExecError carrying the exit code and the stderr tail', async () => {
    const { exec } = setup();
    const error = await exec('sh', ['-c', 'echo one >&2; echo two >&2; exit 3']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ExecError);
    expect((error as ExecError).exitCode).toBe(3);
    expect((error as ExecError).message).toBe('sh exited with code 3: one | two');
  });

  it('accepts listed exit codes', async () => {
    const { exec } = setup();
    expect((await exec('sh', ['-c', 'exit 1'], { okExitCodes: [0, 1], silent: true })).exitCode).toBe(1);
  });

  it('caps stderr, keeping the tail', async () => {
    const { exec } = setup();
    const error = (await exec('sh', ['-c', 'head -c 200000 /dev/zero | tr "\\0" a >&2; echo END >&2; exit 1'], { stderrCapBytes: 1024 }).catch((e: unknown) => e)) as ExecError;
    expect(error.stderr.length).toBeLessThan(1200);
    expect(error.stderr).toMatch(/bytes of stderr dropped/);
    expect(error.stderr.trimEnd().endsWith('END')).toBe(true);
  });

  it('names a tool that is not installed', async () => {
    const { exec } = setup();
    await expect(exec('definitely-not-a-tool-xyz', [])).rejects.toThrow('definitely-not-a-tool-xyz was not found on PATH');
  });

  it('kills a command that exceeds its timeout', async () => {
    const { exec } = setup();
    await expect(exec('sleep', ['5'], { timeoutMs: 200 })).rejects.toThrow('timed out after 200 ms');
  });

  it('feeds stdin', async () => {
    const { exec } = setup();
    expect((await exec('cat', [], { input: 'piped' })).stdout).toBe('piped');
  });
});

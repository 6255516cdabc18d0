// Starts the real Python reference trainer (`/usr/bin/python3 -m trainer`) on 127.0.0.1 for the
// client tests, with a tiny randomly initialised toy model built by the trainer's own test fixture.
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const PYTHON = process.env['IWSI_PYTHON'] ?? '/usr/bin/python3';
export const REPO_ROOT = fileURLToPath(new URL('../../..', import.meta.url));
export const TOKEN = 'client-test-token';
export const ORIGIN = 'http://localhost:4173';
export const MODEL_ID = 'toy-tiny';

/** Write a tiny toy model (config, weights, tokenizer) into `folder`. */
export function makeTinyModel(folder: string): void {
  const out = spawnSync(
    PYTHON,
    [
      '-c',
      'import sys; from trainer.tests.fixtures import make_tiny_toy_model; make_tiny_toy_model(sys.argv[1])',
      folder,
    ],
    { cwd: REPO_ROOT, encoding: 'utf8' },
  );
  if (out.status !== 0) throw new Error(`could not build the tiny model: ${out.stderr}`);
}

/** A port that was free a moment ago (so a restarted trainer can take the same one). */
export function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

export class PythonTrainer {
  private constructor(
    private readonly child: ChildProcessWithoutNullStreams,
    readonly url: string,
    private readonly stderr: string[],
  ) {}

  static start(options: {
    dataDir: string;
    /** The toy model served as MODEL_ID (unless `toyModels` is given). */
    modelDir?: string;
    /** The toy models to serve instead, by id. */
    toyModels?: Readonly<Record<string, string>>;
    port: number;
    /** The bearer token (default TOKEN). */
    token?: string;
    /** Page origins let in (default [ORIGIN]). */
    allowOrigins?: readonly string[];
  }): Promise<PythonTrainer> {
    const toyModels =
      options.toyModels ?? (options.modelDir ? { [MODEL_ID]: options.modelDir } : undefined);
    if (!toyModels) throw new Error('PythonTrainer.start: give modelDir or toyModels');
    const child = spawn(
      PYTHON,
      [
        '-m',
        'trainer',
        '--host',
        '127.0.0.1',
        '--port',
        String(options.port),
        '--token',
        options.token ?? TOKEN,
        ...(options.allowOrigins ?? [ORIGIN]).flatMap((origin) => ['--allow-origin', origin]),
        '--data-dir',
        options.dataDir,
        '--threads',
        '1',
        ...Object.entries(toyModels).flatMap(([id, dir]) => ['--toy-model', `${id}=${dir}`]),
      ],
      { cwd: REPO_ROOT },
    );
    const stderr: string[] = [];
    child.stderr.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
    return new Promise((resolveStart, reject) => {
      let out = '';
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the trainer did not start in 60 s: ${stderr.join('')}`));
      }, 60_000);
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /listening on (http:\/\/\S+)/.exec(out);
        if (match) {
          clearTimeout(timer);
          resolveStart(new PythonTrainer(child, match[1] as string, stderr));
        }
      });
      child.on('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`the trainer exited (${code}): ${stderr.join('')}`));
      });
    });
  }

  /** Stop this process (by its own pid); SIGKILL simulates a crash. */
  stop(signal: 'SIGTERM' | 'SIGKILL' = 'SIGTERM'): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return Promise.resolve();
    return new Promise((resolveStop) => {
      this.child.once('exit', () => resolveStop());
      this.child.kill(signal);
    });
  }

  log(): string {
    return this.stderr.join('');
  }
}
